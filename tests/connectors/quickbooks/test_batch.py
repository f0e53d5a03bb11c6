"""Several documents in one ``/batch``: one outcome each, matched by bId, faults per item, and a lost
batch uncertain as a whole (a batch has no requestid: the engine's DocNumber lookup keeps it exactly-once)."""

from __future__ import annotations

import dataclasses
from typing import Any

from config.tenants import TenantConfig
from connectors.errors import Action
from connectors.protocol import OutgoingDocument
from connectors.quickbooks.client import QuickBooksClient
from connectors.registry import ConnectorRuntime
from connectors.sandbox.server import SandboxServer
from mapping.placeholders import PARTY_ID
from mapping.plan import plan_case
from sync.engine.parties import PartyCache
from tests.connectors.quickbooks.support import QBO, multi_vendor_order, outgoing, party_values, vendor_cash_refund


def api_requests(sandbox: SandboxServer, since: int) -> list[dict[str, Any]]:
    return [r for r in sandbox.admin.requests(since=since) if r["provider"] == "quickbooks"]


def credits(tenant: TenantConfig, count: int, prefix: str = "RF-QB-1") -> list[OutgoingDocument]:
    docs = []
    for n in range(count):
        plan = plan_case(vendor_cash_refund(f"{prefix}{n:03d}"), tenant)
        docs.append(outgoing(plan.documents[0], {PARTY_ID: "56"}))
    return docs


def test_multi_vendor_order_goes_out_as_one_batch(client: QuickBooksClient, tenant: TenantConfig,
                                                  sandbox: SandboxServer, runtime: ConnectorRuntime) -> None:
    plan = plan_case(multi_vendor_order(), tenant)
    cache = PartyCache()
    docs = [outgoing(d, party_values(client, plan, d, cache)) for d in plan.documents]  # creates 2 vendors
    start = sandbox.admin.last_request_seq()
    outcomes = client.post(docs)
    assert [o.ref for o in outcomes] == [d.ref for d in docs]
    assert all(o.created is not None for o in outcomes), [o.classification for o in outcomes]
    assert [(o.created.number, o.created.amount) for o in outcomes if o.created] == [
        (d.tag, p.amount) for d, p in zip(docs, plan.documents, strict=True)]
    [request] = api_requests(sandbox, start)
    assert request["path"].endswith("/batch") and len(request["written"]) == 3
    scope = client.scope
    batch_key = f"{runtime.limiter.prefix}:{scope.key}:batch"
    minute_key = f"{runtime.limiter.prefix}:{scope.key}:minute"
    assert runtime.limiter.redis.zcard(batch_key) == 1  # the batch budget counted it
    assert runtime.limiter.redis.zcard(minute_key) >= 1
    names = {o.created.party_name for o in outcomes if o.created}
    assert names == {"深圳市联华贸易有限公司", "Guangzhou Bright Ceramics", "Nordic Paper AB"}


def test_a_fault_in_one_item_does_not_stop_the_others(client: QuickBooksClient, tenant: TenantConfig) -> None:
    existing = credits(tenant, 1, "RF-QB-2")[0]
    assert client.post([existing])[0].created is not None
    good, inactive, duplicate = credits(tenant, 3, "RF-QB-3")
    inactive = dataclasses.replace(inactive, payload={**inactive.payload, "VendorRef": {"value": "60"}})
    duplicate = dataclasses.replace(duplicate, tag=existing.tag,
                                    payload={**duplicate.payload, "DocNumber": existing.tag})
    by_ref = {o.ref: o for o in client.post([good, inactive, duplicate])}
    assert by_ref[good.ref].created is not None
    assert by_ref[inactive.ref].classification is not None and by_ref[duplicate.ref].classification is not None
    assert (by_ref[inactive.ref].classification.action, by_ref[inactive.ref].classification.rule) == (
        Action.PERMANENT, "qbo.inactive_reference")
    assert (by_ref[duplicate.ref].classification.action, by_ref[duplicate.ref].classification.rule) == (
        Action.UNCERTAIN, "qbo.duplicate_doc_number")
    assert by_ref[duplicate.ref].error is not None and by_ref[duplicate.ref].error.code == "6140"


def test_a_lost_batch_is_uncertain_for_every_item_and_all_of_them_are_found(
        client: QuickBooksClient, tenant: TenantConfig, sandbox: SandboxServer) -> None:
    docs = credits(tenant, 5)
    sandbox.admin.set_faults(QBO, drop_next=1)
    outcomes = client.post(docs)
    assert [(o.created, o.classification.action if o.classification else None) for o in outcomes] == [
        (None, Action.UNCERTAIN)] * 5
    # the engine looks each one up before sending anything again: all five landed
    for doc in docs:
        [found] = client.find_by_tag("VendorCredit", "DocNumber", doc.tag or "")
        assert found.number == doc.tag


def test_a_throttled_batch_is_rate_limited_for_every_item(client: QuickBooksClient, tenant: TenantConfig,
                                                          sandbox: SandboxServer) -> None:
    sandbox.admin.set_faults(QBO, throttle_next=1)
    outcomes = client.post(credits(tenant, 3))
    assert {(o.classification.action, o.http_status) for o in outcomes if o.classification} == {
        (Action.RATE_LIMITED, 429)}


def test_more_than_30_documents_are_split_and_a_lone_one_is_a_plain_create(
        client: QuickBooksClient, tenant: TenantConfig, sandbox: SandboxServer) -> None:
    docs = credits(tenant, 31)
    start = sandbox.admin.last_request_seq()
    outcomes = client.post(docs)
    assert [o.ref for o in outcomes] == [d.ref for d in docs] and all(o.created for o in outcomes)
    requests = api_requests(sandbox, start)
    assert [(r["path"].rsplit("/", 1)[1], len(r["written"])) for r in requests] == [("batch", 30),
                                                                                   ("vendorcredit", 1)]
    assert requests[1]["request_id"] == docs[30].idempotency_key
