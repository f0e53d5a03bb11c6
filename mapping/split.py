"""Splitting an amount into parts that add up exactly: largest-remainder rounding, and tax out of a gross.

Every split works in integer minor units of the precision the provider stores (cents for USD, yen for
JPY), so the parts always sum to the whole. Largest remainder: give each part the floor of its exact
share, then hand the units left over, one each, to the parts with the largest fractional remainders
(ties go to the earlier part, so the result is deterministic).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext

HUNDRED = Decimal(100)


def units(amount: Decimal, quantum: Decimal) -> int:
    """``amount`` as a whole number of ``quantum`` (raises if it is not one)."""
    count = amount / quantum
    if count != count.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of {quantum}")
    return int(count)


def allocate(total: Decimal, weights: Sequence[Decimal], quantum: Decimal) -> list[Decimal]:
    """Split ``total`` in proportion to ``weights``; the parts are multiples of ``quantum`` summing to it.

    ``total`` must itself be a multiple of ``quantum``; weights must be >= 0 with a positive sum. A
    negative total is split like its absolute value and the signs restored.
    """
    if not weights:
        raise ValueError("nothing to split into: weights is empty")
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights, Decimal(0))
    if weight_sum <= 0:
        raise ValueError("weights must have a positive sum")
    sign = -1 if total < 0 else 1
    whole = units(abs(total), quantum)
    with localcontext() as ctx:
        ctx.prec = 60
        exact = [Decimal(whole) * w / weight_sum for w in weights]
        floors = [int(e.to_integral_value(rounding=ROUND_FLOOR)) for e in exact]
        remainders = [e - f for e, f in zip(exact, floors, strict=True)]
    left = whole - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return [(Decimal(sign * n) * quantum).quantize(quantum) for n in floors]


def tax_in_gross(gross: Decimal, rate_percent: Decimal, quantum: Decimal) -> Decimal:
    """The tax contained in a tax-inclusive ``gross`` at ``rate_percent``, rounded half up to ``quantum``."""
    if rate_percent < 0:
        raise ValueError("a tax rate cannot be negative")
    with localcontext() as ctx:
        ctx.prec = 60
        tax = gross * rate_percent / (HUNDRED + rate_percent)
    return tax.quantize(quantum, rounding=ROUND_HALF_UP)


def split_tax(gross_lines: Sequence[Decimal], rate_percent: Decimal, quantum: Decimal) -> list[Decimal]:
    """Tax per line for lines sharing one rate: the tax of their total, spread by largest remainder.

    Rounding the tax once on the total (not per line) keeps the document's tax what a person computes
    from its total, and spreading it by largest remainder keeps every line's net + tax == its gross.
    """
    total = sum(gross_lines, Decimal(0))
    tax_total = tax_in_gross(total, rate_percent, quantum)
    if tax_total == 0 or total == 0:
        return [Decimal(0).quantize(quantum) for _ in gross_lines]
    return allocate(tax_total, [abs(g) for g in gross_lines], quantum)
