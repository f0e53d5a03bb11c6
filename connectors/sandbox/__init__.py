"""Local sandbox of QuickBooks Online and Xero: one ASGI app on one port, real HTTP and wire formats,
limits, token rotation, fault injection and an admin API. See README.md in this folder."""

from __future__ import annotations

from connectors.sandbox.app import create_app
from connectors.sandbox.client import IssuedTokens, SandboxAdmin, SandboxAdminError
from connectors.sandbox.server import SandboxServer, running_sandbox
from connectors.sandbox.settings import OAuthClient, QuickBooksLimits, SandboxSettings, XeroLimits

__all__ = [
    "IssuedTokens",
    "OAuthClient",
    "QuickBooksLimits",
    "SandboxAdmin",
    "SandboxAdminError",
    "SandboxServer",
    "SandboxSettings",
    "XeroLimits",
    "create_app",
    "running_sandbox",
]
