"""Values only known at posting time, written into payloads as placeholders and bound just before sending.

A payload is planned (and hashed) before the connector knows the remote id of the party, of the credit a
refund or allocation refers to, or of the original bill/invoice. Those values are whole-string
placeholders such as ``"{{party.id}}"``; :func:`bind` replaces them without touching anything else, so
the hash of the unbound payload stays the posting's identity.

Names in use:

* ``party.id``: the vendor/customer/contact id (QBO ``VendorRef``/``CustomerRef``/``Entity`` value,
  Xero ``Contact.ContactID``), from party resolution;
* ``credit.id``: the remote id of this party's credit document (role ``credit``) in the same case plan,
  needed by the follow-ups (QBO ``LinkedTxn.TxnId``, Xero ``CreditNote.CreditNoteID`` and the
  allocation URL);
* ``original.id``: the remote id of the case's original bill or invoice, looked up by its number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

PARTY_ID: Final = "party.id"
CREDIT_ID: Final = "credit.id"
ORIGINAL_ID: Final = "original.id"
KNOWN: Final = frozenset({PARTY_ID, CREDIT_ID, ORIGINAL_ID})

_PATTERN = re.compile(r"\{\{([a-z]+\.[a-z]+)\}\}")


def placeholder(name: str) -> str:
    """The text that stands for ``name`` in a payload: ``{{party.id}}``."""
    if name not in KNOWN:
        raise ValueError(f"unknown placeholder {name!r}; known: {', '.join(sorted(KNOWN))}")
    return "{{" + name + "}}"


class UnboundPlaceholder(KeyError):
    """A payload still needs a value that was not given to :func:`bind`."""


def find_placeholders(value: Any) -> set[str]:
    """Names of every placeholder inside ``value`` (strings, dicts, lists)."""
    found: set[str] = set()
    _collect(value, found)
    return found


def _collect(value: Any, found: set[str]) -> None:
    if isinstance(value, str):
        if "{{" in value:
            found.update(_PATTERN.findall(value))
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, found)


def placeholders_in_text(text: str) -> set[str]:
    """Names of the placeholders in a JSON text (JSON escaping never touches ``{{a.b}}``)."""
    return set(_PATTERN.findall(text)) if "{{" in text else set()


def bind(value: Any, values: Mapping[str, str]) -> Any:
    """A copy of ``value`` with every placeholder replaced by ``values[name]``; the input is not changed.

    Placeholders may also sit inside a longer string (a URL path such as
    ``CreditNotes/{{credit.id}}/Allocations``). Raises :class:`UnboundPlaceholder` if a value is missing.
    """
    if isinstance(value, str):
        if "{{" not in value:
            return value
        return _PATTERN.sub(lambda m: _value_of(m.group(1), values), value)
    if isinstance(value, dict):
        return {key: bind(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [bind(item, values) for item in value]
    if isinstance(value, tuple):
        return tuple(bind(item, values) for item in value)
    return value


def _value_of(name: str, values: Mapping[str, str]) -> str:
    try:
        bound = values[name]
    except KeyError:
        raise UnboundPlaceholder(f"no value for placeholder {{{{{name}}}}}; give bind() {name!r}") from None
    if not isinstance(bound, str) or not bound:
        raise ValueError(f"placeholder {name!r} must be bound to a non-empty string id, not {bound!r}")
    return bound
