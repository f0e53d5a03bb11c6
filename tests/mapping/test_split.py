"""Largest-remainder splits and tax extraction: parts always add up to the whole, to the minor unit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapping.split import allocate, split_tax, tax_in_gross, units

QUANTA = [Decimal(1), Decimal("0.01"), Decimal("0.001")]


def test_allocate_gives_left_over_units_to_the_largest_remainders() -> None:
    assert allocate(Decimal("100.00"), [Decimal(1)] * 3, Decimal("0.01")) == [
        Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert allocate(Decimal(10), [Decimal(1), Decimal(2), Decimal(3)], Decimal(1)) == [
        Decimal(2), Decimal(3), Decimal(5)]
    assert allocate(Decimal("0.05"), [Decimal(0), Decimal(1)], Decimal("0.01")) == [Decimal("0.00"), Decimal("0.05")]
    assert allocate(Decimal("-1.00"), [Decimal(1), Decimal(2)], Decimal("0.01")) == [
        Decimal("-0.33"), Decimal("-0.67")]


@pytest.mark.parametrize(("total", "weights", "message"), [
    (Decimal("1.00"), [], "empty"),
    (Decimal("1.00"), [Decimal(-1), Decimal(2)], "negative"),
    (Decimal("1.00"), [Decimal(0)], "positive sum"),
    (Decimal("1.005"), [Decimal(1)], "whole number"),
])
def test_allocate_refuses_what_cannot_be_split(total: Decimal, weights: list[Decimal], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        allocate(total, weights, Decimal("0.01"))


@given(
    quantum=st.sampled_from(QUANTA),
    total_units=st.integers(min_value=-10**12, max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40).filter(lambda w: sum(w) > 0),
)
def test_allocate_parts_sum_exactly_and_stay_within_one_unit_of_their_share(
    quantum: Decimal, total_units: int, weights: list[int]
) -> None:
    total = Decimal(total_units) * quantum
    parts = allocate(total, [Decimal(w) for w in weights], quantum)
    assert sum(parts, Decimal(0)) == total
    assert all(p.as_tuple().exponent == quantum.as_tuple().exponent for p in parts)
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Decimal(abs(total_units)) * weight / weight_sum
        assert abs(Decimal(abs(units(part, quantum))) - exact) < 1


@given(
    quantum=st.sampled_from(QUANTA),
    gross_units=st.lists(st.integers(min_value=0, max_value=10**10), min_size=1, max_size=20),
    rate=st.sampled_from([Decimal(0), Decimal(5), Decimal("7.7"), Decimal("8.875"), Decimal(10), Decimal(20)]),
)
def test_tax_split_adds_up_to_the_tax_of_the_total(quantum: Decimal, gross_units: list[int], rate: Decimal) -> None:
    gross = [Decimal(g) * quantum for g in gross_units]
    taxes = split_tax(gross, rate, quantum)
    assert sum(taxes, Decimal(0)) == tax_in_gross(sum(gross, Decimal(0)), rate, quantum)
    for g, t in zip(gross, taxes, strict=True):
        assert Decimal(0) <= t <= g
        assert (g - t) + t == g


def test_tax_in_gross_rounds_half_up() -> None:
    assert tax_in_gross(Decimal("100.01"), Decimal(20), Decimal("0.01")) == Decimal("16.67")
    assert tax_in_gross(Decimal("0.03"), Decimal(20), Decimal("0.01")) == Decimal("0.01")  # 0.005 -> 0.01
    assert tax_in_gross(Decimal(1080), Decimal(8), Decimal(1)) == Decimal(80)
    with pytest.raises(ValueError):
        tax_in_gross(Decimal(1), Decimal(-1), Decimal(1))
