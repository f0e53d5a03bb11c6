"""Payload hashes and idempotency keys: the same document always gives the same bytes and the same key.

* ``canonical_json(payload)``: keys sorted, no whitespace, UTF-8 text as is, Decimals as number tokens
  with the digits the mapping quantized them to. Nothing depends on dict order, hash seeds or the
  process, so the hash is stable across runs, processes and machines.
* ``payload_hash(payload)``: SHA-256 hex of the canonical JSON. It is computed on the *unbound* payload
  (placeholders such as ``{{party.id}}`` still in it), so it does not change when a party id is learnt.
* ``idempotency_key(posting_id, payload_hash, provider)``: derived from the posting's own id and its
  payload hash, so a retry of the same posting sends the same key, and a changed payload (a new case
  revision) never reuses a key with a different body (Xero answers that with 400).
  - QuickBooks ``requestid`` (at most 50 characters; 36 inside a batch): ``rs-`` + 32 hex digits of
    SHA-256 over provider, posting id and payload hash: 35 characters, fits both.
  - Xero ``Idempotency-Key`` (at most 128): ``rs-{posting_id}-{payload_hash}`` when the posting id is
    1-60 characters of ``[A-Za-z0-9._-]`` (readable in Xero's logs); otherwise ``rs-`` + the SHA-256
    hex of the same inputs (67 characters).
  - ``generation`` (``postings.generation``, bumped by an operator re-run or repost) is part of the key
    from generation 1 on; generation 0 gives exactly the key above. Why: Xero remembers a key's answer
    (errors included) for about 6 minutes and QBO a ``requestid``'s answer longer, so an operator re-run
    after a *permanent* failure must send a key the provider has not seen, or it gets the cached failure
    back. A re-run is still looked up by tag before it is sent, so the fresh key never duplicates.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from config.tenants import Provider
from mapping.limits import QBO_BATCH_ID_MAX, XERO_IDEMPOTENCY_KEY_MAX
from mapping.wire import dumps

_READABLE_ID = re.compile(r"^[A-Za-z0-9._-]{1,60}$")
_HASH = re.compile(r"^[0-9a-f]{64}$")


def canonical_json(payload: Any) -> str:
    """The one text form of a payload, used for its hash."""
    return dumps(payload, sort_keys=True)


def payload_hash(payload: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``payload``."""
    return sha256_hex(canonical_json(payload))


def sha256_hex(text: str) -> str:
    """SHA-256 (hex) of UTF-8 text: the hash of an already canonical JSON text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def idempotency_key(posting_id: str, payload_hash: str, provider: Provider | str, generation: int = 0) -> str:
    """The key a provider dedupes retries of one posting (generation) by; deterministic and within its limit."""
    provider = Provider(provider)
    posting_id = str(posting_id)
    if not posting_id:
        raise ValueError("posting_id must not be empty")
    if not _HASH.match(payload_hash):
        raise ValueError("payload_hash must be a SHA-256 hex digest (64 lower-case hex digits)")
    if generation < 0:
        raise ValueError("generation must not be negative")
    inputs = f"{provider.value}\n{posting_id}\n{payload_hash}" + (f"\n{generation}" if generation else "")
    digest = hashlib.sha256(inputs.encode()).hexdigest()
    if provider is Provider.QUICKBOOKS:
        key = "rs-" + digest[:32]
        assert len(key) <= QBO_BATCH_ID_MAX
        return key
    readable = f"rs-{posting_id}-{payload_hash}" if not generation else f"rs-{posting_id}-g{generation}-{payload_hash}"
    key = readable if _READABLE_ID.match(posting_id) and len(readable) <= XERO_IDEMPOTENCY_KEY_MAX else "rs-" + digest
    assert len(key) <= XERO_IDEMPOTENCY_KEY_MAX
    return key
