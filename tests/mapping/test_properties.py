"""Properties of every plan, for any case, currency and split the example tenants (and tax variants) allow."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.tenants import Provider, TenantConfig
from mapping.case import RefundCase
from mapping.compose import provider_places
from mapping.errors import MappingError, MappingErrorCode
from mapping.hashing import payload_hash
from mapping.limits import QBO_DOC_NUMBER_MAX, QBO_PAYMENT_REF_NUM_MAX, XERO_CREDIT_NOTE_NUMBER_MAX, XERO_REFERENCE_MAX
from mapping.parties import party_key
from mapping.placeholders import CREDIT_ID, ORIGINAL_ID, PARTY_ID, bind, find_placeholders
from mapping.plan import CasePlan, PlannedDocument, plan_case
from mapping.wire import dumps, find_floats
from tests.mapping.strategies import cases
from tests.support.conformance import qbo_unknown_elements, xero_schema_errors

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Decimals that are not money: quantities and exchange rates keep their own digits.
NOT_MONEY = {"Qty", "Quantity", "ExchangeRate", "CurrencyRate"}
IDS = {PARTY_ID: "58", CREDIT_ID: "1204", ORIGINAL_ID: "1042"}
XERO_IDS = {PARTY_ID: "5b4f7a4e-0f6c-4d37-9d47-3a4a2d1c9e11", CREDIT_ID: "0a8e3d6f-2b1c-4e5a-8f7d-6c9b1a2e3f40",
            ORIGINAL_ID: "7c2d9e4f-1a3b-4c5d-8e6f-9a0b1c2d3e4f"}


def _plan(case: RefundCase, tenant: TenantConfig) -> CasePlan:
    return plan_case(case, tenant)


def _credit_total(doc: PlannedDocument) -> Decimal:
    p = doc.payload
    if doc.provider is Provider.QUICKBOOKS:
        total = sum((line["Amount"] for line in p["Line"]), Decimal(0))
        return total + p.get("TxnTaxDetail", {}).get("TotalTax", Decimal(0))
    items = p["LineItems"]
    total = sum((item["LineAmount"] for item in items), Decimal(0))
    if p["LineAmountTypes"] == "Exclusive":
        total += sum((item["TaxAmount"] for item in items), Decimal(0))
    return total


def _settled_amounts(doc: PlannedDocument) -> list[Decimal]:
    p = doc.payload
    if doc.type in {"Deposit", "BillPayment"} or (doc.type == "Payment" and doc.provider is Provider.QUICKBOOKS):
        return [line["Amount"] for line in p["Line"]]
    return [p["Amount"]]


def _money(value: Any, key: str = "") -> list[tuple[str, Decimal]]:
    if isinstance(value, Decimal):
        return [] if key in NOT_MONEY else [(key, value)]
    if isinstance(value, dict):
        return [m for k, v in value.items() for m in _money(v, k)]
    if isinstance(value, list):
        return [m for v in value for m in _money(v, key)]
    return []


@PROPERTY_SETTINGS
@given(cases())
def test_lines_and_documents_add_up_to_the_case_amount_exactly(drawn: tuple[RefundCase, TenantConfig]) -> None:
    case, tenant = drawn
    result = _plan(case, tenant)
    credits = [d for d in result.documents if d.role == "credit"]
    assert sum((d.amount for d in credits), Decimal(0)) == case.amount
    places = provider_places(case.currency, tenant.provider)
    for doc in result.documents:
        if doc.role == "credit":
            assert _credit_total(doc) == doc.amount
        else:
            assert all(a == result.credit_of(doc).amount for a in _settled_amounts(doc))
        for key, amount in _money(doc.payload):
            assert amount.as_tuple().exponent == -places, (key, amount)
    # The intake creates one pending posting per case.parties(): the plan has exactly those parties.
    assert [party_key(p) for p in case.parties()] == [p.key for p in result.parties]
    for entry in result.entries:
        assert sum((line.gross for line in entry.lines), Decimal(0)) == entry.amount
        for line in entry.lines:
            assert line.net + (line.tax or 0) == line.gross


@PROPERTY_SETTINGS
@given(cases())
def test_payloads_hold_no_float_and_survive_the_wire_unchanged(drawn: tuple[RefundCase, TenantConfig]) -> None:
    case, tenant = drawn
    for doc in _plan(case, tenant).documents:
        assert find_floats(doc.payload) == []
        reparsed = json.loads(dumps(doc.payload), parse_float=Decimal)
        assert reparsed == doc.payload
        assert payload_hash(reparsed) == doc.payload_hash == payload_hash(doc.payload)
        assert find_placeholders(doc.payload) | find_placeholders(doc.path) == doc.placeholders


@PROPERTY_SETTINGS
@given(cases())
def test_every_tag_fits_its_field_and_no_two_documents_share_one(drawn: tuple[RefundCase, TenantConfig]) -> None:
    case, tenant = drawn
    result = _plan(case, tenant)
    tags = [d.tag for d in result.documents if d.tag is not None]
    assert len(tags) == len(set(tags))
    for doc in result.documents:
        p = doc.payload
        if doc.provider is Provider.QUICKBOOKS:
            if doc.type == "Payment":
                assert len(p["PaymentRefNum"]) <= QBO_PAYMENT_REF_NUM_MAX
            else:
                assert len(p["DocNumber"]) <= QBO_DOC_NUMBER_MAX
            assert case.case_id in p["PrivateNote"]
        elif doc.type == "CreditNote":
            assert len(p["CreditNoteNumber"]) <= XERO_CREDIT_NOTE_NUMBER_MAX
            assert len(p["Reference"]) <= XERO_REFERENCE_MAX
            assert all(case.case_id in item["Description"] for item in p["LineItems"])
        elif doc.type == "Payment":
            assert len(p["Reference"]) <= XERO_REFERENCE_MAX
    later = _plan(case.model_copy(update={"revision": case.revision + 1}), tenant)
    assert not set(tags) & {d.tag for d in later.documents if d.tag is not None}


@PROPERTY_SETTINGS
@given(cases())
def test_every_payload_uses_only_what_the_provider_schema_defines(drawn: tuple[RefundCase, TenantConfig]) -> None:
    case, tenant = drawn
    for doc in _plan(case, tenant).documents:
        if doc.provider is Provider.XERO:
            assert xero_schema_errors(doc.type, doc.payload) == []
            assert xero_schema_errors(doc.type, bind(doc.payload, XERO_IDS)) == []
        else:
            assert qbo_unknown_elements(doc.type, doc.payload) == []
            assert qbo_unknown_elements(doc.type, {doc.type: bind(doc.payload, IDS)}) == []


@PROPERTY_SETTINGS
@given(cases(postable=False))
def test_an_amount_is_refused_exactly_when_the_provider_cannot_store_it(
    drawn: tuple[RefundCase, TenantConfig],
) -> None:
    case, tenant = drawn
    quantum = Decimal(1).scaleb(-provider_places(case.currency, tenant.provider))
    fits = all(a % quantum == 0 for a in [case.amount, *(line.amount for line in case.lines)])
    try:
        _plan(case, tenant)
    except MappingError as exc:
        assert exc.code is MappingErrorCode.AMOUNT_PRECISION and not fits
    else:
        assert fits


@settings(max_examples=60, deadline=None)
@given(cases(), st.randoms())
def test_the_plan_does_not_depend_on_anything_but_the_case_and_the_mapping(
    drawn: tuple[RefundCase, TenantConfig], rnd: Any
) -> None:
    case, tenant = drawn
    first = _plan(case, tenant)
    # Rebuild the case from its own JSON with keys in a random order: same revision, same plan.
    data = json.loads(case.model_dump_json())
    keys = list(data)
    rnd.shuffle(keys)
    again = RefundCase.model_validate({k: data[k] for k in keys})
    second = _plan(again, tenant)
    assert [(d.key, d.tag, d.payload_hash) for d in first.documents] == [
        (d.key, d.tag, d.payload_hash) for d in second.documents]
