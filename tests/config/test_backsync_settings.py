"""The tenants file's `backsync:` block: strict defaults, exact amounts, errors that name the field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from config.errors import ConfigError
from config.tenants import parse_tenants


def _file(backsync: Any) -> dict[str, Any]:
    return {"tenants": {"acme": {"provider": "quickbooks", "realm_id": "1", "backsync": backsync}}}


def test_defaults_are_every_15_minutes_exact_amount_same_day_and_no_reposting() -> None:
    tenant = parse_tenants({"tenants": {"acme": {"provider": "xero", "tenant_id": "t"}}}).get("acme")
    assert tenant.backsync.enabled is True
    assert tenant.backsync.interval_minutes == 15
    assert tenant.backsync.amount_tolerance == Decimal(0)
    assert tenant.backsync.date_tolerance_days == 0
    assert tenant.backsync.auto_repost_removed is False


@pytest.mark.parametrize("written", [0.01, "0.01"])
def test_a_tolerance_written_as_a_yaml_number_is_read_exactly(written: Any) -> None:
    tenant = parse_tenants(_file({"amount_tolerance": written, "date_tolerance_days": 2,
                                  "auto_repost_removed": True})).get("acme")
    assert tenant.backsync.amount_tolerance == Decimal("0.01")
    assert str(tenant.backsync.amount_tolerance) == "0.01"
    assert tenant.backsync.date_tolerance_days == 2 and tenant.backsync.auto_repost_removed


@pytest.mark.parametrize(("backsync", "field", "words"), [
    ({"interval_minutes": 0}, "tenants.acme.backsync.interval_minutes", "greater than 0"),
    ({"amount_tolerance": "-1"}, "tenants.acme.backsync.amount_tolerance", "greater than or equal to 0"),
    ({"amount_tolerance": "a cent"}, "tenants.acme.backsync.amount_tolerance", "decimal"),
    ({"date_tolerance_days": -1}, "tenants.acme.backsync.date_tolerance_days", "greater than or equal to 0"),
    ({"every": 5}, "tenants.acme.backsync.every", "Extra inputs are not permitted"),
])
def test_a_mistake_names_the_file_the_field_and_the_fix(backsync: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_tenants(_file(backsync), "tenants.yaml")
    text = caught.value.render()
    assert text.startswith("tenants.yaml: 1 problem(s)")
    assert field in text and words in text
    assert "fix: see config/tenants.example.yaml" in text
