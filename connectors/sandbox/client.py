"""The admin client: plain httpx calls to ``/_sandbox/...`` of a running sandbox.

Tests, benchmarks and the demo drive the sandbox only through this client (or the same HTTP calls),
never by reaching into its memory, so they work the same against a sandbox in another process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from connectors.sandbox import wire


class SandboxAdminError(RuntimeError):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"sandbox admin call failed with HTTP {status}: {body}")
        self.status = status
        self.body = body


@dataclass(frozen=True)
class IssuedTokens:
    """A valid token pair for one company, as if a person had just connected the app."""

    provider: str
    company: str  # realm id or tenant id
    client_id: str
    client_secret: str
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    scope: str

    def xero_token_set(self) -> dict[str, Any]:
        """The token dict xero-python's ``oauth2_token_getter`` should return."""
        import time

        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_in": self.expires_in,
            "expires_at": time.time() + self.expires_in,
            "token_type": "Bearer",
            "scope": self.scope.split(),
        }


class SandboxAdmin:
    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SandboxAdmin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        content = wire.dumps(body) if body is not None else None
        response = self._http.request(
            method,
            f"/_sandbox{path}",
            content=content,
            params=params,
            headers={"Content-Type": "application/json"} if content else None,
        )
        data = wire.loads(response.content) if response.content else None
        if response.status_code >= 400:
            raise SandboxAdminError(response.status_code, data)
        return data

    # -- the sandbox -----------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/health")
        return result

    def settings(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/settings")
        return result

    def reset(self, reseed: bool = True) -> list[str]:
        """Forget everything; with ``reseed`` load the seeds the sandbox started with again."""
        result: list[str] = self._call("POST", "/reset", {"reseed": reseed})["companies"]
        return result

    def advance_clock(self, seconds: float = 0.0, minutes: float = 0.0) -> float:
        """Move sandbox time forward (``minutes`` are sandbox minutes); returns the total offset."""
        offset: float = self._call("POST", "/clock/advance", {"seconds": seconds, "minutes": minutes})["offset_seconds"]
        return offset

    def save(self) -> bool:
        saved: bool = self._call("POST", "/save")["saved"]
        return saved

    def requests(
        self,
        company: str | None = None,
        provider: str | None = None,
        since: int = 0,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Every request received (newest last): method, path, status, outcome, idempotency key/requestid,
        server-side start/served/finish times, documents written."""
        params: dict[str, Any] = {"since": since}
        if company:
            params["company"] = company
        if provider:
            params["provider"] = provider
        if limit:
            params["limit"] = limit
        result: list[dict[str, Any]] = self._call("GET", "/requests", params=params)["requests"]
        return result

    def last_request_seq(self) -> int:
        seq: int = self._call("GET", "/requests", params={"limit": 1})["last_seq"]
        return seq

    # -- companies -------------------------------------------------------------------------------

    def seed(self, seed: dict[str, Any] | str | Path) -> list[dict[str, Any]]:
        """Add or replace companies from a seed document, or a YAML/JSON seed file path."""
        if isinstance(seed, str | Path):
            from connectors.sandbox.seeds import read_seed

            seed = read_seed(seed)
        result: list[dict[str, Any]] = self._call("POST", "/companies", seed)["companies"]
        return result

    def companies(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/companies")["companies"]
        return result

    def company(self, company: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/companies/{company}")
        return result

    def remove_company(self, company: str) -> None:
        self._call("DELETE", f"/companies/{company}")

    # -- documents -------------------------------------------------------------------------------

    def documents(
        self,
        company: str,
        entity: str | None = None,
        include_deleted: bool = False,
        origin: str | None = None,
    ) -> list[dict[str, Any]]:
        """Stored documents: ``{"entity","id","body","created","updated","deleted","origin"}``."""
        params: dict[str, Any] = {"include_deleted": str(include_deleted).lower()}
        if entity:
            params["entity"] = entity
        if origin:
            params["origin"] = origin
        result: list[dict[str, Any]] = self._call("GET", f"/companies/{company}/documents", params=params)["documents"]
        return result

    def document(self, company: str, entity: str, doc_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/companies/{company}/documents/{entity}/{doc_id}")
        return result

    def edit_document(self, company: str, entity: str, doc_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change fields as a person in the product's UI would (new SyncToken / UpdatedDateUTC)."""
        result: dict[str, Any] = self._call("PATCH", f"/companies/{company}/documents/{entity}/{doc_id}", changes)
        return result

    def delete_document(self, company: str, entity: str, doc_id: str) -> dict[str, Any]:
        """Delete as in the UI: QBO transactions are deleted, QBO names made inactive; Xero drafts are
        DELETED, approved Xero documents VOIDED, contacts and accounts archived, payments deleted."""
        result: dict[str, Any] = self._call("DELETE", f"/companies/{company}/documents/{entity}/{doc_id}")
        return result

    def void_document(self, company: str, entity: str, doc_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", f"/companies/{company}/documents/{entity}/{doc_id}/void")
        return result

    def bulk_copies(self, company: str, entity: str, from_id: str, count: int, numbers: dict[str, str],
                    spacing_seconds: float = 1.0) -> list[str]:
        """``count`` copies of a stored document under new ids and numbers (``{n}`` in a number pattern);
        for benchmarks: stored as they are, no validation, no balance effects. Returns the new ids."""
        result: list[str] = self._call("POST", f"/companies/{company}/bulk", {
            "entity": entity, "from_id": from_id, "count": count, "numbers": numbers,
            "spacing_seconds": spacing_seconds})["ids"]
        return result

    # -- faults, limits, tokens ------------------------------------------------------------------

    def set_faults(self, company: str, **faults: Any) -> dict[str, Any]:
        """Replace the company's faults. Keys: latency_ms, latency_jitter_ms, error_rate, error_statuses,
        error_next, drop_rate, drop_next, offline, throttle_next, seed, and revoke_tokens (an action)."""
        result: dict[str, Any] = self._call("PUT", f"/companies/{company}/faults", faults)
        return result

    def clear_faults(self, company: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("DELETE", f"/companies/{company}/faults")
        return result

    def faults(self, company: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/companies/{company}/faults")
        return result

    def set_limits(self, company: str, **limits: int) -> dict[str, Any]:
        """per_minute, concurrent, and per_day (Xero) or batch_per_minute (QBO)."""
        result: dict[str, Any] = self._call("PUT", f"/companies/{company}/limits", limits)
        return result

    def issue_tokens(self, company: str, client_id: str | None = None, scope: str | None = None) -> IssuedTokens:
        """A valid access + refresh token pair without the browser flow."""
        body: dict[str, Any] = {}
        if client_id:
            body["client_id"] = client_id
        if scope:
            body["scope"] = scope
        data = self._call("POST", f"/companies/{company}/tokens", body)
        return IssuedTokens(
            provider=data["provider"],
            company=data["company"],
            client_id=data["client_id"],
            client_secret=data["client_secret"],
            access_token=data["access_token"],
            refresh_token=data["refresh_token"],
            expires_in=int(data["expires_in"]),
            refresh_expires_in=int(data["refresh_expires_in"]),
            scope=data["scope"],
        )

    def revoke_tokens(self, company: str) -> int:
        count: int = self._call("POST", f"/companies/{company}/revoke")["revoked_grants"]
        return count
