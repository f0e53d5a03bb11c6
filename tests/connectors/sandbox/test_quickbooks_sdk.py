"""python-quickbooks 0.9.12 against the sandbox, unchanged except for its base URL: create a
VendorCredit, a CreditMemo and a RefundReceipt, then read them back through query, CDC and batch."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from quickbooks.batch import BatchManager
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import QuickbooksException, ValidationException
from quickbooks.objects.base import Ref
from quickbooks.objects.billpayment import BillPayment, BillPaymentLine, CheckPayment
from quickbooks.objects.creditmemo import CreditMemo
from quickbooks.objects.deposit import Deposit, DepositLine, DepositLineDetail
from quickbooks.objects.detailline import (
    AccountBasedExpenseLine,
    AccountBasedExpenseLineDetail,
    SalesItemLine,
    SalesItemLineDetail,
)
from quickbooks.objects.refundreceipt import RefundReceipt
from quickbooks.objects.vendorcredit import VendorCredit

from connectors.sandbox.server import SandboxServer
from tests.connectors.sandbox.conftest import QBO


def ref(value: str) -> Ref:
    r = Ref()
    r.value = value
    return r


def vendor_credit(doc_number: str, amount: str, vendor: str = "56", account: str = "91") -> VendorCredit:
    vc = VendorCredit()
    vc.VendorRef = ref(vendor)
    vc.DocNumber = doc_number
    vc.PrivateNote = f"refund case {doc_number}"
    line = AccountBasedExpenseLine()
    line.Amount = Decimal(amount)
    line.Description = "returned lanterns"
    line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
    line.AccountBasedExpenseLineDetail.AccountRef = ref(account)
    vc.Line = [line]
    return vc


def sales_line(amount: str, item: str = "2") -> SalesItemLine:
    line = SalesItemLine()
    line.Amount = Decimal(amount)
    line.Description = "returned goods"
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = ref(item)
    return line


def credit_memo(doc_number: str, amount: str) -> CreditMemo:
    cm = CreditMemo()
    cm.CustomerRef = ref("3")
    cm.DocNumber = doc_number
    cm.Line = [sales_line(amount)]
    return cm


def refund_receipt(doc_number: str, amount: str) -> RefundReceipt:
    rr = RefundReceipt()
    rr.CustomerRef = ref("2")
    rr.DocNumber = doc_number
    rr.DepositToAccountRef = ref("35")
    rr.Line = [sales_line(amount)]
    return rr


def test_create_vendor_credit_credit_memo_refund_receipt_and_read_back(qb: Any) -> None:
    vc = vendor_credit("RF-1001", "42.50").save(qb=qb, request_id="rf-1001-vc")
    cm = credit_memo("RF-1002", "19.99").save(qb=qb, request_id="rf-1002-cm")
    rr = refund_receipt("RF-1003", "0.10").save(qb=qb, request_id="rf-1003-rr")

    assert (vc.TotalAmt, vc.Balance, vc.SyncToken) == (Decimal("42.50"), Decimal("42.50"), "0")
    assert vc.VendorRef.name == "Shenzhen Lianhua Trading Co."
    assert vc.APAccountRef.value == "33"
    assert vc.Line[0].AccountBasedExpenseLineDetail.AccountRef.name == "Purchase Returns and Refunds"
    assert (cm.TotalAmt, cm.RemainingCredit, cm.CustomerRef.name) == (Decimal("19.99"), Decimal("19.99"), "山田太郎")
    assert [line.DetailType for line in cm.Line] == ["SalesItemLineDetail", "SubTotalLineDetail"]
    assert (rr.TotalAmt, rr.DepositToAccountRef.name) == (Decimal("0.10"), "Checking")
    assert len({vc.Id, cm.Id, rr.Id}) == 3

    # read back by id, by DocNumber filter, and by a where clause on the change time
    assert VendorCredit.get(vc.Id, qb=qb).DocNumber == "RF-1001"
    found = VendorCredit.filter(DocNumber="RF-1001", qb=qb)
    assert [v.Id for v in found] == [vc.Id]
    assert [c.Id for c in CreditMemo.where("DocNumber IN ('RF-1002', 'nope')", qb=qb)] == [cm.Id]
    assert RefundReceipt.count("TotalAmt > '0.05'", qb=qb) == 1
    assert RefundReceipt.count("TotalAmt > '0.10'", qb=qb) == 0


def test_query_paging_and_ordering(qb: Any) -> None:
    for n in range(7):
        vendor_credit(f"RF-20{n:02d}", f"{n + 1}.00").save(qb=qb)
    page1 = VendorCredit.where("DocNumber LIKE 'RF-20%'", order_by="TotalAmt DESC", start_position=1,
                               max_results=3, qb=qb)
    page3 = VendorCredit.where("DocNumber LIKE 'RF-20%'", order_by="TotalAmt DESC", start_position=7,
                               max_results=3, qb=qb)
    assert [v.TotalAmt for v in page1] == [Decimal("7.00"), Decimal("6.00"), Decimal("5.00")]
    assert [v.DocNumber for v in page3] == ["RF-2000"]
    raw = qb.query("SELECT * FROM VendorCredit WHERE DocNumber LIKE 'RF-20%' STARTPOSITION 4 MAXRESULTS 2")
    assert raw["QueryResponse"]["startPosition"] == 4 and raw["QueryResponse"]["maxResults"] == 2
    empty = qb.query("SELECT * FROM VendorCredit WHERE DocNumber = 'none'")
    assert empty["QueryResponse"] == {}
    assert VendorCredit.count(qb=qb) == 7
    everything = VendorCredit.all(order_by="DocNumber", max_results=1000, qb=qb)
    assert [v.DocNumber for v in everything] == [f"RF-20{n:02d}" for n in range(7)]


def test_change_data_capture_reports_changes_and_deletions(sandbox: SandboxServer, qb: Any) -> None:
    since = datetime.now().astimezone() - timedelta(minutes=5)
    vc = vendor_credit("RF-3001", "10.00").save(qb=qb)
    gone = vendor_credit("RF-3002", "11.00").save(qb=qb)
    gone.delete(qb=qb)
    cm = credit_memo("RF-3003", "12.00").save(qb=qb)
    stamp = since.strftime("%Y-%m-%dT%H:%M:%S%z")
    stamp = stamp[:-2] + ":" + stamp[-2:]
    result = change_data_capture([VendorCredit, CreditMemo], stamp, qb=qb)
    by_id = {v.Id: v for v in result.VendorCredit}
    assert set(by_id) == {vc.Id, gone.Id}
    assert by_id[gone.Id].status == "Deleted"
    assert [c.Id for c in result.CreditMemo] == [cm.Id]
    raw = qb.change_data_capture("VendorCredit,Bill", stamp)
    responses = raw["CDCResponse"][0]["QueryResponse"]
    assert {v["Id"] for v in responses[0]["VendorCredit"]} == {vc.Id, gone.Id}
    assert responses[1] == {}  # the seeded bills are older than changedSince
    deleted = next(v for v in responses[0]["VendorCredit"] if v["Id"] == gone.Id)
    assert set(deleted) == {"domain", "status", "Id", "MetaData"}


def test_batch_create_with_per_item_fault_and_query(sandbox: SandboxServer, qb: Any) -> None:
    good = vendor_credit("RF-4001", "5.00")
    bad = vendor_credit("RF-4002", "6.00", account="9999")
    result = BatchManager("create").save([good, bad], qb=qb)
    assert [s.DocNumber for s in result.successes] == ["RF-4001"]
    assert len(result.faults) == 1
    error = result.faults[0].Error[0]
    assert (error.code, error.Message, error.element) == (
        "2500", "Invalid Reference Id", "Line.AccountBasedExpenseLineDetail.AccountRef")
    raw = qb.batch_operation('{"BatchItemRequest": [{"bId": "q1", "Query": "SELECT COUNT(*) FROM VendorCredit"},'
                             '{"bId": "q2", "Query": "SELECT * FROM VendorCredit WHERE DocNumber = \'RF-4001\'"}]}')
    items = {item["bId"]: item for item in raw["BatchItemResponse"]}
    assert items["q1"]["QueryResponse"] == {"totalCount": 1}
    assert items["q2"]["QueryResponse"]["VendorCredit"][0]["DocNumber"] == "RF-4001"
    assert len(sandbox.admin.documents(QBO, "VendorCredit")) == 1


def test_request_id_replays_first_response_and_writes_nothing(sandbox: SandboxServer, qb: Any) -> None:
    first = vendor_credit("RF-5001", "8.00").save(qb=qb, request_id="posting-5001")
    again = vendor_credit("RF-5001-OTHER", "9.00").save(qb=qb, request_id="posting-5001")
    assert (again.Id, again.DocNumber, again.TotalAmt) == (first.Id, "RF-5001", Decimal("8.00"))
    assert [d["body"]["DocNumber"] for d in sandbox.admin.documents(QBO, "VendorCredit")] == ["RF-5001"]
    log = [r for r in sandbox.admin.requests(company=QBO) if r["request_id"] == "posting-5001"]
    assert [r["outcome"] for r in log] == ["ok", "replayed"]


def test_sparse_update_stale_sync_token_and_delete(qb: Any) -> None:
    vc = vendor_credit("RF-6001", "30.00").save(qb=qb)
    vc.PrivateNote = "amended"
    updated = vc.save(qb=qb)
    assert (updated.SyncToken, updated.PrivateNote) == ("1", "amended")
    stale = VendorCredit.get(vc.Id, qb=qb)
    stale.SyncToken = "0"
    with pytest.raises(QuickbooksException) as err:
        stale.save(qb=qb)
    assert err.value.error_code == 5010
    qb.update_object("VendorCredit", f'{{"Id": "{vc.Id}", "SyncToken": "1", "sparse": true, "DocNumber": "RF-6001B"}}')
    assert VendorCredit.get(vc.Id, qb=qb).DocNumber == "RF-6001B"
    current = VendorCredit.get(vc.Id, qb=qb)
    current.delete(qb=qb)
    assert VendorCredit.filter(DocNumber="RF-6001B", qb=qb) == []


def test_deposit_bill_payment_and_void(sandbox: SandboxServer, qb: Any) -> None:
    deposit = Deposit()
    deposit.DepositToAccountRef = ref("35")
    line = DepositLine()
    line.Amount = Decimal("120.00")
    line.DepositLineDetail = DepositLineDetail()
    line.DepositLineDetail.AccountRef = ref("91")
    entity = ref("56")
    entity.type = "Vendor"
    line.DepositLineDetail.Entity = entity
    deposit.Line = [line]
    saved = deposit.save(qb=qb)
    assert saved.TotalAmt == Decimal("120.00")

    payment = BillPayment()
    payment.VendorRef = ref("59")
    payment.PayType = "Check"
    payment.TotalAmt = Decimal("100.00")
    payment.CheckPayment = CheckPayment()
    payment.CheckPayment.BankAccountRef = ref("35")
    bp_line = BillPaymentLine()
    bp_line.Amount = Decimal("100.00")
    bp_line.LinkedTxn = [{"TxnId": "132", "TxnType": "Bill"}]
    payment.Line = [bp_line]
    paid = payment.save(qb=qb)
    bill = sandbox.admin.document(QBO, "Bill", "132")["body"]
    assert bill["Balance"] == Decimal("215.50")
    paid.void(qb=qb)
    bill = sandbox.admin.document(QBO, "Bill", "132")["body"]
    assert bill["Balance"] == Decimal("315.50")
    voided = sandbox.admin.document(QBO, "BillPayment", paid.Id)["body"]
    assert (voided["TotalAmt"], voided["PrivateNote"]) == (Decimal("0"), "Voided")


def test_library_maps_validation_faults(qb: Any) -> None:
    vc = VendorCredit()
    vc.VendorRef = ref("56")
    with pytest.raises(ValidationException) as err:
        vc.save(qb=qb)
    assert (err.value.error_code, err.value.detail) == (2020, "Required parameter Line is missing in the request")


def test_names_and_open_documents_through_the_sdk(sandbox: SandboxServer, qb: Any) -> None:
    from quickbooks.objects.account import Account
    from quickbooks.objects.bill import Bill
    from quickbooks.objects.customer import Customer
    from quickbooks.objects.invoice import Invoice
    from quickbooks.objects.item import Item
    from quickbooks.objects.taxcode import TaxCode
    from quickbooks.objects.vendor import Vendor

    vendor = Vendor()
    vendor.DisplayName = "上海新供应商有限公司"
    vendor = vendor.save(qb=qb)
    customer = Customer()
    customer.GivenName, customer.FamilyName = "花子", "佐藤"
    customer = customer.save(qb=qb)
    assert customer.DisplayName == "花子 佐藤"
    account = Account()
    account.Name, account.AccountType, account.AcctNum = "Supplier Refunds Receivable", "Other Current Asset", "1400"
    account = account.save(qb=qb)
    assert (account.Classification, account.FullyQualifiedName) == ("Asset", "Supplier Refunds Receivable")
    item = Item()
    item.Name, item.Type = "Restocking Fee", "Service"
    item.IncomeAccountRef = ref("79")
    item = item.save(qb=qb)
    duplicate = Vendor()
    duplicate.DisplayName = "Acme Supplies Ltd"
    with pytest.raises(QuickbooksException) as err:
        duplicate.save(qb=qb)
    assert err.value.error_code == 6240

    bill = Bill()
    bill.VendorRef = ref(vendor.Id)
    bill.DocNumber = "BILL-9001"
    bill.Line = vendor_credit("x", "75.00", vendor=vendor.Id).Line
    bill = bill.save(qb=qb)
    invoice = Invoice()
    invoice.CustomerRef = ref(customer.Id)
    invoice.Line = [sales_line("120.00", item.Id)]
    invoice = invoice.save(qb=qb)
    assert (bill.Balance, invoice.Balance) == (Decimal("75.00"), Decimal("120.00"))
    assert [t.Name for t in TaxCode.all(qb=qb)] == ["California", "Out of scope"]
    assert {v.DisplayName for v in Vendor.all(qb=qb)} >= {"上海新供应商有限公司", "株式会社サクラ商事"}
    assert Vendor.get(vendor.Id, qb=qb).Balance == Decimal("75.00")


def test_cdc_reads_offsetless_timestamps_in_the_company_zone(sandbox: SandboxServer, qb: Any) -> None:
    """python-quickbooks formats CDC timestamps without an offset; Intuit reads them in the company's
    time zone (here America/Los_Angeles). A UTC wall-clock time then points hours into the future."""
    from datetime import UTC

    vendor_credit("RF-TZ", "3.00").save(qb=qb)
    utc_naive = datetime.now(tz=UTC).replace(tzinfo=None) - timedelta(minutes=5)
    nothing = change_data_capture([VendorCredit], utc_naive, qb=qb)  # read as LA time: hours in the future
    assert not hasattr(nothing, "VendorCredit")  # no changes: the entity's QueryResponse entry is empty
    aware = (datetime.now(tz=UTC) - timedelta(minutes=5)).isoformat()
    assert [v.DocNumber for v in change_data_capture([VendorCredit], aware, qb=qb).VendorCredit] == ["RF-TZ"]


def test_cdc_window_is_thirty_days(qb: Any) -> None:
    too_old = (datetime.now().astimezone() - timedelta(days=31)).isoformat()
    with pytest.raises(QuickbooksException) as err:
        qb.change_data_capture("VendorCredit", too_old)
    assert (err.value.error_code, err.value.detail) == (
        6000, "Business Validation Error: changedSince may not be more than 30 days ago")


def test_invoice_void_through_the_sdk(sandbox: SandboxServer, qb: Any) -> None:
    from quickbooks.objects.invoice import Invoice

    invoice = Invoice.get("141", qb=qb)
    invoice.void(qb=qb)
    voided = Invoice.get("141", qb=qb)
    assert (voided.TotalAmt, voided.Balance, voided.PrivateNote, voided.SyncToken) == (0, 0, "Voided", "1")
    assert sandbox.admin.document(QBO, "Customer", "3")["body"]["Balance"] == 0
