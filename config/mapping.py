"""The ``mapping`` section of a tenant: how its cases become documents in its accounting system.

```yaml
mapping:
  kinds:
    vendor_refund:                      # QBO VendorCredit / Xero ACCPAYCREDIT credit note
      account: {id: "80", name: "Cost of Goods Sold"}   # QBO: AccountRef id; Xero: account code
      tax_code: NON                     # QBO TaxCodeRef / Xero TaxType; must be declared under tax.codes
      reasons:                          # per reason code, overriding the kind's defaults field by field
        PRICE_ADJUSTMENT: {account: {id: "82"}}
      cash_refund: true                 # case has a payment -> QBO Deposit / Xero Payment on the credit
      apply_to_original: true           # case names its bill -> QBO BillPayment / Xero Allocation
    customer_refund:                    # QBO RefundReceipt (payment) or CreditMemo / Xero ACCRECCREDIT
      item: {id: "21", name: "Sales returns"}           # QBO sales lines post through an Item
      tax_code: NON
  payment_methods:                      # case payment.method -> the bank/clearing account money moved in
    bank_transfer: {account: {id: "35", name: "Checking"}, qbo_payment_method: "1"}
  line_accounts:                        # case line "account" aliases -> line targets
    shipping: {account: {id: "84", name: "Freight in"}}
  currencies:
    accepted: [EUR, JPY]                # besides home_currency
    rates: {EUR: "1.0832"}              # home-currency units per 1 unit (used when the case has none)
  parties: {match: [external_id, exact_name, normalised_name], create_if_missing: true}
  tags:
    doc_number: "{case_id}"             # QBO DocNumber (21 characters, longer gets a short form)
    credit_note_number: "{case_id}"     # Xero CreditNoteNumber
    reference: "{case_id}"              # Xero Reference
    memo: "refundsync {case_id} ..."    # QBO PrivateNote
    line_description: "{description} | {case_id} ..."
  tax: {amounts: none, codes: {NON: {}}}          # none | inclusive | exclusive; rate in percent
  quickbooks: {ap_account: {id: "33"}, bill_payment_account: {id: "35"}, class: {...}, department: {...}}
  xero: {credit_note_status: AUTHORISED, tracking: [{category: Region, source: currency, values: {...}}]}
```

An account or item is written ``"80"`` (QuickBooks: the Account/Item Id; Xero: the account or item
Code), or ``{id: "80", name: "..."}`` (QuickBooks) / ``{code: "310", name: "..."}`` (Xero); ``name`` is
for people reading the file. Field-level checks happen here; checks that need the provider (ids for
QuickBooks, codes for Xero, QuickBooks items on sales lines, ...) are :func:`mapping_problems`, run by the
tenant model, so that a bad file is reported with the path of every wrong field.
"""

from __future__ import annotations

import math
import re
import string
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from config.errors import ConfigProblem

KindName = Literal["vendor_refund", "customer_refund"]
MatchRule = Literal["external_id", "exact_name", "normalised_name"]
ALL_RULES: tuple[MatchRule, ...] = ("external_id", "exact_name", "normalised_name")
TaxAmounts = Literal["none", "inclusive", "exclusive"]
RuleSource = Literal["reason_code", "kind", "payment_method", "currency", "order_number", "tenant"]

KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
TEMPLATE_MAX = 500

#: Fields a tag template (DocNumber, CreditNoteNumber, Reference) may use: stable per case.
TAG_FIELDS = frozenset({"case_id", "order_number", "reason_code", "kind_code"})
#: Fields the memo may use.
TEXT_FIELDS = TAG_FIELDS | frozenset(
    {
        "revision", "party_name", "party_external_id", "kind", "currency", "amount", "refund_date",
        "payment_method", "transaction_id", "original_document", "tenant", "party_index", "party_count",
    }
)  # fmt: skip
#: Fields a line description may use.
LINE_FIELDS = TEXT_FIELDS | frozenset({"description", "line_number"})

DEFAULT_MEMO = "refundsync {case_id} r{revision} | order {order_number} | {party_name} | {reason_code}"
DEFAULT_LINE_DESCRIPTION = "{description} | {case_id} | order {order_number} | {party_name}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _strict_text(value: Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(
            f"{what} must be quoted text such as \"{value}\" (YAML reads unquoted numbers as numbers)"
        )
    if not value or value != value.strip():
        raise ValueError(f"{what} must be non-empty text without surrounding spaces")
    return value


