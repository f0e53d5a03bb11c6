"""Contacts: resolving the Contact of a document, and creating/updating contacts.

A document may name its contact by ContactID or by Name. An unknown name creates the contact (as
Xero does) - but only once the document itself is valid, hence the deferred ``() -> Document``.
An archived contact cannot be used on a new document.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from connectors.sandbox.store import Document
from connectors.sandbox.xero.books import ZERO_ID, XeroBooks, echo

ARCHIVED_MESSAGE = "The contact '{name}' has been archived. Archived contacts cannot be used on new transactions."


def resolve_contact(books: XeroBooks, raw: Any, errors: list[str]) -> Callable[[], Document] | None:
    if not isinstance(raw, dict) or not (raw.get("ContactID") or raw.get("Name")):
        errors.append("A Contact must be specified for this type of transaction")
        return None
    contact_id = str(raw.get("ContactID") or "")
    if contact_id and contact_id != ZERO_ID:
        found = books.find("Contact", "ContactID", contact_id)
        if found is None:
            errors.append(f"The contact with ContactID '{contact_id}' could not be found.")
            return None
    else:
        found = books.contact_by_name(str(raw["Name"]))
    if found is not None:
        if found.body.get("ContactStatus") == "ARCHIVED":
            errors.append(ARCHIVED_MESSAGE.format(name=found.body.get("Name", "")))
            return None
        doc = found
        return lambda: doc
    name = str(raw["Name"]).strip()

    def create() -> Document:
        return _store_contact(books, {"Name": name})

    return create


def _store_contact(books: XeroBooks, raw: dict[str, Any]) -> Document:
    contact_id = books.state.ids.uuid()
    body: dict[str, Any] = {
        "ContactID": contact_id,
        "ContactStatus": "ACTIVE",
        "Name": str(raw["Name"]).strip(),
    }
    for key in (
        "FirstName",
        "LastName",
        "EmailAddress",
        "ContactNumber",
        "AccountNumber",
        "TaxNumber",
        "DefaultCurrency",
    ):
        if raw.get(key) not in (None, ""):
            body[key] = str(raw[key])
    body.update(
        {
            "Addresses": [],
            "Phones": [],
            "UpdatedDateUTC": books.now_ms(),
            "ContactGroups": [],
            "IsSupplier": bool(raw.get("IsSupplier", False)),
            "IsCustomer": bool(raw.get("IsCustomer", False)),
            "ContactPersons": [],
            "HasAttachments": False,
            "HasValidationErrors": False,
        }
    )
    return books.company.put("Contact", contact_id, body)


def save_contact(books: XeroBooks, raw: Any, allow_update: bool) -> tuple[dict[str, Any], list[str], str | None]:
    """(body, errors, stored id) for one contact of a PUT/POST /Contacts."""
    if not isinstance(raw, dict):
        return (
            {"ValidationErrors": [{"Message": "The contact must be a JSON object"}]},
            ["not an object"],
            None,
        )
    errors: list[str] = []
    contact_id = str(raw.get("ContactID") or "")
    existing = books.find("Contact", "ContactID", contact_id) if contact_id else None
    if contact_id and existing is None:
        errors.append(f"The contact with ContactID '{contact_id}' could not be found.")
    if existing is not None and not allow_update:
        errors.append("This contact already exists; use POST to update it.")
    name = str(raw.get("Name") or (existing.body.get("Name") if existing else "") or "").strip()
    if not name:
        errors.append("The contact name must be specified.")
    elif len(name) > 255:
        errors.append("The contact name must be 255 characters or fewer.")
    else:
        clash = books.contact_by_name(name)
        if (
            clash is not None
            and (existing is None or clash.id != existing.id)
            and clash.body.get("ContactStatus") == "ACTIVE"
        ):
            errors.append(
                f"The contact name {name} is already assigned to another contact. The contact name "
                "must be unique across all active contacts."
            )
    status = str(raw.get("ContactStatus") or (existing.body.get("ContactStatus") if existing else "ACTIVE"))
    if status not in ("ACTIVE", "ARCHIVED"):
        errors.append("ContactStatus must be ACTIVE or ARCHIVED.")
    if errors:
        body = {k: v for k, v in echo(raw).items() if k not in ("ValidationErrors", "HasValidationErrors")}
        body["HasValidationErrors"] = True
        body["ValidationErrors"] = [{"Message": m} for m in errors]
        return body, errors, None
    if existing is None:
        doc = _store_contact(books, {**raw, "Name": name})
        doc.body["ContactStatus"] = status
        return doc.body, [], doc.id
    body = copy.deepcopy(existing.body)
    body["Name"] = name
    body["ContactStatus"] = status
    for key in (
        "FirstName",
        "LastName",
        "EmailAddress",
        "ContactNumber",
        "AccountNumber",
        "TaxNumber",
        "IsSupplier",
        "IsCustomer",
        "DefaultCurrency",
    ):
        if key in raw:
            body[key] = raw[key]
    body["UpdatedDateUTC"] = books.now_ms()
    books.company.put("Contact", existing.id, body)
    return body, [], existing.id
