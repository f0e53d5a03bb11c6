"""Tags and memos: how a posted document is found again, and how a person finds the case from the books.

Tag scheme
----------
A tag is ``stem + suffix``.

* The **stem** is the tenant's template (``mapping.tags.doc_number`` for QuickBooks ``DocNumber``,
  ``credit_note_number`` and ``reference`` for Xero), ``{case_id}`` by default. Templates must contain
  ``{case_id}`` and may add ``{order_number}``, ``{reason_code}`` and ``{kind_code}`` (VR / CR).
* The **suffix** makes every document of every revision distinct, and is empty for the common case
  (one party, first revision, the credit itself)::

      ~<n>     party n of a multi-party case (1-based, in the order the case first names them)
      ~r<n>    revision n, for n >= 2 (a re-posted revision needs a tag of its own)
      ~g<n>    the n-th operator repost of the same document (`refundsync repost`, n >= 1)
      ~p       the refund follow-up (QBO Deposit, Xero Payment)
      ~a       the application follow-up (QBO BillPayment/Payment applying the credit)

  e.g. ``RF-2026-000123``, ``RF-2026-000123~2``, ``RF-2026-000123~r2``, ``RF-2026-000123~3~r2~a``,
  ``RF-2026-000123~g1``.

  Why a repost needs ``~g<n>``: a voided Xero credit note keeps its CreditNoteNumber and Reference (and
  Xero refuses a second "must be unique" number), a voided QBO Payment keeps its PaymentRefNum, and a
  lookup by the old tag would find the dead document. A repost's own tag is unique, so a repost whose
  response was lost is still found by lookup. ``n`` counts reposts, not re-runs: an operator re-run
  (`refundsync retry`) must keep the tag, because a document it may already have created is found by it.

Short form (deterministic, collision-resistant)
-----------------------------------------------
``~`` is reserved. When ``stem + suffix`` is longer than the field allows (QBO ``DocNumber``: 21), or
the stem itself contains ``~``, the stem is replaced by ``head + "~h" + D``:

* ``D`` is the first 12 characters of the base32 (RFC 4648, upper case) SHA-256 of the full stem
  (60 bits);
* ``head`` is the stem's first characters (``~`` written as ``-``), as many as fit, so the tag is
  exactly the limit long and the suffix stays readable: ``MKT-AMAZON-JP-2026-11-20-000000123456``
  becomes ``MKT-AMA~hU3DOTQ3WR4OK`` (21 characters), its party 2 ``MKT-A~h<D>~2``;
* if not even one head character fits beside the suffix, the whole ``stem + suffix`` is shortened the
  same way (``head + "~h" + D(stem + suffix)``).

Two different ids share a short form only if 60 bits of SHA-256 collide (about one chance in 10^18 for
a pair; about 5e-5 among ten million long ids with the same head). The full case id is always in the
memo (QBO ``PrivateNote``) and in the line descriptions, so a person can search for it.
``tags.shorten: false`` turns shortening off: a tag that does not fit is then a mapping error.

Missing optional values (no order number, no payment) render as ``-``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping

from mapping.errors import MappingError, MappingErrorCode

SEPARATOR = "~"
HASH_MARK = "~h"
DIGEST_CHARS = 12
MISSING = "-"
ELLIPSIS = "…"

ROLE_SUFFIX = {"credit": "", "refund": "~p", "application": "~a"}


def short_digest(text: str) -> str:
    """12 upper-case base32 characters (60 bits) of SHA-256 over the UTF-8 text."""
    raw = hashlib.sha256(text.encode("utf-8")).digest()
    return base64.b32encode(raw).decode("ascii")[:DIGEST_CHARS]


def tag_suffix(party_index: int, party_count: int, revision: int, role: str, repost: int = 0) -> str:
    """The suffix of the scheme above for one document of one case revision (``repost``: its n-th repost)."""
    suffix = f"{SEPARATOR}{party_index}" if party_count > 1 else ""
    if revision > 1:
        suffix += f"{SEPARATOR}r{revision}"
    if repost > 0:
        suffix += f"{SEPARATOR}g{repost}"
    return suffix + ROLE_SUFFIX[role]


def fit_tag(stem: str, suffix: str, limit: int) -> str:
    """``stem + suffix`` if it fits and the stem has no ``~``; else its short form (module docstring)."""
    full = stem + suffix
    if len(full) <= limit and SEPARATOR not in stem:
        return full
    room = limit - len(suffix) - len(HASH_MARK) - DIGEST_CHARS
    if room >= 1:
        return _head(stem, room) + HASH_MARK + short_digest(stem) + suffix
    head = limit - len(HASH_MARK) - DIGEST_CHARS
    if head < 1:
        raise ValueError(f"a limit of {limit} characters leaves no room for a short form")
    return _head(full, head) + HASH_MARK + short_digest(full)


def _head(text: str, size: int) -> str:
    # '~' in the kept head becomes '-', so the first '~' of a tag always starts the hash mark or suffix.
    return text[:size].replace(SEPARATOR, "-")


def make_tag(
    template: str, fields: Mapping[str, str], suffix: str, limit: int, *, shorten: bool, what: str
) -> str:
    """The tag for one document: rendered template, suffix, shortened if allowed and needed."""
    stem = template.format_map(fields)
    if not shorten and len(stem + suffix) > limit:
        raise MappingError(
            MappingErrorCode.TAG_TOO_LONG,
            f"{what} '{stem + suffix}' is {len(stem + suffix)} characters; the limit is {limit}: shorten the "
            "template or set mapping.tags.shorten: true to use the short form",
            "case_id",
        )
    return fit_tag(stem, suffix, limit) if shorten else stem + suffix


def render_within(
    template: str, fields: Mapping[str, str], limit: int, *, shrink: str, what: str, setting: str
) -> str:
    """The rendered text, the ``shrink`` field cut (with an ellipsis) if needed to fit ``limit``."""
    text = template.format_map(fields)
    if len(text) <= limit:
        return text
    fixed = len(template.format_map({**fields, shrink: ""}))
    room = limit - fixed - len(ELLIPSIS)
    if room < 1:
        raise MappingError(
            MappingErrorCode.TEXT_TOO_LONG,
            f"{what} would be {len(text)} characters; the limit is {limit}: shorten {setting}",
            setting,
        )
    value = fields[shrink]
    return template.format_map({**fields, shrink: value[:room] + ELLIPSIS})


def text_or_missing(value: object | None) -> str:
    """A template value: the text, or ``-`` when the case has none."""
    if value is None:
        return MISSING
    text = str(value)
    return text if text else MISSING
