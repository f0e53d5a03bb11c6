"""Read-only company facts a connector checks before posting: CompanyInfo and Preferences.

They are built from the company's sandbox preferences (home currency, closed-books date, AP account,
duplicate-number enforcement) and passed through the XSD cleaner so they only use Intuit's names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.sandbox.quickbooks.schema import clean_entity
from connectors.sandbox.quickbooks.times import entity_time

if TYPE_CHECKING:
    from connectors.sandbox.quickbooks.documents import QboBooks


def company_facts(books: QboBooks) -> dict[str, dict[str, Any]]:
    company = books.company
    prefs = company.preferences
    created = entity_time(company.created, books.zone)
    meta = {"CreateTime": created, "LastUpdatedTime": created}
    info: dict[str, Any] = {
        "CompanyName": company.display_name,
        "LegalName": prefs.get("legal_name", company.display_name),
        "CompanyAddr": {
            "Line1": "2600 Marine Way",
            "City": "Mountain View",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "94043",
            "Country": "US",
        },
        "Country": prefs.get("country", "US"),
        "FiscalYearStartMonth": prefs.get("fiscal_year_start_month", "January"),
        "SupportedLanguages": "en",
        "DefaultTimeZone": prefs.get("timezone", "America/Los_Angeles"),
        "Id": "1",
        "SyncToken": "0",
        "MetaData": meta,
        "domain": "QBO",
        "sparse": False,
    }
    accounting: dict[str, Any] = {
        "UseAccountNumbers": True,
        "TrackDepartments": False,
        "ClassTrackingPerTxn": False,
    }
    if prefs.get("books_closed_date"):
        accounting["BookCloseDate"] = prefs["books_closed_date"]
    if prefs.get("ap_account_id"):
        accounting["DefaultAPAccount"] = {"value": str(prefs["ap_account_id"])}
    preferences: dict[str, Any] = {
        "AccountingInfoPrefs": accounting,
        "SalesFormsPrefs": {
            "CustomTxnNumbers": bool(prefs.get("enforce_unique_doc_number", True)),
            "AllowDiscount": True,
            "AllowShipping": False,
        },
        "VendorAndPurchasesPrefs": {"BillableExpenseTracking": False},
        "CurrencyPrefs": {
            "MultiCurrencyEnabled": bool(prefs.get("multicurrency", False)),
            "HomeCurrency": {"value": books.home_currency},
        },
        "Id": "1",
        "SyncToken": "0",
        "MetaData": meta,
        "domain": "QBO",
        "sparse": False,
    }
    return {
        "CompanyInfo": clean_entity("CompanyInfo", info)[0],
        "Preferences": clean_entity("Preferences", preferences)[0],
    }
