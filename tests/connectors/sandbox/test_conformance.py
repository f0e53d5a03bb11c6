"""The conformance checks themselves: they must be able to fail, and the QBO field table the sandbox
ships must still be what Intuit's XSD says."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx

from connectors.sandbox.quickbooks.xsd import build_table
from connectors.sandbox.server import SandboxServer
from tests.connectors.sandbox.conformance_log import _qbo, _xero, check_bodies
from tests.connectors.sandbox.conftest import REALM, TENANT, qbo_headers, xero_headers
from tests.support.reference import reference_dir


def test_shipped_qbo_schema_table_matches_the_xsd() -> None:
    from importlib import resources

    shipped = json.loads(resources.files("connectors.sandbox.quickbooks").joinpath("qbo_schema.json").read_text())
    assert shipped == json.loads(json.dumps(build_table(reference_dir() / "qbo-xsd")))


def test_checker_catches_bodies_that_break_the_schemas() -> None:
    assert _xero(200, {"CreditNotes": [{"Type": "ACCPAY", "Total": "1.00", "Surprise": 1}]})
    assert _xero(400, {"ErrorNumber": 10, "Type": "ValidationException", "Elements": [{"Bogus": 1}]})
    assert _xero(200, {"Nothing": []})
    assert _qbo({"VendorCredit": {"Id": "1", "Colour": "red"}, "time": "x"})
    assert _qbo({"QueryResponse": {"Bill": [{"Line": [{"Amount": Decimal("1"), "Oops": 1}]}]}})
    assert _qbo({"Fault": {"Error": [{"Message": "m", "Hint": "h"}], "type": "ValidationFault"}})
    assert _xero(200, {"CreditNotes": [{"Type": "ACCPAYCREDIT", "Total": Decimal("1.00")}]}) == []


def test_every_body_of_a_request_is_checked(sandbox: SandboxServer, http: httpx.Client) -> None:
    start = sandbox.admin.last_request_seq()
    qbo = sandbox.admin.issue_tokens("demo-qbo")
    xero = sandbox.admin.issue_tokens("demo-xero")
    http.get(f"/v3/company/{REALM}/bill/130", headers=qbo_headers(qbo)).raise_for_status()
    http.get("/api.xro/2.0/Accounts", headers=xero_headers(xero)).raise_for_status()
    http.get("/api.xro/2.0/TaxRates", headers=xero_headers(xero, TENANT)).raise_for_status()
    report = check_bodies(sandbox, since=start)
    assert (report.checked_qbo, report.checked_xero, report.problems) == (1, 2, [])
