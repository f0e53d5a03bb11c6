"""Payload -> official SDK object -> payload loses nothing (python-quickbooks 0.9.12, xero-python 15.x).

What the SDKs do with a payload, and what that means for the connectors:

* python-quickbooks ``from_json`` keeps every field and value (Decimals stay Decimals); ``to_dict`` gives
  them back, plus the class defaults the SDK adds (``DocNumber: ""``, ``TotalAmt: 0``, ``ExchangeRate: 0``
  on a CreditMemo, ``name: ""`` on refs...). Its ``to_json`` would send those defaults and write Decimals as
  strings, so a connector posts ``mapping.wire.dumps(bind(payload, ids))`` through
  ``QuickBooks.create_object(type, body, request_id=key)`` instead of ``obj.save()``.
* xero-python reads the wire text (``json.loads(..., parse_float=Decimal)``) into its models exactly,
  including the ``/Date(ms)/`` dates, and writes them back with ``float(Decimal)``: exact for the at most
  15 significant digits the mapping allows, which this test checks value by value. It adds only the
  read-only flags ``HasAttachments``/``HasErrors`` (credit note) and ``HasAccount``/
  ``HasValidationErrors`` (payment), all ``false``.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from quickbooks.objects import BillPayment, CreditMemo, Deposit, Payment, RefundReceipt, VendorCredit
from xero_python.accounting.models import __name__ as xero_models_name
from xero_python.api_client import ApiClient, ModelFinder
from xero_python.api_client.serializer import serialize

from config.tenants import Provider, TenantConfig
from mapping.case import RefundCase
from mapping.plan import PlannedDocument, plan_case
from mapping.wire import dumps
from tests.mapping.helpers import GOLDEN_DIR, tenant
from tests.mapping.strategies import cases

QBO_CLASSES = {c.qbo_object_name: c for c in (VendorCredit, CreditMemo, RefundReceipt, Deposit, BillPayment, Payment)}
XERO_COLLECTIONS = {"CreditNote": "CreditNotes", "Payment": "Payments", "Allocation": "Allocations"}
#: Read-only flags xero-python's models default to False and write back; Xero ignores them on input.
XERO_SDK_DEFAULTS = {"CreditNote": {"HasAttachments", "HasErrors"}, "Payment": {"HasAccount", "HasValidationErrors"},
                     "Allocation": set()}


class _Response:
    """What xero-python's ApiClient.deserialize reads: the response text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = text


def is_kept(original: Any, returned: Any, path: str = "$") -> list[str]:
    """Where ``returned`` lost or changed something of ``original`` (extra fields in ``returned`` are fine)."""
    if isinstance(original, dict):
        if not isinstance(returned, dict):
            return [f"{path}: became {type(returned).__name__}"]
        lost = [f"{path}.{k}: missing" for k in original if k not in returned]
        return lost + [p for k in original if k in returned for p in is_kept(original[k], returned[k], f"{path}.{k}")]
    if isinstance(original, list):
        if not isinstance(returned, list) or len(returned) != len(original):
            return [f"{path}: list changed"]
        pairs = enumerate(zip(original, returned, strict=True))
        return [p for i, (a, b) in pairs for p in is_kept(a, b, f"{path}[{i}]")]
    if isinstance(original, Decimal):
        if isinstance(returned, float):  # xero-python writes Decimal as float: must still be the same number
            returned = Decimal(repr(returned))
        if not isinstance(returned, Decimal | int) or Decimal(returned) != original:
            return [f"{path}: {original!r} became {returned!r}"]
        return []
    if type(original) is not type(returned) or original != returned:
        return [f"{path}: {original!r} became {returned!r}"]
    return []


def qbo_round_trip(doc: PlannedDocument) -> list[str]:
    obj = QBO_CLASSES[doc.type].from_json(copy.deepcopy(doc.payload))
    return is_kept(doc.payload, obj.to_dict())


def xero_round_trip(doc: PlannedDocument) -> list[str]:
    collection = XERO_COLLECTIONS[doc.type]
    text = dumps({collection: [doc.payload]})  # the wire text, as a response body the SDK reads
    model = ApiClient().deserialize(_Response(text), collection, ModelFinder(_xero_models()))
    back = serialize(model)[collection][0]
    lost = is_kept(doc.payload, back)
    extra = sorted(set(back) - set(doc.payload) - XERO_SDK_DEFAULTS[doc.type])
    return lost + [f"$.{k}: added by the SDK" for k in extra]


def _xero_models() -> Any:
    import importlib

    return importlib.import_module(xero_models_name)


def round_trip(doc: PlannedDocument) -> list[str]:
    return qbo_round_trip(doc) if doc.provider is Provider.QUICKBOOKS else xero_round_trip(doc)


def test_golden_payloads_survive_both_sdks() -> None:
    from mapping.validation import validate_payload

    seen = set()
    for path in sorted((GOLDEN_DIR / "cases").glob("*.json")):
        case = validate_payload(path.read_text(encoding="utf-8")).case
        assert case is not None
        try:
            plan = plan_case(case, tenant(case.tenant))
        except Exception:
            continue
        for doc in plan.documents:
            assert round_trip(doc) == [], (path.name, doc.type)
            seen.add((doc.provider.value, doc.type))
    assert len(seen) == 9  # six QBO types, three Xero types


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_any_payload_survives_its_sdk(drawn: tuple[RefundCase, TenantConfig]) -> None:
    case, tenant_config = drawn
    for doc in plan_case(case, tenant_config).documents:
        assert round_trip(doc) == []


def test_the_round_trip_check_catches_a_lost_or_changed_value() -> None:
    assert is_kept({"a": Decimal("42.50"), "b": [1]}, {"a": 42.5, "b": [1], "c": 0}) == []
    assert is_kept({"a": Decimal("42.50")}, {"a": "42.50"}) != []
    assert is_kept({"a": Decimal("0.10")}, {"a": 0.1000000001}) != []
    assert is_kept({"a": {"b": 1}}, {"a": {}}) == ["$.a.b: missing"]
    assert is_kept({"a": [1, 2]}, {"a": [1]}) == ["$.a: list changed"]


def test_xero_python_sends_our_amounts_exactly() -> None:
    """The bytes xero-python itself would send for a payload carry the same numbers."""
    plan = plan_case(
        RefundCase.model_validate(json.loads((GOLDEN_DIR / "cases" / "15-xero-customer-store-credit-vat.json")
                                             .read_text(encoding="utf-8"))),
        tenant("demo-xero"),
    )
    doc = plan.documents[0]
    model = ApiClient().deserialize(_Response(dumps({"CreditNotes": [doc.payload]})), "CreditNotes",
                                    ModelFinder(_xero_models()))
    sent = json.loads(json.dumps(serialize(model)), parse_float=Decimal)["CreditNotes"][0]
    assert is_kept(doc.payload, sent) == []
    assert sent["LineItems"][0]["TaxAmount"] == Decimal("5.56")
