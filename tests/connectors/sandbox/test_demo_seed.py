"""The demo seed is a contract: other teams map accounts and parties to these ids and codes."""

from __future__ import annotations

from decimal import Decimal

from connectors.sandbox.server import SandboxServer
from tests.connectors.sandbox.conftest import QBO, REALM, TENANT, XERO


def _bodies(sandbox: SandboxServer, company: str, entity: str, key: str) -> dict[str, dict[str, object]]:
    return {str(d["body"][key]): d["body"] for d in sandbox.admin.documents(company, entity)}


def test_quickbooks_demo_company(sandbox: SandboxServer) -> None:
    assert sandbox.admin.company(QBO)["key"] == REALM
    accounts = _bodies(sandbox, QBO, "Account", "Id")
    expected = {
        "35": ("Checking", "Bank"), "4": ("Undeposited Funds", "Other Current Asset"),
        "84": ("Accounts Receivable (A/R)", "Accounts Receivable"), "81": ("Inventory Asset", "Other Current Asset"),
        "33": ("Accounts Payable (A/P)", "Accounts Payable"), "79": ("Sales of Product Income", "Income"),
        "90": ("Sales Returns and Allowances", "Income"), "80": ("Cost of Goods Sold", "Cost of Goods Sold"),
        "91": ("Purchase Returns and Refunds", "Cost of Goods Sold"), "7": ("Office Supplies", "Expense"),
        "92": ("Freight Refunds (retired)", "Cost of Goods Sold"),
        "36": ("Card refunds clearing", "Other Current Asset"), "37": ("Marketplace balance", "Other Current Asset"),
        "82": ("Purchase price adjustments", "Cost of Goods Sold"), "83": ("Goods not received", "Cost of Goods Sold"),
        "93": ("Purchase returns - damaged goods", "Cost of Goods Sold"),
        "94": ("Freight and shipping costs", "Cost of Goods Sold"),
    }
    assert {k: (a["Name"], a["AccountType"]) for k, a in accounts.items()} == expected
    assert accounts["92"]["Active"] is False
    vendors = _bodies(sandbox, QBO, "Vendor", "Id")
    assert {k: v["DisplayName"] for k, v in vendors.items()} == {
        "56": "Shenzhen Lianhua Trading Co.", "57": "深圳市联华贸易有限公司", "58": "株式会社サクラ商事",
        "59": "Acme Supplies Ltd", "60": "Dormant Parts Inc."}
    customers = _bodies(sandbox, QBO, "Customer", "Id")
    assert {k: c["DisplayName"] for k, c in customers.items()} == {
        "1": "Northwind Retail Inc.", "2": "王小明", "3": "山田太郎", "4": "Contoso Outdoor GmbH"}
    assert {k: i["Name"] for k, i in _bodies(sandbox, QBO, "Item", "Id").items()} == {
        "1": "Services", "2": "Returned Goods", "3": "Lantern LX-200", "21": "Sales returns and allowances",
        "22": "Price adjustments", "23": "Shipping refunds"}
    assert {k: c["Name"] for k, c in _bodies(sandbox, QBO, "Class", "Id").items()} == {
        "5000000000000012345": "Purchasing", "5000000000000012346": "Customer care"}
    assert {k: (m["Name"], m["Type"]) for k, m in _bodies(sandbox, QBO, "PaymentMethod", "Id").items()} == {
        "1": ("Check", "NON_CREDIT_CARD"), "3": ("Credit card", "CREDIT_CARD"),
        "7": ("Marketplace balance", "NON_CREDIT_CARD")}
    bills = _bodies(sandbox, QBO, "Bill", "DocNumber")
    assert {k: (b["Id"], b["Balance"]) for k, b in bills.items()} == {
        "BILL-1042": ("130", 1200), "BILL-1043": ("131", 8800), "BILL-1044": ("132", Decimal("315.50"))}
    invoices = _bodies(sandbox, QBO, "Invoice", "DocNumber")
    assert {k: (i["Id"], i["Balance"]) for k, i in invoices.items()} == {
        "INV-2001": ("140", 450), "INV-2002": ("141", 12000), "INV-2003": ("142", 90)}
    assert vendors["56"]["Balance"] == 1200


def test_xero_demo_company(sandbox: SandboxServer) -> None:
    assert sandbox.admin.company(XERO)["key"] == TENANT
    accounts = _bodies(sandbox, XERO, "Account", "Code")
    assert {k: (a["Name"], a["Type"], a["Status"]) for k, a in accounts.items()} == {
        "090": ("Business Checking", "BANK", "ACTIVE"), "200": ("Sales", "REVENUE", "ACTIVE"),
        "260": ("Sales Returns", "REVENUE", "ACTIVE"), "300": ("Purchases", "DIRECTCOSTS", "ACTIVE"),
        "310": ("Cost of Goods Sold", "DIRECTCOSTS", "ACTIVE"), "429": ("General Expenses", "EXPENSE", "ACTIVE"),
        "610": ("Accounts Receivable", "CURRENT", "ACTIVE"), "630": ("Inventory", "INVENTORY", "ACTIVE"),
        "800": ("Accounts Payable", "CURRLIAB", "ACTIVE"), "4010": ("Old Refunds Clearing", "EXPENSE", "ARCHIVED"),
        # what the demo-xero mapping (config/tenants.example.yaml) posts to besides the codes above
        "091": ("Card Refunds Clearing", "CURRENT", "ACTIVE"), "092": ("Marketplace Clearing", "CURRENT", "ACTIVE"),
        "320": ("Goods Not Received", "DIRECTCOSTS", "ACTIVE"), "425": ("Freight & Courier", "EXPENSE", "ACTIVE"),
    }
    assert accounts["091"]["EnablePaymentsToAccount"] is True and accounts["092"]["EnablePaymentsToAccount"] is True
    assert accounts["090"]["AccountID"] == "3d0e3c61-5d38-4a5e-9c52-0a6f3f0d0901"
    contacts = _bodies(sandbox, XERO, "Contact", "Name")
    assert contacts["深圳市联华贸易有限公司"]["ContactID"] == "7b1d5c3a-0e2f-4d6b-8a9c-1f2e3d4c5b02"
    assert contacts["株式会社サクラ商事"]["IsSupplier"] is True
    assert contacts["Defunct Imports Pty Ltd"]["ContactStatus"] == "ARCHIVED"
    assert len(contacts) == 9
    invoices = _bodies(sandbox, XERO, "Invoice", "InvoiceNumber")
    assert {k: (i["Type"], i["Total"], i["Status"]) for k, i in invoices.items()} == {
        "BILL-1042": ("ACCPAY", 1200, "AUTHORISED"), "BILL-1043": ("ACCPAY", 8800, "AUTHORISED"),
        "INV-2001": ("ACCREC", Decimal("487.13"), "AUTHORISED"), "INV-2002": ("ACCREC", 12000, "AUTHORISED")}
    rates = _bodies(sandbox, XERO, "TaxRate", "TaxType")
    assert {k: r["EffectiveRate"] for k, r in rates.items()} == {
        "OUTPUT": Decimal("8.25"), "INPUT": Decimal("8.25"), "NONE": 0, "OUTPUT2": 20, "INPUT2": 20}
