"""Vendors and customers: listed in pages with the inactive ones, external id from AcctNum, created once."""

from __future__ import annotations

import dataclasses

import pytest

from connectors.errors import Action
from connectors.protocol import CallFailed, RemoteParty
from connectors.quickbooks.client import QuickBooksClient
from connectors.sandbox.server import SandboxServer
from mapping.case import Party
from mapping.parties import PartyDirectory
from tests.connectors.quickbooks.support import QBO


def queries(sandbox: SandboxServer, since: int) -> list[dict[str, str]]:
    return [r for r in sandbox.admin.requests(since=since) if r["path"].endswith("/query")]


def test_vendors_with_inactive_ones_and_external_ids_from_acctnum(client: QuickBooksClient,
                                                                  sandbox: SandboxServer) -> None:
    sandbox.admin.edit_document(QBO, "Vendor", "59", {"AcctNum": "V-1059"})
    vendors = {p.id: p for p in client.list_parties("Vendor")}
    assert set(vendors) == {"56", "57", "58", "59", "60"}
    assert vendors["60"] == RemoteParty("60", "Dormant Parts Inc.", None, active=False)
    assert vendors["59"].external_id == "V-1059" and vendors["57"].name == "深圳市联华贸易有限公司"
    # what the engine does with them: the case log's id finds Acme even under another name
    found = PartyDirectory(list(vendors.values())).match(Party(name="ACME Supplies (EU)", external_id="V-1059"))
    assert found is not None and found.id == "59"
    customers = client.list_parties("Customer")
    assert {c.name for c in customers} == {"Northwind Retail Inc.", "王小明", "山田太郎", "Contoso Outdoor GmbH"}


def test_listing_pages_through_every_party(client: QuickBooksClient, sandbox: SandboxServer,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "description", dataclasses.replace(client.description, max_results=2))
    start = sandbox.admin.last_request_seq()
    assert len(client.list_parties("Vendor")) == 5
    texts = [r["query"] for r in queries(sandbox, start)]
    assert len(texts) == 3  # 2 + 2 + 1


def test_create_party_once_even_when_the_answer_is_lost(client: QuickBooksClient, sandbox: SandboxServer) -> None:
    payload = {"DisplayName": "深圳市联华贸易有限公司（陶瓷部）"}
    sandbox.admin.set_faults(QBO, drop_next=1)
    with pytest.raises(CallFailed) as lost:
        client.create_party("Vendor", payload)
    assert lost.value.classification.action is Action.UNCERTAIN
    created = client.create_party("Vendor", payload)  # same requestid: Intuit answers what it did
    assert created.name == payload["DisplayName"] and created.active
    named = [p for p in client.list_parties("Vendor") if p.name == payload["DisplayName"]]
    assert [p.id for p in named] == [created.id]


def test_a_name_taken_meanwhile_is_that_party(client: QuickBooksClient, sandbox: SandboxServer) -> None:
    """Someone created the vendor after our list was fetched: 6240, and the existing one is the answer."""
    existing = client.create_party("Vendor", {"DisplayName": "Nordic Paper AB", "CompanyName": "Nordic Paper AB"})
    again = client.create_party("Vendor", {"DisplayName": "Nordic Paper AB"})  # another payload: no replay
    assert again.id == existing.id


def test_a_name_taken_by_an_inactive_party_is_permanent(client: QuickBooksClient) -> None:
    with pytest.raises(CallFailed) as taken:
        client.create_party("Vendor", {"DisplayName": "Dormant Parts Inc."})
    assert (taken.value.classification.action, taken.value.classification.rule) == (Action.PERMANENT,
                                                                                    "qbo.duplicate_name")
    assert taken.value.error.code == "6240"


def test_only_vendors_and_customers_are_parties(client: QuickBooksClient) -> None:
    with pytest.raises(ValueError, match="Vendor or Customer"):
        client.list_parties("Employee")
