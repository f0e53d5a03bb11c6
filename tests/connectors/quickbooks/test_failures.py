"""What goes wrong, and what the client makes of it: every failure comes back classified, and anything
that may have landed comes back ``uncertain``, never failed and never succeeded.

Each workaround of a python-quickbooks gap has a test here that fails without it (see the test names).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import time
import warnings
from decimal import Decimal
from typing import Any

import httpx
import pytest
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.vendorcredit import VendorCredit
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from config.tenants import TenantConfig
from connectors.auth import ConnectionBroken
from connectors.errors import Action
from connectors.limits import FleetLimiter
from connectors.protocol import CallFailed, OutgoingDocument, RemoteStatus
from connectors.quickbooks.client import QuickBooksClient
from connectors.registry import ConnectorRuntime
from connectors.sandbox.sdk_clients import quickbooks_client
from connectors.sandbox.server import SandboxServer
from mapping.placeholders import PARTY_ID
from mapping.plan import plan_case
from mapping.wire import dumps
from tests.connectors.quickbooks.support import QBO, outgoing, vendor_cash_refund
from tests.mapping.helpers import make_case


def credit(tenant: TenantConfig, case_id: str = "RF-QB-0100", vendor: str = "56", **changes: Any
           ) -> OutgoingDocument:
    """The VendorCredit of a realistic vendor refund, bound to ``vendor``, as the engine would send it."""
    plan = plan_case(vendor_cash_refund(case_id, **changes), tenant)
    return outgoing(plan.documents[0], {PARTY_ID: vendor})


def requests_of(sandbox: SandboxServer, since: int, path_end: str = "") -> list[dict[str, Any]]:
    return [r for r in sandbox.admin.requests(since=since) if r["provider"] == "quickbooks"
            and r["path"].endswith(path_end)]


def token_calls(sandbox: SandboxServer, since: int) -> list[dict[str, Any]]:
    return [r for r in sandbox.admin.requests(since=since) if r["path"] == "/oauth2/v1/tokens/bearer"]


def with_settings(runtime: ConnectorRuntime, tenant: TenantConfig, **settings: Any) -> QuickBooksClient:
    changed = dataclasses.replace(runtime, settings=runtime.settings.model_copy(update=settings))
    return QuickBooksClient(tenant, changed)


# --- lost responses and timeouts: uncertain --------------------------------------------------------


def test_lost_response_is_uncertain_and_the_same_requestid_replays_the_first_answer(
        client: QuickBooksClient, tenant: TenantConfig, sandbox: SandboxServer) -> None:
    doc = credit(tenant)
    sandbox.admin.set_faults(QBO, drop_next=1)
    start = sandbox.admin.last_request_seq()
    [lost] = client.post([doc])
    assert lost.created is None and lost.classification is not None
    assert (lost.classification.action, lost.classification.rule) == (Action.UNCERTAIN, "transport.dropped.write")
    [record] = requests_of(sandbox, start, "/vendorcredit")
    assert record["outcome"] == "dropped" and record["written"]  # the sandbox did commit it
    [found] = client.find_by_tag("VendorCredit", "DocNumber", doc.tag or "")  # what the engine does next
    [again] = client.post([doc])  # the engine re-sends only when not found; the key makes even that safe
    assert again.created is not None and again.created.remote_id == found.remote_id
    assert requests_of(sandbox, start, "/vendorcredit")[-1]["outcome"] == "replayed"
    assert len(client.find_by_tag("VendorCredit", "DocNumber", doc.tag or "")) == 1


def test_timeout_on_a_write_is_uncertain_on_a_read_retry__sdk_sets_no_timeout(
        client: QuickBooksClient, runtime: ConnectorRuntime, tenant: TenantConfig, sandbox: SandboxServer) -> None:
    impatient = with_settings(runtime, tenant, http_timeout=0.3)
    doc = credit(tenant)
    sandbox.admin.set_faults(QBO, latency_ms=1500)
    started = time.monotonic()
    [outcome] = impatient.post([doc])
    assert time.monotonic() - started < 1.2
    assert outcome.classification is not None and outcome.created is None
    assert (outcome.classification.action, outcome.classification.rule) == (Action.UNCERTAIN,
                                                                              "transport.timeout.write")
    with pytest.raises(CallFailed) as read:
        impatient.find_by_tag("VendorCredit", "DocNumber", doc.tag or "")
    assert (read.value.classification.action, read.value.classification.rule) == (Action.RETRY,
                                                                                   "transport.timeout.read")
    sandbox.admin.clear_faults(QBO)
    time.sleep(1.6)  # the write the client gave up on lands: that is why it was uncertain
    assert [d.number for d in client.find_by_tag("VendorCredit", "DocNumber", doc.tag or "")] == [doc.tag]
    impatient.close()


@pytest.mark.parametrize(("status", "action", "rule"), [(500, Action.UNCERTAIN, "qbo.server.write"),
                                                        (503, Action.RETRY, "qbo.unavailable")])
def test_server_errors_on_a_write(status: int, action: Action, rule: str, client: QuickBooksClient,
                                  tenant: TenantConfig, sandbox: SandboxServer) -> None:
    sandbox.admin.set_faults(QBO, error_next=1, error_statuses=[status])
    [outcome] = client.post([credit(tenant)])
    assert outcome.classification is not None and outcome.http_status == status
    assert (outcome.classification.action, outcome.classification.rule) == (action, rule)


# --- Intuit's faults, read with their codes (python-quickbooks raises the bare QuickbooksException) -------


def test_duplicate_doc_number_6140_is_uncertain__sdk_raises_bare_exception(
        client: QuickBooksClient, tenant: TenantConfig, qbo_sdk: Any) -> None:
    first = credit(tenant)
    assert client.post([first])[0].created is not None
    second = dataclasses.replace(first, ref="other-posting", idempotency_key="rs-someone-else")
    [outcome] = client.post([second])
    assert outcome.error is not None and (outcome.error.code, outcome.http_status) == ("6140", 400)
    assert outcome.classification is not None
    assert (outcome.classification.action, outcome.classification.rule) == (Action.UNCERTAIN,
                                                                              "qbo.duplicate_doc_number")
    # the gap: the SDK gives 6140 no exception class of its own
    with pytest.raises(QuickbooksException) as raw:
        qbo_sdk.create_object("VendorCredit", dumps(first.payload, ensure_ascii=True))
    assert type(raw.value) is QuickbooksException and raw.value.error_code == 6140


def test_closed_books_6210_is_permanent_with_the_reason(client: QuickBooksClient, tenant: TenantConfig) -> None:
    [outcome] = client.post([credit(tenant, refund_date="2025-06-30")])
    assert outcome.error is not None and (outcome.error.code, outcome.http_status) == ("6210", 400)
    assert outcome.classification is not None and outcome.classification.rule == "qbo.closed_period"
    assert outcome.classification.action is Action.PERMANENT
    assert "the books are closed" in outcome.classification.reason


def test_business_rule_6000_is_permanent(client: QuickBooksClient, tenant: TenantConfig) -> None:
    """demo-qbo accepts JPY cases, but the demo company has multi-currency off."""
    plan = plan_case(make_case(case_id="RF-QB-0101", currency="JPY", amount="4500",
                               party={"name": "株式会社サクラ商事", "external_id": None},
                               lines=[{"description": "欠けた湯呑み", "amount": "4500", "party": None,
                                       "account": None}]), tenant)
    [outcome] = client.post([outgoing(plan.documents[0], {PARTY_ID: "58"})])
    assert outcome.error is not None and (outcome.error.code, outcome.http_status) == ("6000", 400)
    assert outcome.classification is not None
    assert (outcome.classification.action, outcome.classification.rule) == (Action.PERMANENT, "qbo.business_rule")
    assert "Multi-currency is not enabled" in outcome.classification.reason


def test_inactive_vendor_is_permanent_with_its_own_reason(client: QuickBooksClient, tenant: TenantConfig) -> None:
    [outcome] = client.post([credit(tenant, vendor="60")])  # Dormant Parts Inc. is inactive
    assert outcome.classification is not None
    assert (outcome.classification.action, outcome.classification.rule) == (Action.PERMANENT,
                                                                              "qbo.inactive_reference")


def test_stale_sync_token_5010_is_retried_once_by_void(client: QuickBooksClient, tenant: TenantConfig,
                                                       sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    posted = client.post([credit(tenant)])[0].created
    assert posted is not None
    stale = client.get("VendorCredit", posted.remote_id)
    sandbox.admin.edit_document(QBO, "VendorCredit", posted.remote_id, {"PrivateNote": "edited by the bookkeeper"})
    reads: list[str] = []
    real_get = client.get

    def get_stale_first(type_: str, remote_id: str) -> Any:
        reads.append(remote_id)
        return stale if len(reads) == 1 else real_get(type_, remote_id)

    monkeypatch.setattr(client, "get", get_stale_first)
    start = sandbox.admin.last_request_seq()
    deleted = client.void("VendorCredit", posted.remote_id)
    assert deleted.status is RemoteStatus.DELETED and len(reads) == 2
    deletes = requests_of(sandbox, start, "/vendorcredit")
    assert [r["status"] for r in deletes] == [400, 200]  # 5010, then the delete with the fresh SyncToken


# --- rate limits: 429 ------------------------------------------------------------------------------


def test_429_burst_is_rate_limited_and_blocks_the_realm__sdk_misreads_the_xml(
        client: QuickBooksClient, tenant: TenantConfig, sandbox: SandboxServer, qbo_sdk: Any) -> None:
    sandbox.admin.set_faults(QBO, throttle_next=2)
    start = sandbox.admin.last_request_seq()
    [first] = client.post([credit(tenant, "RF-QB-0102")])
    assert first.classification is not None and first.error is not None
    assert (first.classification.action, first.classification.rule) == (Action.RATE_LIMITED, "qbo.throttled")
    assert (first.http_status, first.error.code, first.classification.retry_after) == (429, "3001", 1.0)
    with pytest.raises(CallFailed) as read:  # waits out the block (1 provider minute), then is throttled again
        client.find_by_tag("VendorCredit", "DocNumber", "RF-QB-0102")
    assert read.value.classification.action is Action.RATE_LIMITED
    [ok] = client.post([credit(tenant, "RF-QB-0103")])
    assert ok.created is not None
    throttled = [r for r in requests_of(sandbox, start) if r["outcome"] == "throttled"]
    assert len(throttled) == 2
    assert throttled[1]["started"] - throttled[0]["started"] >= 0.95  # nobody sent while the realm was blocked
    # the gap: the SDK alone reports Intuit's XML 429 as a JSON parse error with code 10000
    sandbox.admin.set_faults(QBO, throttle_next=1)
    with pytest.raises(QuickbooksException) as raw:
        qbo_sdk.query("SELECT * FROM VendorCredit")
    assert raw.value.error_code == 10000 and "Error reading json response" in raw.value.message


def test_limiter_unreachable_is_a_retry_and_nothing_is_sent(client: QuickBooksClient, runtime: ConnectorRuntime,
                                                            tenant: TenantConfig, sandbox: SandboxServer) -> None:
    assert client.find_by_tag("VendorCredit", "DocNumber", "RF-QB-0100") == []  # token fetched and kept
    dead = FleetLimiter(Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.2))
    cut_off = QuickBooksClient(tenant, dataclasses.replace(runtime, limiter=dead))
    cut_off.transport._cached = client.transport._cached
    start = sandbox.admin.last_request_seq()
    [outcome] = cut_off.post([credit(tenant)])
    assert outcome.classification is not None
    assert (outcome.classification.action, outcome.classification.rule) == (Action.RETRY, "limiter.unavailable")
    assert requests_of(sandbox, start) == []


def test_a_failed_release_of_the_slot_never_hides_a_created_document(
        client: QuickBooksClient, runtime: ConnectorRuntime, tenant: TenantConfig,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def release_fails(slot: Any) -> None:
        raise RedisConnectionError("Redis went away mid-request")

    monkeypatch.setattr(runtime.limiter, "release", release_fails)
    [outcome] = client.post([credit(tenant)])
    assert outcome.created is not None and outcome.created.number == "RF-QB-0100"


# --- tokens ----------------------------------------------------------------------------------------


def test_expired_access_token_is_refreshed_once_and_the_call_succeeds(
        client: QuickBooksClient, tenant: TenantConfig, sandbox: SandboxServer) -> None:
    assert client.find_by_tag("VendorCredit", "DocNumber", "RF-QB-0100") == []  # token in use and valid
    sandbox.admin.advance_clock(minutes=601)  # the sandbox now considers it expired; our store does not
    start = sandbox.admin.last_request_seq()
    [outcome] = client.post([credit(tenant)])
    assert outcome.created is not None
    assert len(token_calls(sandbox, start)) == 1
    assert [r["status"] for r in requests_of(sandbox, start, "/vendorcredit")] == [401, 200]
    assert client.find_by_tag("VendorCredit", "DocNumber", "RF-QB-0100")  # the new token keeps working
    assert len(token_calls(sandbox, start)) == 1


def test_the_access_token_is_read_from_the_ledger_once_not_on_every_call(
        client: QuickBooksClient, runtime: ConnectorRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    store = runtime.keeper.store
    loads: list[str] = []
    real_load = store.load

    def counting_load(tenant: str) -> Any:
        loads.append(tenant)
        return real_load(tenant)

    monkeypatch.setattr(store, "load", counting_load)
    for _ in range(5):
        client.find_by_tag("VendorCredit", "DocNumber", "RF-QB-0100")
    assert len(loads) == 2  # the keeper's read, and ours for the expiry; then it is kept in memory


def test_revoked_connection_raises_connection_broken(client: QuickBooksClient, tenant: TenantConfig,
                                                     sandbox: SandboxServer, runtime: ConnectorRuntime) -> None:
    sandbox.admin.revoke_tokens(QBO)
    with pytest.raises(ConnectionBroken) as broken:
        client.post([credit(tenant)])
    assert "refundsync connect" in broken.value.reason
    stored = runtime.keeper.store.load(QBO)
    assert stored is not None and stored.state == "broken"


# --- the wire: Decimals as numbers, UTF-8, escaped queries -------------------------------------------


def test_amounts_go_out_as_json_numbers__sdk_would_send_strings(client: QuickBooksClient,
                                                                tenant: TenantConfig) -> None:
    sent: list[bytes] = []

    def capture(request: httpx.Request) -> None:
        if request.method == "POST" and request.url.path.endswith("/vendorcredit"):
            sent.append(request.content)

    client.transport.http.event_hooks["request"] = [capture]
    doc = credit(tenant)
    assert client.post([doc])[0].created is not None
    [body] = sent
    assert b'"Amount":96.00' in body and b'"Amount":22.00' in body
    parsed = json.loads(body, parse_float=Decimal)
    assert [line["Amount"] for line in parsed["Line"]] == [Decimal("96.00"), Decimal("22.00")]
    assert "Shenzhen Lianhua Trading Co." in body.decode("utf-8")
    # the gap: python-quickbooks' own serialisation writes the same amounts as strings
    sdk_json = json.loads(VendorCredit.from_json(copy.deepcopy(doc.payload)).to_json())
    assert sdk_json["Line"][0]["Amount"] == "96.00"


def test_non_ascii_tags_and_quotes_are_escaped_in_queries(client: QuickBooksClient, tenant: TenantConfig) -> None:
    tag = "O'Brien\\7-返金"
    doc = dataclasses.replace(credit(tenant), tag=tag)
    doc = dataclasses.replace(doc, payload={**doc.payload, "DocNumber": tag})
    created = client.post([doc])[0].created
    assert created is not None and created.number == tag
    assert [d.remote_id for d in client.find_by_tag("VendorCredit", "DocNumber", tag)] == [created.remote_id]
    assert client.find_by_tag("VendorCredit", "DocNumber", "O'Brien") == []


def test_documents_that_cannot_be_sent_fail_alone_and_are_not_sent(client: QuickBooksClient, tenant: TenantConfig,
                                                                  sandbox: SandboxServer) -> None:
    journal = dataclasses.replace(credit(tenant, "RF-QB-0110"), type="JournalEntry")
    floating = credit(tenant, "RF-QB-0111")
    floating = dataclasses.replace(floating, payload={**floating.payload, "TotalAmt": 118.0})
    good = credit(tenant, "RF-QB-0112")
    start = sandbox.admin.last_request_seq()
    outcomes = client.post([journal, good, floating])
    assert [o.ref for o in outcomes] == [journal.ref, good.ref, floating.ref]
    for bad in (outcomes[0], outcomes[2]):
        assert bad.classification is not None and bad.created is None
        assert (bad.classification.action, bad.classification.rule) == (Action.PERMANENT, "qbo.unpostable")
    assert "float" in (outcomes[2].error.message if outcomes[2].error else "")
    assert outcomes[1].created is not None
    [sent] = requests_of(sandbox, start)
    assert sent["path"].endswith("/vendorcredit") and sent["request_id"] == good.idempotency_key


def test_find_by_credit_is_not_a_quickbooks_lookup(client: QuickBooksClient) -> None:
    with pytest.raises(ValueError, match="own tag"):
        client.find_by_tag("BillPayment", "credit", "146")


@pytest.fixture
def qbo_sdk(sandbox: SandboxServer) -> Any:
    """python-quickbooks alone, pointed at the sandbox (what the gaps look like without our transport)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return quickbooks_client(sandbox.base_url, sandbox.admin.issue_tokens(QBO))
