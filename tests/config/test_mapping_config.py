"""The mapping section: the example file loads, and every kind of mistake is reported with its path."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from config.errors import ConfigError
from config.mapping import TAG_FIELDS, MappingConfig, Ref, template_fields
from config.tenants import Provider, TenantConfig, load_tenants, parse_tenants
from tests.mapping.helpers import EXAMPLE_TENANTS, raw_example


def test_example_file_declares_both_demo_companies_with_every_reason_and_method() -> None:
    tenants = load_tenants(EXAMPLE_TENANTS)
    assert set(tenants.tenants) == {"demo-qbo", "demo-xero"}
    qbo, xero = tenants.get("demo-qbo"), tenants.get("demo-xero")
    assert qbo.provider is Provider.QUICKBOOKS and qbo.realm_id == "9130355377389516"
    assert qbo.base_url.startswith("http://127.0.0.1:")
    assert xero.provider is Provider.XERO and xero.tenant_id and len(xero.tenant_id) == 36
    reasons = {"DAMAGED", "WRONG_ITEM", "NOT_RECEIVED", "PRICE_ADJUSTMENT", "QUALITY", "OTHER"}
    for t in (qbo, xero):
        assert isinstance(t.mapping, MappingConfig)
        assert set(t.mapping.kinds) == {"vendor_refund", "customer_refund"}
        for kind in t.mapping.kinds.values():
            assert set(kind.reasons) == reasons
        assert set(t.mapping.payment_methods) == {"bank_transfer", "card", "platform_balance"}
    assert qbo.mapping.kinds["vendor_refund"].target_for("DAMAGED").account == Ref(id="93", name=(
        "Purchase returns - damaged goods"))
    assert xero.mapping.kinds["vendor_refund"].target_for("DAMAGED").account == Ref(ref="310")
    assert xero.mapping.tax.codes["OUTPUT2"].rate == Decimal(20)
    assert qbo.mapping.currencies.rates["EUR"] == Decimal("1.0832")


def test_reason_override_falls_back_to_the_kind_default_field_by_field() -> None:
    xero = load_tenants(EXAMPLE_TENANTS).get("demo-xero")
    target = xero.mapping.kinds["customer_refund"].target_for("PRICE_ADJUSTMENT")
    assert target.account == Ref(ref="260") and target.tax_code == "OUTPUT2"
    unknown = xero.mapping.kinds["customer_refund"].target_for("NOT_A_REASON")
    assert unknown.account == Ref(ref="200")


def test_a_tenant_without_mapping_is_valid_and_empty() -> None:
    tenant = TenantConfig(name="bare", provider=Provider.XERO, tenant_id="x")
    assert tenant.mapping.kinds == {}


Edit = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Edit:
    def edit(mapping: dict[str, Any]) -> None:
        node = mapping
        keys = path.split(".")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value

    return edit


def _delete(path: str) -> Edit:
    def edit(mapping: dict[str, Any]) -> None:
        node = mapping
        keys = path.split(".")
        for key in keys[:-1]:
            node = node[key]
        del node[keys[-1]]

    return edit


def _both(first: Edit, second: Edit) -> Edit:
    def edit(mapping: dict[str, Any]) -> None:
        first(mapping)
        second(mapping)

    return edit


# (tenant, edit, field path in the error, text the message must contain)
BAD_MAPPINGS: list[tuple[str, Edit, str, str]] = [
    ("demo-qbo", _set("kinds.vendor_refunds", {}), "mapping.kinds.vendor_refunds", "vendor_refund"),
    ("demo-qbo", _set("kinds.vendor_refund.account", {"code": "300"}), "mapping.kinds.vendor_refund.account",
     "by id"),
    ("demo-xero", _set("kinds.vendor_refund.account", {"id": "80"}), "mapping.kinds.vendor_refund.account",
     "by code"),
    ("demo-qbo", _set("kinds.vendor_refund.account", {"id": "Cost of goods"}),
     "mapping.kinds.vendor_refund.account", "is a number"),
    ("demo-xero", _set("kinds.vendor_refund.account", 300), "mapping.kinds.vendor_refund.account", "quoted"),
    ("demo-qbo", _set("kinds.vendor_refund.account", {"id": "80", "code": "80"}),
     "mapping.kinds.vendor_refund.account", "exactly one"),
    ("demo-qbo", _set("kinds.vendor_refund.reasons.DAMAGED.tax_code", "GST"),
     "mapping.kinds.vendor_refund.reasons.DAMAGED.tax_code", "not declared"),
    ("demo-qbo", _set("kinds.customer_refund.account", {"id": "80"}), "mapping.kinds.customer_refund.account",
     "item"),
    ("demo-qbo", _set("kinds.vendor_refund.item", {"id": "21"}), "mapping.kinds.vendor_refund.item", "account"),
    ("demo-qbo", _set("kinds.vendor_refund.reasons.bad code", {}), "mapping.kinds.vendor_refund.reasons",
     "letters, digits"),
    ("demo-qbo", _set("payment_methods.card", {"account": {"id": "36"}, "fee": 1}),
     "mapping.payment_methods.card.fee", "Extra inputs"),
    ("demo-xero", _set("payment_methods.card.qbo_payment_method", "3"),
     "mapping.payment_methods.card.qbo_payment_method", "quickbooks tenants only"),
    ("demo-qbo", _set("currencies.accepted", ["EUR", "eur"]), "mapping.currencies.accepted", "eur"),
    ("demo-qbo", _set("currencies.rates.EUR", "-1"), "mapping.currencies.rates", "greater than zero"),
    ("demo-qbo", _set("currencies.rates.EUR", "1e3"), "mapping.currencies.rates", "plain decimal"),
    ("demo-qbo", _set("currencies.rates.GBP", "1.27"), "mapping.currencies.rates.GBP", "not in"),
    ("demo-qbo", _set("currencies.rates.USD", "1"), "mapping.currencies.rates.USD", "home currency"),
    ("demo-qbo", _set("parties.match", ["fuzzy"]), "mapping.parties.match[0]", "normalised_name"),
    ("demo-qbo", _set("parties.match", []), "mapping.parties.match", "at least one"),
    ("demo-qbo", _set("tags.doc_number", "{order_number}"), "mapping.tags.doc_number", "{case_id}"),
    ("demo-qbo", _set("tags.memo", "{case_id} {vendor}"), "mapping.tags.memo", "{party_name}"),
    ("demo-qbo", _set("tags.memo", "{case_id:>10}"), "mapping.tags.memo", "format spec"),
    ("demo-qbo", _set("tags.memo", "{case_id"), "mapping.tags.memo", "not a valid template"),
    ("demo-qbo", _set("tags.doc_number", "{case_id} {party_name}"), "mapping.tags.doc_number", "allowed fields"),
    ("demo-xero", _set("tags.line_description", "{description}"), "mapping.tags.line_description",
     "no private note"),
    ("demo-qbo", _set("tax.amounts", "gross"), "mapping.tax.amounts", "inclusive"),
    ("demo-qbo", _set("tax.amounts", "inclusive"), "mapping.tax.codes.NON.rate", "net of tax"),
    ("demo-xero", _both(_set("tax.amounts", "exclusive"), _set("tax.codes.EXEMPT", None)),
     "mapping.tax.codes.EXEMPT.rate", "exclusive lines"),
    ("demo-xero", _set("tax.codes.OUTPUT2.rate", "120"), "mapping.tax.codes.OUTPUT2.rate", "percentage"),
    ("demo-qbo", _delete("quickbooks.ap_account"), "mapping.quickbooks.ap_account", "cash refunds"),
    ("demo-qbo", _delete("quickbooks.bill_payment_account"), "mapping.quickbooks.bill_payment_account",
     "BillPayment"),
    ("demo-qbo", _set("quickbooks.class.source", "vendor_name"), "mapping.quickbooks.class.source", "reason_code"),
    ("demo-qbo", _set("quickbooks.class.values.vendor_refund", "Purchasing"),
     "mapping.quickbooks.class.values.vendor_refund", "Id"),
    ("demo-qbo", _set("quickbooks.department", {"source": "kind", "default": "HQ"}),
     "mapping.quickbooks.department.default", "Id"),
    ("demo-qbo", _set("payment_methods.card.qbo_payment_method", "Visa"),
     "mapping.payment_methods.card.qbo_payment_method", "number"),
    ("demo-qbo", _set("xero", {"credit_note_status": "DRAFT"}), "mapping.xero", "xero tenants only"),
    ("demo-xero", _set("quickbooks", {}), "mapping.quickbooks", "quickbooks tenants only"),
    ("demo-xero", _set("xero.credit_note_status", "DRAFT"), "mapping.xero.credit_note_status", "AUTHORISED"),
    ("demo-xero", _set("xero.credit_note_status", "PAID"), "mapping.xero.credit_note_status", "AUTHORISED"),
    ("demo-xero", _set("xero.tracking", [{"category": c, "source": "kind"} for c in ("A", "B", "C")]),
     "mapping.xero.tracking", "at most 2"),
    ("demo-xero", _set("xero.tracking", [{"category": "A", "source": "kind"}, {"category": "A", "source": "tenant"}]),
     "mapping.xero.tracking", "twice"),
    ("demo-xero", _set("kinds.vendor_refund.account", "12345678901"), "mapping.kinds.vendor_refund.account",
     "at most 10"),
    ("demo-xero", _set("line_accounts.shipping.account", {"id": "84"}), "mapping.line_accounts.shipping.account",
     "by code"),
]


@pytest.mark.parametrize(("tenant", "edit", "field", "text"), BAD_MAPPINGS,
                         ids=[f"{t}:{f}:{x}" for t, _, f, x in BAD_MAPPINGS])
def test_bad_mapping_is_reported_with_file_field_value_and_fix(
    tmp_path: Any, tenant: str, edit: Edit, field: str, text: str
) -> None:
    raw = raw_example()
    body = copy.deepcopy(raw["tenants"][tenant])
    edit(body["mapping"])
    import yaml

    path = tmp_path / "tenants.yaml"
    path.write_text(yaml.safe_dump({"tenants": {tenant: body}}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_tenants(path)
    error = info.value
    assert error.path == path
    rendered = error.render()
    assert str(path) in rendered
    matching = [p for p in error.problems if p.field.startswith(f"tenants.{tenant}.{field}")]
    assert matching, f"no problem at {field}: {rendered}"
    assert any(text in p.message for p in matching), rendered


def test_direct_construction_also_refuses_a_mapping_for_the_wrong_provider() -> None:
    with pytest.raises(ValidationError, match=r"mapping\.kinds\.vendor_refund\.account.*by code"):
        TenantConfig.model_validate({
            "name": "x", "provider": "xero", "tenant_id": "t",
            "mapping": {"kinds": {"vendor_refund": {"account": {"id": "80"}}}},
        })


def test_all_problems_of_a_file_are_reported_at_once() -> None:
    raw = raw_example()
    raw["tenants"]["demo-qbo"]["mapping"]["kinds"]["vendor_refund"]["account"] = {"code": "1"}
    raw["tenants"]["demo-xero"]["mapping"]["tags"]["line_description"] = "{description}"
    with pytest.raises(ConfigError) as info:
        parse_tenants(raw, "t.yaml")
    fields = {p.field for p in info.value.problems}
    assert "tenants.demo-qbo.mapping.kinds.vendor_refund.account" in fields
    assert "tenants.demo-xero.mapping.tags.line_description" in fields


def test_yaml_float_rates_are_read_exactly_or_refused() -> None:
    raw = raw_example()
    raw["tenants"]["demo-qbo"]["mapping"]["currencies"]["rates"]["EUR"] = 1.0832
    tenants = parse_tenants(raw)
    assert tenants.get("demo-qbo").mapping.currencies.rates["EUR"] == Decimal("1.0832")


def test_template_fields_lists_what_is_used() -> None:
    assert template_fields("{case_id}-{order_number}", TAG_FIELDS) == {"case_id", "order_number"}
    assert template_fields("literal {{braces}} {case_id}", TAG_FIELDS) == {"case_id"}
