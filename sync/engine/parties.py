"""Remote parties (vendors, customers, contacts) per tenant, fetched once and reused across flushes.

Listing every vendor costs calls against the tenant's budget, so the directory is cached in the worker
process for a few minutes and extended in place when we create a party ourselves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from connectors.protocol import RemoteParty, TenantClient
from mapping.errors import MappingError, MappingErrorCode
from mapping.parties import PartyDirectory
from mapping.plan import PartyPlan

CACHE_SECONDS = 300.0


@dataclass
class _Entry:
    fetched_at: float
    parties: list[RemoteParty]
    directory: PartyDirectory[RemoteParty] = field(init=False)

    def __post_init__(self) -> None:
        self.directory = PartyDirectory(self.parties)


class PartyCache:
    def __init__(self, ttl: float = CACHE_SECONDS):
        self.ttl = ttl
        self._entries: dict[tuple[str, str], _Entry] = {}

    def resolve(self, client: TenantClient, plan: PartyPlan, provider_name: str) -> RemoteParty:
        """The remote party for ``plan``; created if allowed; MappingError (permanent) otherwise."""
        key = (client.tenant, plan.entity)
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry.fetched_at > self.ttl:
            entry = _Entry(time.monotonic(), client.list_parties(plan.entity))
            self._entries[key] = entry
        found = entry.directory.match(plan.party, plan.match)
        if found is not None:
            return found
        if not plan.create_if_missing:
            raise MappingError(
                MappingErrorCode.PARTY_NOT_FOUND,
                f"{plan.entity.lower()} '{plan.party.name}' is not in {provider_name} and tenant {client.tenant} "
                "does not create missing parties: add it in "
                f"{provider_name}, or set mapping.parties.create_if_missing: true",
                "party",
            )
        created = client.create_party(plan.entity, plan.create_payload)
        entry.parties.append(created)
        entry.directory = PartyDirectory(entry.parties)
        return created

    def forget(self, tenant: str) -> None:
        for key in [k for k in self._entries if k[0] == tenant]:
            del self._entries[key]
