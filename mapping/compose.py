"""Case revision + tenant mapping -> provider-neutral entries: every business rule and every local check.

One entry per party (a multi-vendor order becomes one credit per vendor, each carrying the order number).
Whatever the provider would reject, or would book differently from the case, and can be known here is a
:class:`~mapping.errors.MappingError` with what to change; nothing here does I/O or reads the clock.

Rules, in order:

* the case belongs to this tenant; its kind is mapped; its currency is the home currency or accepted;
* amounts fit what the provider stores (2 decimals: a KWD 12.345 cannot be posted exactly, 12.340 can)
  and carry at most 15 significant digits (exact through a double);
* every line gets an account (QBO vendor credits, Xero) or an item (QBO sales lines): a case line's
  ``account`` alias from ``mapping.line_accounts``, else the reason code's override, else the kind's
  default; a case without lines gets one line of the full amount;
* tax: ``none`` sends amounts as they are; ``inclusive``/``exclusive`` split the tax out of each
  document's gross per tax code (rounded once on the total, spread over the lines by largest remainder),
  so the document total is always the case amount;
* the cash leg: a case with a payment (and ``cash_refund`` on) becomes a QBO RefundReceipt (customer) or
  gets a refund follow-up (QBO Deposit, Xero Payment) into the payment method's account; otherwise a
  case naming its original document (and ``apply_to_original`` on) gets an application follow-up.
  A multi-party case is not applied to one original document (it belongs to one party only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from config.mapping import FieldRule, KindMapping, LineTarget, MappingConfig
from config.mapping import Ref as ConfigRef
from config.tenants import Provider, TenantConfig
from mapping.case import CaseKind, Party, RefundCase
from mapping.currency import minor_units
from mapping.entries import DocumentRole, Entry, EntryLine, Ref, Settlement, TaxMode
from mapping.errors import MappingError, MappingErrorCode
from mapping.limits import (
    AMOUNT_DECIMALS,
    MAX_SIGNIFICANT_DIGITS,
    QBO_DESCRIPTION_MAX,
    QBO_DOC_NUMBER_MAX,
    QBO_PRIVATE_NOTE_MAX,
    XERO_CREDIT_NOTE_NUMBER_MAX,
    XERO_DESCRIPTION_MAX,
    XERO_REFERENCE_MAX,
)
from mapping.money import format_amount
from mapping.parties import party_key
from mapping.split import split_tax
from mapping.tags import make_tag, render_within, tag_suffix, text_or_missing

KIND_CODES = {CaseKind.VENDOR_REFUND: "VR", CaseKind.CUSTOMER_REFUND: "CR"}


@dataclass(frozen=True, slots=True)
class Composition:
    """The entries of one case revision, plus notes for the operator (things deliberately not done)."""

    entries: tuple[Entry, ...]
    notes: tuple[str, ...]


@dataclass(slots=True)
class _RawLine:
    index: int | None  # position in case.lines (None: the implicit single line)
    description: str | None
    amount: Decimal
    party: Party
    alias: str | None


def compose(case: RefundCase, tenant: TenantConfig, repost: int = 0) -> Composition:
    """The entries for ``case`` in ``tenant``, or a :class:`MappingError` saying what to change.

    ``repost`` (n >= 1: the n-th operator repost) only changes the tags (``~g<n>``, see :mod:`mapping.tags`)."""
    mapping = tenant.mapping
    provider = tenant.provider
    if case.tenant != tenant.name:
        raise MappingError(
            MappingErrorCode.TENANT_MISMATCH,
            f"case {case.case_id} is for tenant '{case.tenant}', not '{tenant.name}'",
            "tenant",
        )
    kind_map = mapping.kinds.get(case.kind.value)
    if kind_map is None:
        raise MappingError(
            MappingErrorCode.KIND_NOT_MAPPED,
            f"tenant {tenant.name} does not map {case.kind.value} cases: add mapping.kinds.{case.kind.value} "
            "with its default account",
            f"mapping.kinds.{case.kind.value}",
        )
    if kind_map.strict_reasons and case.reason_code not in kind_map.reasons:
        raise MappingError(
            MappingErrorCode.REASON_NOT_MAPPED,
            f"reason code {case.reason_code} is not mapped in tenant {tenant.name}: add it under "
            f"mapping.kinds.{case.kind.value}.reasons",
            f"mapping.kinds.{case.kind.value}.reasons",
        )
    quantum = _check_currency_and_amounts(case, tenant)
    rate = _exchange_rate(case, tenant)
    foreign = case.currency != tenant.home_currency
    tax_mode = TaxMode(mapping.tax.amounts)

    raw_lines = (
        [_RawLine(i, ln.description, ln.amount, ln.party or case.party, ln.account) for i, ln in enumerate(case.lines)]
        if case.lines
        else [_RawLine(None, None, case.amount, case.party, None)]
    )
    groups: dict[str, list[_RawLine]] = {}
    for raw in raw_lines:
        groups.setdefault(party_key(raw.party), []).append(raw)
    party_count = len(groups)

    notes: list[str] = []
    cash_method = _cash_method(case, kind_map, mapping, notes)
    apply_original = _applies_to_original(case, kind_map, party_count, cash_method is not None, notes)
    qbo = provider is Provider.QUICKBOOKS
    customer = case.kind is CaseKind.CUSTOMER_REFUND

    entries = []
    for index, (key, group) in enumerate(groups.items(), start=1):
        party = group[0].party
        fields = _text_fields(case, tenant, party, index, party_count)
        lines = _lines(case, tenant, kind_map, group, fields, quantum, tax_mode)
        amount = sum((ln.gross for ln in lines), Decimal(0))
        taxes = [ln.tax for ln in lines if ln.tax is not None]
        total_tax = sum(taxes, Decimal(0)) if taxes else None
        tag, reference = _tags(case, mapping, provider, fields, index, party_count, DocumentRole.CREDIT, repost)
        memo = render_within(
            mapping.tags.memo, fields, QBO_PRIVATE_NOTE_MAX, shrink="party_name", what="the memo",
            setting="mapping.tags.memo",
        )
        cash_account: Ref | None = None
        settlement: Settlement | None = None
        if cash_method is not None:
            method_map = mapping.payment_methods[cash_method]
            method_ref = _ref(method_map.account, provider)
            if qbo and customer:
                cash_account = method_ref  # the RefundReceipt is credit and cash in one document
            else:
                s_tag, s_ref = _tags(case, mapping, provider, fields, index, party_count, DocumentRole.REFUND, repost)
                settlement = Settlement(
                    DocumentRole.REFUND, amount, method_ref, method_map.qbo_payment_method,
                    case.payment.transaction_id if case.payment else None, None, s_tag, s_ref,
                )
        elif apply_original:
            a_tag, a_ref = _tags(case, mapping, provider, fields, index, party_count, DocumentRole.APPLICATION, repost)
            bank = None
            if qbo and not customer and mapping.quickbooks is not None:
                bank = _ref(mapping.quickbooks.bill_payment_account, provider)
            settlement = Settlement(
                DocumentRole.APPLICATION, amount, bank, None, None, case.original_document, a_tag, a_ref
            )
        entries.append(
            Entry(
                case_id=case.case_id,
                revision=case.revision,
                tenant=tenant.name,
                kind=case.kind,
                party=party,
                party_key=key,
                party_index=index,
                party_count=party_count,
                date=case.refund_date,
                currency=case.currency,
                foreign=foreign,
                exchange_rate=rate,
                amount=amount,
                tax_mode=tax_mode,
                total_tax=total_tax,
                lines=tuple(lines),
                memo=memo,
                tag=tag,
                reference=reference,
                cash_account=cash_account,
                qbo_payment_method=mapping.payment_methods[cash_method].qbo_payment_method
                if cash_method is not None
                else None,
                transaction_id=case.payment.transaction_id if case.payment else None,
                department_id=_rule_value(case, mapping.quickbooks.department, "mapping.quickbooks.department")
                if qbo and mapping.quickbooks
                else None,
                settlement=settlement,
            )
        )
    total = sum((e.amount for e in entries), Decimal(0))
    if total != case.amount:  # pragma: no cover - guarded by the case model; kept as a tripwire
        raise AssertionError(f"entries add up to {total}, case amount is {case.amount}")
    return Composition(tuple(entries), tuple(notes))


# --- currency and amounts ---------------------------------------------------------------------------


def provider_places(currency: str, provider: Provider) -> int:
    """Decimals the provider stores for ``currency``: 2 for USD, 0 for JPY, 2 (not 3) for KWD."""
    return min(minor_units(currency), AMOUNT_DECIMALS[provider])


def provider_quantum(currency: str, provider: Provider) -> Decimal:
    """The smallest amount the provider stores in ``currency``: 0.01 USD, 1 JPY, 0.01 KWD."""
    return Decimal(1).scaleb(-provider_places(currency, provider))


def _check_currency_and_amounts(case: RefundCase, tenant: TenantConfig) -> Decimal:
    mapping = tenant.mapping
    if not mapping.accepts(case.currency, tenant.home_currency):
        accepted = ", ".join(mapping.currencies.accepted) or "none"
        raise MappingError(
            MappingErrorCode.CURRENCY_NOT_ACCEPTED,
            f"currency {case.currency} is not used by tenant {tenant.name} (home {tenant.home_currency}, "
            f"also accepted: {accepted}): enable it in the company, then add it to "
            "mapping.currencies.accepted",
            "currency",
        )
    quantum = provider_quantum(case.currency, tenant.provider)
    amounts = [("amount", case.amount)] + [(f"lines[{i}].amount", ln.amount) for i, ln in enumerate(case.lines)]
    for field, value in amounts:
        if value % quantum != 0:
            raise MappingError(
                MappingErrorCode.AMOUNT_PRECISION,
                f"{field} {format_amount(value)} {case.currency} has more decimals than "
                f"{tenant.provider.value} stores ({provider_places(case.currency, tenant.provider)}); it "
                "cannot be posted exactly: correct the case (or book the fraction by hand)",
                field,
            )
        digits = len(value.quantize(quantum).as_tuple().digits)
        if digits > MAX_SIGNIFICANT_DIGITS:
            raise MappingError(
                MappingErrorCode.AMOUNT_TOO_LARGE,
                f"{field} {format_amount(value)} has {digits} significant digits; at most "
                f"{MAX_SIGNIFICANT_DIGITS} pass through the provider's API exactly",
                field,
            )
    return quantum


def _exchange_rate(case: RefundCase, tenant: TenantConfig) -> Decimal | None:
    home = tenant.home_currency
    if case.currency == home:
        if case.exchange_rate is not None and case.exchange_rate != 1:
            raise MappingError(
                MappingErrorCode.EXCHANGE_RATE_INVALID,
                f"exchange_rate {format_amount(case.exchange_rate)} given for a case in the home currency "
                f"{home}: remove it (the rate of the home currency is 1)",
                "exchange_rate",
            )
        return None
    rate: Decimal | None = case.exchange_rate
    field = "exchange_rate"
    if rate is None:
        rate = tenant.mapping.currencies.rates.get(case.currency)
        field = f"mapping.currencies.rates.{case.currency}"
    if rate is not None and len(rate.normalize().as_tuple().digits) > MAX_SIGNIFICANT_DIGITS:
        raise MappingError(
            MappingErrorCode.EXCHANGE_RATE_INVALID,
            f"exchange rate {format_amount(rate)} has more than {MAX_SIGNIFICANT_DIGITS} significant digits",
            field,
        )
    return rate


# --- settlement ---------------------------------------------------------------------------------------


def _cash_method(case: RefundCase, kind_map: KindMapping, mapping: MappingConfig, notes: list[str]) -> str | None:
    if case.payment is None:
        return None
    method = case.payment.method
    if not kind_map.cash_refund:
        notes.append(
            f"payment {method} is recorded in the memo only: cash_refund is off for {case.kind.value}"
        )
        return None
    if method not in mapping.payment_methods:
        known = ", ".join(sorted(mapping.payment_methods)) or "none"
        raise MappingError(
            MappingErrorCode.PAYMENT_METHOD_NOT_MAPPED,
            f"payment method {method} has no account in tenant {case.tenant} (known: {known}): add it under "
            "mapping.payment_methods",
            "payment.method",
        )
    return method


def _applies_to_original(
    case: RefundCase, kind_map: KindMapping, party_count: int, cash: bool, notes: list[str]
) -> bool:
    if case.original_document is None or not kind_map.apply_to_original:
        return False
    if cash:
        notes.append(f"original document {case.original_document} is not applied: the refund was paid out")
        return False
    if party_count > 1:
        notes.append(
            f"original document {case.original_document} is not applied: the case has {party_count} parties "
            "and the document belongs to one of them; apply the credits by hand"
        )
        return False
    return True


# --- lines ----------------------------------------------------------------------------------------------


def _lines(
    case: RefundCase,
    tenant: TenantConfig,
    kind_map: KindMapping,
    group: list[_RawLine],
    fields: dict[str, str],
    quantum: Decimal,
    tax_mode: TaxMode,
) -> list[EntryLine]:
    mapping = tenant.mapping
    provider = tenant.provider
    qbo = provider is Provider.QUICKBOOKS
    description_max = QBO_DESCRIPTION_MAX if qbo else XERO_DESCRIPTION_MAX
    reason_target = kind_map.target_for(case.reason_code)
    class_id = (
        _rule_value(case, mapping.quickbooks.class_, "mapping.quickbooks.class")
        if qbo and mapping.quickbooks
        else None
    )
    tracking: tuple[tuple[str, str], ...] = ()
    if not qbo and mapping.xero:
        pairs = []
        for i, rule in enumerate(mapping.xero.tracking):
            option = _rule_value(case, rule, f"mapping.xero.tracking[{i}]")
            if option is not None:
                pairs.append((rule.category, option))
        tracking = tuple(pairs)

    targets = [_line_target(case, tenant, kind_map, reason_target, raw) for raw in group]
    gross = [raw.amount.quantize(quantum) for raw in group]
    taxes: list[Decimal | None] = [None] * len(group)
    if tax_mode is not TaxMode.NONE:
        by_code: dict[str, list[int]] = {}
        for i, target in enumerate(targets):
            if target.tax_code is None:
                raise MappingError(
                    MappingErrorCode.TAX_RATE_MISSING,
                    f"tax amounts are {tax_mode.value} in tenant {tenant.name} but reason {case.reason_code} "
                    f"has no tax code: set mapping.kinds.{case.kind.value}.tax_code (or the reason's)",
                    f"mapping.kinds.{case.kind.value}.tax_code",
                )
            by_code.setdefault(target.tax_code, []).append(i)
        for code, positions in by_code.items():
            rate = mapping.tax.codes[code].rate
            if rate is None:
                continue  # Xero inclusive without a rate: Xero computes the tax inside the gross itself
            split = split_tax([gross[i] for i in positions], rate, quantum)
            for i, line_tax in zip(positions, split, strict=True):
                taxes[i] = line_tax

    lines = []
    for n, (raw, target, line_gross, tax) in enumerate(zip(group, targets, gross, taxes, strict=True), start=1):
        described = raw.description or f"{case.kind.value.replace('_', ' ')} {case.reason_code}"
        line_fields = {**fields, "description": described, "line_number": str(n)}
        description = render_within(
            mapping.tags.line_description, line_fields, description_max, shrink="description",
            what=f"line {n} description", setting="mapping.tags.line_description",
        )
        lines.append(
            EntryLine(
                number=n,
                description=description,
                gross=line_gross,
                net=line_gross - tax if tax is not None else line_gross,
                tax=tax,
                account=_ref(target.account, provider),
                item=_ref(target.item, provider),
                tax_code=target.tax_code,
                class_id=class_id,
                tracking=tracking,
            )
        )
    return lines


def _line_target(
    case: RefundCase, tenant: TenantConfig, kind_map: KindMapping, reason_target: LineTarget, raw: _RawLine
) -> LineTarget:
    target = reason_target
    mapping = tenant.mapping
    where = f"mapping.kinds.{case.kind.value}"
    if raw.alias is not None:
        alias = mapping.line_accounts.get(raw.alias)
        if alias is None:
            known = ", ".join(sorted(mapping.line_accounts)) or "none"
            raise MappingError(
                MappingErrorCode.LINE_ACCOUNT_NOT_MAPPED,
                f"line account '{raw.alias}' is not mapped in tenant {tenant.name} (known: {known}): add it "
                "under mapping.line_accounts",
                f"lines[{raw.index}].account",
            )
        target = LineTarget(
            account=alias.account or target.account,
            item=alias.item or target.item,
            tax_code=alias.tax_code or target.tax_code,
        )
        where = f"mapping.line_accounts.{raw.alias}"
    needs_item = tenant.provider is Provider.QUICKBOOKS and case.kind is CaseKind.CUSTOMER_REFUND
    missing = target.item is None if needs_item else target.account is None
    if missing:
        what = "item" if needs_item else "account"
        raise MappingError(
            MappingErrorCode.REASON_NOT_MAPPED,
            f"reason code {case.reason_code} has no {what} in tenant {tenant.name}: add it under "
            f"mapping.kinds.{case.kind.value}.reasons.{case.reason_code}.{what} "
            f"(or set {where}.{what} as the default)",
            f"mapping.kinds.{case.kind.value}.reasons",
        )
    return target


def _rule_value(case: RefundCase, rule: FieldRule | None, setting: str) -> str | None:
    if rule is None:
        return None
    value: str | None
    source: str | None = {
        "reason_code": case.reason_code,
        "kind": case.kind.value,
        "payment_method": case.payment.method if case.payment else None,
        "currency": case.currency,
        "order_number": case.order_number,
        "tenant": case.tenant,
    }[rule.source]
    if rule.values:
        value = rule.values.get(source, rule.default) if source is not None else rule.default
    else:
        value = source if source is not None else rule.default
    if value is None and rule.required:
        listed = ", ".join(sorted(rule.values)) or "any value"
        raise MappingError(
            MappingErrorCode.TRACKING_NOT_MAPPED,
            f"{rule.source} {source or '(none)'} has no value under {setting} (listed: {listed}) and no "
            "default: add it to values or set a default",
            setting,
        )
    return value


def _ref(ref: ConfigRef | None, provider: Provider) -> Ref | None:
    if ref is None:
        return None
    value = ref.value_for(provider.value)
    return Ref(value, ref.name) if value is not None else None


# --- text -------------------------------------------------------------------------------------------


def _text_fields(case: RefundCase, tenant: TenantConfig, party: Party, index: int, count: int) -> dict[str, str]:
    return {
        "case_id": case.case_id,
        "order_number": text_or_missing(case.order_number),
        "reason_code": case.reason_code,
        "kind_code": KIND_CODES[case.kind],
        "kind": case.kind.value,
        "revision": str(case.revision),
        "party_name": party.name,
        "party_external_id": text_or_missing(party.external_id),
        "currency": case.currency,
        "amount": format_amount(case.amount),
        "refund_date": case.refund_date.isoformat(),
        "payment_method": text_or_missing(case.payment.method if case.payment else None),
        "transaction_id": text_or_missing(case.payment.transaction_id if case.payment else None),
        "original_document": text_or_missing(case.original_document),
        "tenant": tenant.name,
        "party_index": str(index),
        "party_count": str(count),
    }


def _tags(
    case: RefundCase,
    mapping: MappingConfig,
    provider: Provider,
    fields: Mapping[str, str],
    index: int,
    count: int,
    role: DocumentRole,
    repost: int = 0,
) -> tuple[str, str | None]:
    suffix = tag_suffix(index, count, case.revision, role.value, repost)
    shorten = mapping.tags.shorten
    if provider is Provider.QUICKBOOKS:
        tag = make_tag(mapping.tags.doc_number, fields, suffix, QBO_DOC_NUMBER_MAX, shorten=shorten,
                       what="DocNumber")
        return tag, None
    number = make_tag(mapping.tags.credit_note_number, fields, suffix, XERO_CREDIT_NOTE_NUMBER_MAX,
                      shorten=shorten, what="CreditNoteNumber")
    reference = make_tag(mapping.tags.reference, fields, suffix, XERO_REFERENCE_MAX, shorten=shorten,
                         what="Reference")
    return number, reference
