"""Line items and totals of Xero invoices and credit notes, in exact Decimal arithmetic.

LineAmount = Quantity x UnitAmount rounded to cents; tax per line from the line's TaxType rate
(Exclusive: amount x rate; Inclusive: amount x rate / (100 + rate); NoTax: 0), rounded to cents;
SubTotal, TotalTax and Total follow from the lines. Account codes must exist, not be archived, and not
be bank accounts; tracking must name an active category and option.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.sandbox import wire
from connectors.sandbox.xero.books import XeroBooks, money

LINE_AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")
HUNDRED = Decimal("100")


def amount(value: Any, field: str, errors: list[str]) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return wire.to_decimal(value)
    except wire.WireError:
        errors.append(f"{field} must be a number")
        return None


def build_lines(
    books: XeroBooks,
    raw_lines: Any,
    line_amount_types: str,
    require_accounts: bool,
    errors: list[str],
    id_source: Any,
) -> list[dict[str, Any]]:
    """Validated, computed line items (errors appended for the caller to report)."""
    if raw_lines is None:
        raw_lines = []
    if not isinstance(raw_lines, list):
        errors.append("LineItems must be a list")
        return []
    lines: list[dict[str, Any]] = []
    for raw in raw_lines:
        if not isinstance(raw, dict):
            errors.append("Each line item must be an object")
            continue
        lines.append(_line(books, raw, line_amount_types, require_accounts, errors, id_source))
    return lines


def _line(
    books: XeroBooks,
    raw: dict[str, Any],
    line_amount_types: str,
    require_accounts: bool,
    errors: list[str],
    id_source: Any,
) -> dict[str, Any]:
    quantity = amount(raw.get("Quantity"), "Quantity", errors)
    unit = amount(raw.get("UnitAmount"), "UnitAmount", errors)
    given_line_amount = amount(raw.get("LineAmount"), "LineAmount", errors)
    if quantity is None:
        quantity = Decimal("1")
    if unit is None and given_line_amount is not None and quantity != 0:
        unit = given_line_amount / quantity
    line_amount = money(quantity * unit) if unit is not None else Decimal("0.00")
    line: dict[str, Any] = {"LineItemID": str(raw.get("LineItemID") or id_source.uuid())}
    if raw.get("Description") not in (None, ""):
        line["Description"] = str(raw["Description"])
    line["Quantity"] = quantity
    line["UnitAmount"] = unit if unit is not None else Decimal("0")
    if raw.get("ItemCode"):
        line["ItemCode"] = str(raw["ItemCode"])
    code = str(raw.get("AccountCode") or "")
    account = None
    if raw.get("AccountID") and not code:
        account = books.account_by_id(str(raw["AccountID"]))
        code = str(account.body.get("Code", "")) if account else ""
        if account is None:
            errors.append(f"Account ID '{raw['AccountID']}' is not a valid account for this document.")
    if code:
        account = books.account_by_code(code)
        if account is None or account.body.get("Type") == "BANK":
            errors.append(f"Account code '{code}' is not a valid code for this document.")
            account = None
        elif account.body.get("Status") != "ACTIVE":
            errors.append(
                f"Account code '{code}' has been archived, or has been deleted. Each line item must "
                "reference a valid account."
            )
            account = None
        line["AccountCode"] = code
        if account is not None:
            line["AccountID"] = account.body["AccountID"]
    elif require_accounts:
        errors.append("Account code must be specified for each line item when the document is approved.")
    tax_type = str(raw.get("TaxType") or (account.body.get("TaxType") if account else "") or "NONE")
    rate = _rate(books, tax_type, errors)
    if line_amount_types == "NoTax":
        tax = Decimal("0.00")
    elif line_amount_types == "Inclusive":
        tax = money(line_amount * rate / (HUNDRED + rate))
    else:
        tax = money(line_amount * rate / HUNDRED)
    given_tax = amount(raw.get("TaxAmount"), "TaxAmount", errors)
    if given_tax is not None and abs(given_tax - tax) <= Decimal("0.01"):
        tax = money(given_tax)
    line["TaxType"] = tax_type
    line["TaxAmount"] = tax
    line["LineAmount"] = line_amount
    line["Tracking"] = _tracking(books, raw.get("Tracking"), errors)
    return line


def _rate(books: XeroBooks, tax_type: str, errors: list[str]) -> Decimal:
    if tax_type == "NONE":
        return Decimal("0")
    rate = books.tax_rate(tax_type)
    if rate is None or rate.body.get("Status") != "ACTIVE":
        errors.append(f"The TaxType code '{tax_type}' does not exist or cannot be used with this type of transaction.")
        return Decimal("0")
    return wire.to_decimal(rate.body.get("EffectiveRate", 0))


def _tracking(books: XeroBooks, raw: Any, errors: list[str]) -> list[dict[str, Any]]:
    if not raw:
        return []
    if not isinstance(raw, list):
        errors.append("Tracking must be a list")
        return []
    if len(raw) > 2:
        errors.append("A line item can have at most two tracking categories.")
    out: list[dict[str, Any]] = []
    for item in raw:
        name = str((item or {}).get("Name", ""))
        option = str((item or {}).get("Option", ""))
        category = next(
            (
                d
                for d in books.docs("TrackingCategory")
                if str(d.body.get("Name", "")).lower() == name.lower() and d.body.get("Status") == "ACTIVE"
            ),
            None,
        )
        chosen = None
        if category is not None:
            chosen = next(
                (
                    o
                    for o in category.body.get("Options", [])
                    if str(o.get("Name", "")).lower() == option.lower() and o.get("Status") == "ACTIVE"
                ),
                None,
            )
        if category is None or chosen is None:
            errors.append(f"The Tracking Category '{name}' with option '{option}' could not be found or is not active.")
            continue
        out.append(
            {
                "Name": category.body["Name"],
                "Option": chosen["Name"],
                "TrackingCategoryID": category.body["TrackingCategoryID"],
                "TrackingOptionID": chosen["TrackingOptionID"],
            }
        )
    return out


def totals(lines: list[dict[str, Any]], line_amount_types: str) -> tuple[Decimal, Decimal, Decimal]:
    """(SubTotal, TotalTax, Total)."""
    line_sum = sum((ln["LineAmount"] for ln in lines), Decimal("0.00"))
    tax = sum((ln["TaxAmount"] for ln in lines), Decimal("0.00"))
    sub_total = line_sum - tax if line_amount_types == "Inclusive" else line_sum
    return money(sub_total), money(tax), money(sub_total + tax)