def parse_decimal(value: Any, what: str) -> Decimal:
    """A Decimal from YAML text or an exact number (floats only when their short form is exact)."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number such as \"1.0832\"")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{what} must be finite")
        value = repr(value)
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or any(c in value for c in "eE_ "):
        raise ValueError(f"{what} must be a plain decimal number such as \"1.0832\"")
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{what} '{value}' is not a decimal number") from None
    if not result.is_finite():
        raise ValueError(f"{what} must be finite")
    return result


class Ref(_Model):
    """An account or item: ``"80"``, ``{id: "80", name: ...}`` (QuickBooks) or ``{code: "310"}`` (Xero)."""

    ref: str | None = Field(default=None, description="Shorthand: the provider's id (QBO) or code (Xero).")
    id: str | None = Field(default=None, description="QuickBooks Id (AccountRef / ItemRef value).")
    code: str | None = Field(default=None, description="Xero account Code or item Code.")
    name: str | None = Field(default=None, description="Display name, for people; never sent as the key.")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return value
        return {"ref": _strict_text(value, "an account or item reference")}

    @field_validator("ref", "id", "code", "name", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return None if value is None else _strict_text(value, "this value")

    @model_validator(mode="after")
    def _exactly_one_key(self) -> Ref:
        keys = [k for k in ("ref", "id", "code") if getattr(self, k) is not None]
        if len(keys) != 1:
            raise ValueError("give exactly one of id (QuickBooks) or code (Xero), e.g. {id: \"80\"}")
        return self

    def value_for(self, provider: str) -> str | None:
        """The key sent to ``provider`` (None when this reference is written for the other provider)."""
        if self.ref is not None:
            return self.ref
        return self.id if provider == "quickbooks" else self.code


class LineTarget(_Model):
    """Where a line posts: an account (and for QBO sales lines an item), with its tax code."""

    account: Ref | None = None
    item: Ref | None = Field(default=None, description="QBO Item (sales lines) / Xero ItemCode.")
    tax_code: str | None = Field(default=None, description="QBO TaxCodeRef value / Xero TaxType.")

    @field_validator("tax_code", mode="before")
    @classmethod
    def _tax_text(cls, value: Any) -> Any:
        return None if value is None else _strict_text(value, "tax_code")


class KindMapping(LineTarget):
    """Defaults for one case kind, overrides per reason code, and which follow-up documents to post."""

    reasons: dict[str, LineTarget] = Field(default_factory=dict)
    cash_refund: bool = Field(default=True, description="Post the cash leg when the case has a payment.")
    apply_to_original: bool = Field(
        default=True, description="Apply the credit to the case's original document."
    )
    strict_reasons: bool = Field(default=False, description="Reject reason codes not listed under reasons.")

    @field_validator("reasons")
    @classmethod
    def _reason_keys(cls, value: dict[str, LineTarget]) -> dict[str, LineTarget]:
        _check_keys(value, "reason code")
        return value

    def target_for(self, reason_code: str) -> LineTarget:
        """The kind's defaults with the reason's overrides applied field by field."""
        override = self.reasons.get(reason_code)
        if override is None:
            return LineTarget(account=self.account, item=self.item, tax_code=self.tax_code)
        return LineTarget(
            account=override.account or self.account,
            item=override.item or self.item,
            tax_code=override.tax_code or self.tax_code,
        )


class PaymentMethodMapping(_Model):
    """The bank or clearing account a payment method moves money through."""

    account: Ref
    qbo_payment_method: str | None = Field(
        default=None, description="QBO PaymentMethod Id (PaymentMethodRef)."
    )

    @field_validator("qbo_payment_method", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        return None if value is None else _strict_text(value, "qbo_payment_method")


class CurrencyMapping(_Model):
    accepted: list[str] = Field(default_factory=list, description="Currencies besides home_currency.")
    rates: dict[str, Decimal] = Field(
        default_factory=dict, description="Home-currency units per 1 unit of the currency (e.g. EUR: 1.0832)."
    )

    @field_validator("accepted")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if not CURRENCY_PATTERN.match(code):
                raise ValueError(f"'{code}' is not a three-letter upper-case currency code such as EUR")
        if len(set(value)) != len(value):
            raise ValueError("lists a currency twice")
        return value

    @field_validator("rates", mode="before")
    @classmethod
    def _rates(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out = {}
        for code, rate in value.items():
            if not isinstance(code, str) or not CURRENCY_PATTERN.match(code):
                raise ValueError(f"'{code}' is not a three-letter upper-case currency code such as EUR")
            parsed = parse_decimal(rate, f"the rate of {code}")
            if parsed <= 0:
                raise ValueError(f"the rate of {code} must be greater than zero (got {rate})")
            out[code] = parsed
        return out


class PartyMapping(_Model):
    match: list[MatchRule] = Field(default_factory=lambda: list(ALL_RULES))
    create_if_missing: bool = Field(
        default=False, description="Create the vendor/customer/contact if none matches."
    )

    @field_validator("match")
    @classmethod
    def _rules(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("needs at least one rule: external_id, exact_name, normalised_name")
        if len(set(value)) != len(value):
            raise ValueError("lists a rule twice")
        return value


class TagTemplates(_Model):
    doc_number: str = "{case_id}"
    credit_note_number: str = "{case_id}"
    reference: str = "{case_id}"
    memo: str = DEFAULT_MEMO
    line_description: str = DEFAULT_LINE_DESCRIPTION
    shorten: bool = Field(
        default=True, description="Give a too-long tag its short form; false makes it a mapping error."
    )

    @field_validator("doc_number", "credit_note_number", "reference")
    @classmethod
    def _tag(cls, value: str) -> str:
        fields = template_fields(value, TAG_FIELDS)
        if "case_id" not in fields:
            raise ValueError("must contain {case_id}: the tag is how a posted document is found again")
        return value

    @field_validator("memo")
    @classmethod
    def _memo(cls, value: str) -> str:
        template_fields(value, TEXT_FIELDS)
        return value

    @field_validator("line_description")
    @classmethod
    def _line(cls, value: str) -> str:
        template_fields(value, LINE_FIELDS)
        return value


class TaxCode(_Model):
    rate: Decimal | None = Field(default=None, description="Percent, e.g. 20 for 20%; needed to split tax.")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("rate", mode="before")
    @classmethod
    def _rate(cls, value: Any) -> Any:
        if value is None:
            return None
        rate = parse_decimal(value, "rate")
        if not Decimal(0) <= rate < Decimal(100):
            raise ValueError(f"rate is a percentage from 0 up to (not including) 100 (got {value})")
        return rate


class TaxMapping(_Model):
    amounts: TaxAmounts = Field(
        default="none",
        description="none: no tax on the lines; inclusive: case amounts include tax; exclusive: the provider "
        "adds tax on top of the net lines (the case amount still is the total, so every code needs a rate).",
    )
    codes: dict[str, TaxCode] = Field(default_factory=dict, description="Every tax code the mapping may use.")


class FieldRule(_Model):
    """A value taken from a case field, optionally translated (QBO class/department, Xero tracking option)."""

    source: RuleSource
    values: dict[str, str] = Field(
        default_factory=dict, description="Case value -> provider value; empty: the case value as is."
    )
    default: str | None = Field(default=None, description="Used when the case value is not listed.")
    required: bool = Field(default=False, description="A case without a value is a mapping error.")


class TrackingRule(FieldRule):
    category: str = Field(description="Xero tracking category name, e.g. Region.")


class QuickBooksMapping(_Model):
    ap_account: Ref | None = Field(
        default=None,
        description="APAccountRef of vendor credits; the account a vendor cash-refund Deposit credits.",
    )
    bill_payment_account: Ref | None = Field(
        default=None,
        description="Bank account of the zero-amount BillPayment that applies a credit to a bill.",
    )
    class_: FieldRule | None = Field(default=None, alias="class", description="ClassRef (class id) per line.")
    department: FieldRule | None = Field(
        default=None, description="DepartmentRef (location id) per document."
    )


class XeroMapping(_Model):
    credit_note_status: Literal["DRAFT", "SUBMITTED", "AUTHORISED"] = "AUTHORISED"
    tracking: list[TrackingRule] = Field(default_factory=list, max_length=2)


class MappingConfig(_Model):
    """The whole ``mapping`` section. Empty is valid: every case then fails planning with what to add."""

    kinds: dict[KindName, KindMapping] = Field(default_factory=dict)
    payment_methods: dict[str, PaymentMethodMapping] = Field(default_factory=dict)
    line_accounts: dict[str, LineTarget] = Field(default_factory=dict)
    currencies: CurrencyMapping = Field(default_factory=CurrencyMapping)
    parties: PartyMapping = Field(default_factory=PartyMapping)
    tags: TagTemplates = Field(default_factory=TagTemplates)
    tax: TaxMapping = Field(default_factory=TaxMapping)
    quickbooks: QuickBooksMapping | None = None
    xero: XeroMapping | None = None

    @field_validator("payment_methods")
    @classmethod
    def _method_keys(cls, value: dict[str, PaymentMethodMapping]) -> dict[str, PaymentMethodMapping]:
        _check_keys(value, "payment method")
        return value

    @field_validator("line_accounts")
    @classmethod
    def _alias_keys(cls, value: dict[str, LineTarget]) -> dict[str, LineTarget]:
        _check_keys(value, "line account alias")
        return value

    def accepts(self, currency: str, home_currency: str) -> bool:
        return currency == home_currency or currency in self.currencies.accepted


def _check_keys(value: dict[str, Any], what: str) -> None:
    for key in value:
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            raise ValueError(
                f"{what} '{key}' must be 1-64 letters, digits, '_', '.' or '-' (as the case log writes it)"
            )


def template_fields(template: str, allowed: frozenset[str]) -> set[str]:
    """The field names a template uses; raises ValueError naming the allowed ones for anything else."""
    if len(template) > TEMPLATE_MAX:
        raise ValueError(f"is {len(template)} characters long; templates are limited to {TEMPLATE_MAX}")
    names: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"is not a valid template ({exc}); write literal braces as {{{{ and }}}}") from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in allowed:
            shown = ", ".join("{" + f + "}" for f in sorted(allowed))
            raise ValueError(f"uses {{{name}}}; allowed fields: {shown}")
        if spec or conversion:
            raise ValueError(f"{{{name}}} must be written without a format spec or conversion")
        names.add(name)
    return names


# --- checks that need the provider -------------------------------------------------------------------


def mapping_problems(mapping: MappingConfig, provider: str, home_currency: str) -> list[ConfigProblem]:
    """Everything wrong with ``mapping`` for a tenant of ``provider``; paths are relative to the tenant."""
    problems: list[ConfigProblem] = []
    qbo = provider == "quickbooks"

    def add(path: str, value: Any, message: str) -> None:
        problems.append(ConfigProblem(path, value, message))

    def ref(path: str, value: Ref | None) -> None:
        if value is None:
            return
        if qbo and value.code is not None:
            add(path, value.code, 'QuickBooks references accounts and items by id: write {id: "..."}')
        elif not qbo and value.id is not None:
            add(path, value.id, 'Xero references accounts and items by code: write {code: "..."}')
        key = value.value_for(provider)
        if qbo and key is not None and not key.isdigit():
            add(path, key, 'a QuickBooks id is a number such as "80" (the account page shows ?accountId=80)')
        if not qbo and key is not None and len(key) > 10:
            add(path, key, "a Xero account code is at most 10 characters")

    def target(path: str, value: LineTarget, kind: str | None) -> None:
        ref(f"{path}.account", value.account)
        ref(f"{path}.item", value.item)
        if value.tax_code is not None and value.tax_code not in mapping.tax.codes:
            declared = ", ".join(sorted(mapping.tax.codes)) or "none declared"
            add(f"{path}.tax_code", value.tax_code, f"is not declared under mapping.tax.codes ({declared})")
        if qbo and kind == "customer_refund" and value.account is not None:
            add(f"{path}.account", value.account.value_for(provider),
                "QuickBooks refund receipts and credit memos post sales lines through an item: "
                'use item: {id: "..."} (the item\'s income account is used)')
        if qbo and kind == "vendor_refund" and value.item is not None:
            add(f"{path}.item", value.item.value_for(provider),
                'vendor credits post to accounts here: use account: {id: "..."}')

    for kind, kind_map in mapping.kinds.items():
        base = f"mapping.kinds.{kind}"
        target(base, kind_map, kind)
        for code, reason in kind_map.reasons.items():
            target(f"{base}.reasons.{code}", reason, kind)
        if qbo and kind == "vendor_refund":
            qb = mapping.quickbooks or QuickBooksMapping()
            if kind_map.cash_refund and qb.ap_account is None:
                add("mapping.quickbooks.ap_account", None,
                    "is needed for vendor cash refunds (the Deposit credits A/P so that it offsets the "
                    "vendor credit); add it or set cash_refund: false")
            if kind_map.apply_to_original and qb.bill_payment_account is None:
                add("mapping.quickbooks.bill_payment_account", None,
                    "is needed to apply vendor credits to bills (a zero-amount BillPayment); add a bank "
                    "account or set apply_to_original: false")
        if not qbo and (kind_map.cash_refund or kind_map.apply_to_original):
            status = (mapping.xero or XeroMapping()).credit_note_status
            if status != "AUTHORISED":
                add("mapping.xero.credit_note_status", status,
                    f"payments and allocations ({base}) need AUTHORISED credit notes; set AUTHORISED or "
                    "turn cash_refund and apply_to_original off")
    for alias, line_target in mapping.line_accounts.items():
        target(f"mapping.line_accounts.{alias}", line_target, None)
    for method, method_map in mapping.payment_methods.items():
        ref(f"mapping.payment_methods.{method}.account", method_map.account)
        if not qbo and method_map.qbo_payment_method is not None:
            add(f"mapping.payment_methods.{method}.qbo_payment_method", method_map.qbo_payment_method,
                "is for quickbooks tenants only")
        elif qbo and method_map.qbo_payment_method is not None and not method_map.qbo_payment_method.isdigit():
            add(f"mapping.payment_methods.{method}.qbo_payment_method", method_map.qbo_payment_method,
                'is the PaymentMethod Id, a number such as "1"')
    if qbo and mapping.quickbooks is not None:
        for name, rule in (("class", mapping.quickbooks.class_), ("department", mapping.quickbooks.department)):
            if rule is None:
                continue
            for key, value in [*rule.values.items(), ("default", rule.default)]:
                if value is not None and not value.isdigit():
                    where = "default" if key == "default" else f"values.{key}"
                    add(f"mapping.quickbooks.{name}.{where}", value,
                        f"is a QuickBooks {name} Id, a number such as \"5000000000000012345\"")
    for code, rate in mapping.currencies.rates.items():
        if code == home_currency:
            add(f"mapping.currencies.rates.{code}", str(rate), "the home currency needs no rate")
        elif code not in mapping.currencies.accepted:
            add(f"mapping.currencies.rates.{code}", code,
                "has a rate but is not in mapping.currencies.accepted")
    if mapping.tax.amounts != "none":
        needs_rate = qbo or mapping.tax.amounts == "exclusive"
        why = "QuickBooks lines are sent net of tax" if qbo else "exclusive lines are sent net of tax"
        for code, tax_code in mapping.tax.codes.items():
            if needs_rate and tax_code.rate is None:
                add(f"mapping.tax.codes.{code}.rate", None,
                    f"is needed with tax.amounts {mapping.tax.amounts}: {why}, and the net is only exact "
                    "with the rate")
    if qbo and mapping.xero is not None:
        add("mapping.xero", "...", "is for xero tenants only; remove it")
    if not qbo and mapping.quickbooks is not None:
        add("mapping.quickbooks", "...", "is for quickbooks tenants only; remove it")
    if not qbo and "case_id" not in template_fields(mapping.tags.line_description, LINE_FIELDS):
        add("mapping.tags.line_description", mapping.tags.line_description,
            "must contain {case_id} for Xero: credit notes have no private note, so the line description "
            "is where a person searches for the case")
    if not qbo:
        categories = [rule.category for rule in (mapping.xero or XeroMapping()).tracking]
        if len(set(categories)) != len(categories):
            add("mapping.xero.tracking", categories, "names a category twice")
    return problems
