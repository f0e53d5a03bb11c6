"""From a tenant in the tenants file to a connected client: the one place that knows the providers.

A provider (QuickBooks, Xero) is described once by its client class; a client is built per tenant with
the shared runtime (token keeper, fleet limiter, settings), so it holds that company's credentials,
limiter scope and caches.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from config.settings import Settings
from config.tenants import TenantConfig
from connectors.auth import TokenKeeper
from connectors.limits import FleetLimiter
from connectors.protocol import TenantClient

#: provider -> "module:Class" of its TenantClient implementation (imported on first use).
CLIENTS = {
    "quickbooks": "connectors.quickbooks.client:QuickBooksClient",
    "xero": "connectors.xero.client:XeroClient",
}


@dataclass(frozen=True)
class ConnectorRuntime:
    """What every tenant client shares in one process."""

    keeper: TokenKeeper
    limiter: FleetLimiter
    settings: Settings


def build_client(tenant: TenantConfig, runtime: ConnectorRuntime) -> TenantClient:
    module_name, _, class_name = CLIENTS[tenant.provider.value].partition(":")
    client_class = getattr(importlib.import_module(module_name), class_name)
    client: TenantClient = client_class(tenant, runtime)
    return client
