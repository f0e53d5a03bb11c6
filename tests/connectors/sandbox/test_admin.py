"""The admin API: seeding from files, editing/deleting/voiding as a person would (so back-sync sees
drift), listing documents and requests, reset, and a state file that survives a restart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.sandbox.client import SandboxAdminError
from connectors.sandbox.server import SandboxServer
from tests.connectors.sandbox.conftest import QBO, REALM, TENANT, XERO, checked_sandbox, qbo_headers, xero_headers
from tests.connectors.sandbox.test_quickbooks_faults import vendor_credit

SEED_YAML = """
companies:
  - name: shop-qbo
    provider: quickbooks
    realm_id: "123146096291789"
    display_name: 小さな店
    preferences: {enforce_unique_doc_number: false}
    accounts:
      - {Id: "10", Name: Bank, AccountType: Bank, AccountSubType: Checking}
      - {Id: "11", Name: Returns, AccountType: Cost of Goods Sold, AccountSubType: SuppliesMaterialsCogs}
    vendors:
      - {Id: "5", DisplayName: 株式会社テスト}
"""


def test_seed_from_yaml_and_json_files(sandbox: SandboxServer, tmp_path: Path) -> None:
    yaml_file = tmp_path / "shop.yaml"
    yaml_file.write_text(SEED_YAML, encoding="utf-8")
    loaded = sandbox.admin.seed(yaml_file)
    assert [(c["name"], c["key"], c["documents"]) for c in loaded] == [
        ("shop-qbo", "123146096291789", {"Account": 2, "Vendor": 1})]
    json_file = tmp_path / "xero.json"
    json_file.write_text(json.dumps({"companies": [{
        "name": "shop-xero", "provider": "xero", "tenant_id": "0e8c7a55-7d7e-4a0e-9c59-3b7f4f8e2b10",
        "accounts": [{"Code": "090", "Name": "Bank", "Type": "BANK"}],
        "contacts": [{"Name": "Ünïcödé Supplies GmbH", "IsSupplier": True}],
    }]}, ensure_ascii=False), encoding="utf-8")
    sandbox.admin.seed(json_file)
    names = {c["name"] for c in sandbox.admin.companies()}
    assert names == {"demo-qbo", "demo-xero", "shop-qbo", "shop-xero"}
    vendor = sandbox.admin.document("shop-qbo", "Vendor", "5")["body"]
    assert vendor["DisplayName"] == "株式会社テスト"
    tokens = sandbox.admin.issue_tokens("shop-xero")
    with httpx.Client(base_url=sandbox.base_url) as http:
        contacts = http.get("/api.xro/2.0/Contacts", headers=xero_headers(tokens, tokens.company)).json()
    assert [c["Name"] for c in contacts["Contacts"]] == ["Ünïcödé Supplies GmbH"]


@pytest.mark.parametrize(("seed", "message"), [
    ({"companies": [{"name": "x", "provider": "sage", "realm_id": "1"}]}, "provider must be 'quickbooks' or 'xero'"),
    ({"companies": [{"name": "x", "provider": "quickbooks", "realm_id": "1", "vendorz": []}]},
     "company x: unknown key(s) vendorz"),
    ({"companies": [{"name": "x", "provider": "quickbooks", "realm_id": "1",
                     "bills": [{"VendorRef": {"value": "1"}, "Line": []}]}]},
     "company x: bills[0]: Required parameter Line is missing in the request"),
    ({"companies": [{"name": "x", "provider": "xero"}]}, "company x: needs tenant_id"),
])
def test_bad_seeds_are_refused_with_the_reason(sandbox: SandboxServer, seed: dict[str, Any], message: str) -> None:
    with pytest.raises(SandboxAdminError) as err:
        sandbox.admin.seed(seed)
    assert err.value.status == 400
    assert message in err.value.body["error"]


def test_qbo_edit_delete_and_void_as_a_person(sandbox: SandboxServer, http: httpx.Client) -> None:
    tokens = sandbox.admin.issue_tokens(QBO)
    headers = qbo_headers(tokens)
    doc = http.post(f"/v3/company/{REALM}/vendorcredit", json=vendor_credit(DocNumber="RF-E1"),
                    headers=headers).json()["VendorCredit"]
    edited = sandbox.admin.edit_document(QBO, "VendorCredit", doc["Id"], {"Line": [
        {"Amount": "40.00", "DetailType": "AccountBasedExpenseLineDetail",
         "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "91"}}}]})
    assert (edited["body"]["TotalAmt"], edited["body"]["SyncToken"], edited["origin"]) == (40, "1", "api")
    stale = http.post(f"/v3/company/{REALM}/vendorcredit", headers=headers,
                      json={"Id": doc["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "x"})
    assert stale.json()["Fault"]["Error"][0]["code"] == "5010"  # the client's copy is out of date now
    voided = sandbox.admin.void_document(QBO, "VendorCredit", doc["Id"])
    assert (voided["body"]["TotalAmt"], voided["body"]["PrivateNote"]) == (0, "Voided")
    sandbox.admin.delete_document(QBO, "VendorCredit", doc["Id"])
    assert http.get(f"/v3/company/{REALM}/vendorcredit/{doc['Id']}", headers=headers).status_code == 400
    assert sandbox.admin.documents(QBO, "VendorCredit") == []
    assert [d["deleted"] for d in sandbox.admin.documents(QBO, "VendorCredit", include_deleted=True)] == [True]
    vendor = sandbox.admin.delete_document(QBO, "Vendor", "59")  # names are made inactive, not deleted
    assert vendor["body"]["Active"] is False
    again = http.post(f"/v3/company/{REALM}/vendorcredit", json=vendor_credit(VendorRef={"value": "59"}),
                      headers=headers)
    assert again.json()["Fault"]["Error"][0]["code"] == "2500"


def test_xero_edit_delete_void_and_archive(sandbox: SandboxServer, http: httpx.Client) -> None:
    tokens = sandbox.admin.issue_tokens(XERO)
    headers = xero_headers(tokens)

    def create(status: str, reference: str) -> dict[str, Any]:
        response = http.put("/api.xro/2.0/CreditNotes", headers=headers, json={"CreditNotes": [{
            "Type": "ACCPAYCREDIT", "Contact": {"ContactID": "7b1d5c3a-0e2f-4d6b-8a9c-1f2e3d4c5b04"},
            "Status": status, "Reference": reference, "Date": "2026-11-20",
            "LineItems": [{"UnitAmount": "10.00", "AccountCode": "310"}]}]})
        body: dict[str, Any] = response.json()["CreditNotes"][0]
        return body

    approved, draft = create("AUTHORISED", "RF-X1"), create("DRAFT", "RF-X2")
    edited = sandbox.admin.edit_document(XERO, "CreditNote", approved["CreditNoteID"], {
        "LineItems": [{"UnitAmount": "12.00", "AccountCode": "310"}]})
    assert (edited["body"]["Total"], edited["body"]["RemainingCredit"]) == (12, 12)
    assert sandbox.admin.delete_document(XERO, "CreditNote", draft["CreditNoteID"])["body"]["Status"] == "DELETED"
    assert sandbox.admin.delete_document(XERO, "CreditNote", approved["CreditNoteID"])["body"]["Status"] == "VOIDED"
    archived = sandbox.admin.delete_document(XERO, "Contact", "7b1d5c3a-0e2f-4d6b-8a9c-1f2e3d4c5b04")
    assert archived["body"]["ContactStatus"] == "ARCHIVED"
    refused = http.put("/api.xro/2.0/CreditNotes", headers=headers, json={"CreditNotes": [{
        "Type": "ACCPAYCREDIT", "Contact": {"Name": "Acme Supplies Ltd"}, "Date": "2026-11-20",
        "LineItems": [{"UnitAmount": "1.00", "AccountCode": "310"}]}]})
    assert refused.status_code == 400
    listed = http.get("/api.xro/2.0/CreditNotes", headers=headers, params={"where": 'Status=="VOIDED"'}).json()
    assert [c["Reference"] for c in listed["CreditNotes"]] == ["RF-X1"]


def test_request_log_and_reset(sandbox: SandboxServer, http: httpx.Client) -> None:
    tokens = sandbox.admin.issue_tokens(QBO)
    http.post(f"/v3/company/{REALM}/vendorcredit?requestid=rq-1&minorversion=75", json=vendor_credit(),
              headers=qbo_headers(tokens))
    record = sandbox.admin.requests(company=REALM)[-1]
    assert (record["method"], record["path"], record["status"], record["outcome"], record["request_id"]) == (
        "POST", f"/v3/company/{REALM}/vendorcredit", 200, "ok", "rq-1")
    assert record["query"] == "requestid=rq-1&minorversion=75"
    assert record["client_id"] == "sandbox-qbo-client" and record["admitted"] is True
    assert sandbox.admin.reset(reseed=False) == []
    assert sandbox.admin.companies() == []
    assert sandbox.admin.requests() == []
    assert sandbox.admin.reset(reseed=True) == ["demo-qbo", "demo-xero"]


def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "sandbox-state.json"
    with checked_sandbox(state_file=state) as first, httpx.Client(base_url=first.base_url) as http:
        tokens = first.admin.issue_tokens(QBO)
        created = http.post(f"/v3/company/{REALM}/vendorcredit?requestid=keep-1", json=vendor_credit(DocNumber="RF-S"),
                            headers=qbo_headers(tokens)).json()["VendorCredit"]
        xero_tokens = first.admin.issue_tokens(XERO)
    assert state.exists()
    with checked_sandbox(state_file=state) as second, httpx.Client(base_url=second.base_url) as http:
        headers = qbo_headers(tokens)  # tokens issued before the restart still work
        read = http.get(f"/v3/company/{REALM}/vendorcredit/{created['Id']}", headers=headers)
        assert read.json()["VendorCredit"]["DocNumber"] == "RF-S"
        replay = http.post(f"/v3/company/{REALM}/vendorcredit?requestid=keep-1", json=vendor_credit(DocNumber="X"),
                           headers=headers)
        assert replay.json()["VendorCredit"]["Id"] == created["Id"]  # requestid remembered across the restart
        assert http.get("/api.xro/2.0/Organisation", headers=xero_headers(xero_tokens)).json()[
            "Organisations"][0]["OrganisationID"] == TENANT
        bumped = http.post(f"/v3/company/{REALM}/vendorcredit", json=vendor_credit(DocNumber="RF-T"),
                           headers=headers).json()["VendorCredit"]
        assert int(bumped["Id"]) == int(created["Id"]) + 1  # id sequences continue
