"""The change feed: CDC with an explicit UTC offset, deletions, the query fallback beyond CDC's 30 days
(or whenever Intuit refuses changedSince), and CDC answers cut off at their object limit."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
from quickbooks.cdc import change_data_capture
from quickbooks.objects.vendorcredit import VendorCredit

from config.tenants import TenantConfig
from connectors.protocol import OutgoingDocument, RemoteStatus
from connectors.quickbooks.client import QuickBooksClient
from connectors.quickbooks.query import QueryError
from connectors.sandbox.quickbooks import search
from connectors.sandbox.server import SandboxServer
from mapping.placeholders import PARTY_ID
from mapping.plan import plan_case
from tests.connectors.quickbooks.conftest import MINUTE_SECONDS
from tests.connectors.quickbooks.support import QBO, customer_card_refund, outgoing, vendor_cash_refund


def credits(tenant: TenantConfig, prefix: str, count: int) -> list[OutgoingDocument]:
    docs = []
    for n in range(1, count + 1):
        plan = plan_case(vendor_cash_refund(f"{prefix}{n:03d}"), tenant)
        docs.append(outgoing(plan.documents[0], {PARTY_ID: "56"}))
    return docs


def cdc_requests(sandbox: SandboxServer, since: int) -> list[dict[str, str]]:
    return [r for r in sandbox.admin.requests(since=since) if r["path"].endswith("/cdc")]


def test_cdc_sends_changed_since_with_its_offset__sdk_format_misses_the_change(
        client: QuickBooksClient, tenant: TenantConfig, sandbox: SandboxServer) -> None:
    since = datetime.now(UTC) - timedelta(seconds=2)
    [outcome] = client.post(credits(tenant, "RF-QB-02", 1))
    assert outcome.created is not None
    start = sandbox.admin.last_request_seq()
    changes = list(client.changes(["VendorCredit"], since))
    assert [(c.document.remote_id, c.document.status) for c in changes] == [
        (outcome.created.remote_id, RemoteStatus.ACTIVE)]
    [request] = cdc_requests(sandbox, start)
    sent = parse_qs(request["query"])["changedSince"][0]
    assert sent == since.replace(microsecond=0).isoformat() and sent.endswith("+00:00")
    # the gap: python-quickbooks writes the same moment without its offset; Intuit (and the sandbox) read
    # that in the company's zone (Los Angeles), eight hours after the change, and find nothing
    sdk_answer = change_data_capture([VendorCredit], since, qb=client.sdk)
    assert not getattr(sdk_answer, "VendorCredit", [])


def test_edits_and_deletions_made_in_quickbooks_show_in_the_feed(client: QuickBooksClient, tenant: TenantConfig,
                                                                 sandbox: SandboxServer) -> None:
    edited, deleted = (o.created for o in client.post(credits(tenant, "RF-QB-03", 2)))
    assert edited is not None and deleted is not None
    since = datetime.now(UTC) - timedelta(seconds=1)
    sandbox.admin.edit_document(QBO, "VendorCredit", edited.remote_id, {"PrivateNote": "changed by hand"})
    sandbox.admin.delete_document(QBO, "VendorCredit", deleted.remote_id)
    feed = {c.document.remote_id: c.document for c in client.changes(["VendorCredit", "Deposit"], since)}
    assert (feed[edited.remote_id].status, feed[edited.remote_id].version) == (RemoteStatus.ACTIVE, "1")
    assert feed[deleted.remote_id].status is RemoteStatus.DELETED
    assert feed[deleted.remote_id].updated_at is not None


def test_beyond_cdc_window_the_feed_is_a_query_on_last_updated_time(client: QuickBooksClient,
                                                                    sandbox: SandboxServer) -> None:
    """The seed's documents were last changed 31 (sandbox) days ago: only the query reaches them."""
    since = datetime.now(UTC) - timedelta(seconds=40 * 1440 * MINUTE_SECONDS)
    start = sandbox.admin.last_request_seq()
    feed = list(client.changes(["Bill", "Invoice"], since))
    assert sorted(c.document.number or "" for c in feed) == [
        "BILL-1042", "BILL-1043", "BILL-1044", "INV-2001", "INV-2002", "INV-2003"]
    requests = sandbox.admin.requests(since=start)
    assert cdc_requests(sandbox, start) == [] and [r["path"].rsplit("/", 1)[1] for r in requests] == ["query"] * 2
    assert all(c.document.status is RemoteStatus.ACTIVE for c in feed)


def test_when_intuit_refuses_changed_since_the_feed_falls_back_to_the_query(
        client: QuickBooksClient, tenant: TenantConfig, sandbox: SandboxServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Our clock and Intuit's may disagree about where the 30 days end: the 6000 answer decides."""
    monkeypatch.setattr(client.feed, "window_start", lambda: datetime(2000, 1, 1, tzinfo=UTC))
    since = datetime.now(UTC) - timedelta(seconds=35 * 1440 * MINUTE_SECONDS)
    start = sandbox.admin.last_request_seq()
    feed = list(client.changes(["Bill"], since))
    assert sorted(c.document.number or "" for c in feed) == ["BILL-1042", "BILL-1043", "BILL-1044"]
    [refused] = cdc_requests(sandbox, start)
    assert refused["status"] == 400


def test_a_cdc_answer_cut_off_at_its_limit_is_read_to_its_end(
        client: QuickBooksClient, tenant: TenantConfig, sandbox: SandboxServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    limit = 4
    monkeypatch.setattr(search, "CDC_MAX_OBJECTS", limit)  # the sandbox runs in this process
    monkeypatch.setattr(client.feed, "provider", dataclasses.replace(client.feed.provider, cdc_max_objects=limit))
    since = datetime.now(UTC) - timedelta(seconds=1)
    posted = client.post(credits(tenant, "RF-QB-04", 7))
    receipts = []
    for n in range(1, 4):
        plan = plan_case(customer_card_refund(f"RF-QB-05{n:02d}"), tenant)
        receipts.append(outgoing(plan.documents[0], {PARTY_ID: "1"}))
    posted += client.post(receipts)
    expected = {(o.created.type, o.created.remote_id) for o in posted if o.created is not None}
    assert len(expected) == 10
    start = sandbox.admin.last_request_seq()
    feed = [(c.document.type, c.document.remote_id) for c in client.changes(["VendorCredit", "RefundReceipt"], since)]
    assert sorted(feed) == sorted(expected)  # each change exactly once
    assert len(cdc_requests(sandbox, start)) > 1


def test_a_naive_since_is_refused_before_any_call(client: QuickBooksClient, sandbox: SandboxServer) -> None:
    start = sandbox.admin.last_request_seq()
    with pytest.raises(QueryError, match="time zone"):
        list(client.changes(["VendorCredit"], datetime(2026, 11, 1, 12, 0)))
    assert sandbox.admin.requests(since=start) == []
