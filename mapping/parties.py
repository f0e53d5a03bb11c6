"""Finding the provider's vendor/customer/contact for a case party: pure, over a list the connector fetched.

Resolution tries, in the order the tenant configures (default: all three):

1. ``external_id``: the party's id in the case log equals the candidate's external id (the connector fills
   ``KnownParty.external_id`` from whatever field the company keeps it in, e.g. QBO ``AcctNum`` or Xero
   ``ContactNumber``);
2. ``exact_name``: the names are identical;
3. ``normalised_name``: the names are equal after :func:`normalise_name`: Unicode NFKC (full-width
   ``ＡＢＣ　（深圳）`` and half-width ``ｶﾀｶﾅ`` fold to ``ABC (深圳)`` and ``カタカナ``), case folding, and
   removal of every punctuation, separator and whitespace character. Marketplace exports write one
   vendor as ``深圳市联华贸易（集团）`` and ``深圳市联华贸易(集团)``, or ``ACME Co., Ltd.`` and
   ``Acme Co Ltd``.

The first rule that matches decides. Two active candidates matching at the same rule is ambiguous (which
one would be a guess), so it is a permanent error; a match that is only inactive is reported as such.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, Protocol, TypeVar

from mapping.case import Party
from mapping.errors import MappingError, MappingErrorCode

MatchRule = Literal["external_id", "exact_name", "normalised_name"]
DEFAULT_RULES: tuple[MatchRule, ...] = ("external_id", "exact_name", "normalised_name")

_DROP_CATEGORIES = ("P", "Z", "C")  # punctuation, separators, control/format characters


def normalise_name(name: str) -> str:
    """The comparison form of a party name (see the module docstring); never empty for a non-empty name."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    # NFKC again: case folding can leave text that is not in NFKC form (Unicode's NFKC_Casefold recipe).
    folded = unicodedata.normalize("NFKC", folded)
    kept = "".join(ch for ch in folded if not unicodedata.category(ch).startswith(_DROP_CATEGORIES))
    # Dropping a spacing character can leave a combining mark next to a letter: compose them again.
    return unicodedata.normalize("NFKC", kept) if kept else folded.strip()


def party_key(party: Party) -> str:
    """A stable key of the party within a tenant: its external id if it has one, else its normalised name.

    Lines whose parties share a key are one party (one credit document): ``ACME Co.`` and ``Acme Co``
    would resolve to the same remote vendor anyway.
    """
    if party.external_id:
        return "id:" + party.external_id
    return "name:" + normalise_name(party.name)


class PartyRecord(Protocol):
    """What matching needs of a candidate (``KnownParty``, or the connectors' ``RemoteParty``)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def external_id(self) -> str | None: ...
    @property
    def active(self) -> bool: ...


P = TypeVar("P", bound=PartyRecord)


@dataclass(frozen=True)
class KnownParty:
    """A vendor/customer/contact as the provider has it (what the connector fetched)."""

    id: str
    name: str
    external_id: str | None = None
    active: bool = True


@dataclass
class PartyDirectory(Generic[P]):
    """Candidates indexed once for fast lookups; build one per tenant and refresh it when it changes."""

    candidates: Sequence[P]
    _by_external: dict[str, list[P]] = field(default_factory=dict, init=False, repr=False)
    _by_name: dict[str, list[P]] = field(default_factory=dict, init=False, repr=False)
    _by_normalised: dict[str, list[P]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for candidate in self.candidates:
            if candidate.external_id:
                self._by_external.setdefault(candidate.external_id, []).append(candidate)
            self._by_name.setdefault(candidate.name, []).append(candidate)
            self._by_normalised.setdefault(normalise_name(candidate.name), []).append(candidate)

    def match(self, party: Party, rules: Iterable[MatchRule] = DEFAULT_RULES) -> P | None:
        """The candidate the party resolves to, None if none does; raises on ambiguity or inactive-only."""
        for rule in rules:
            if rule == "external_id":
                found = self._by_external.get(party.external_id, []) if party.external_id else []
            elif rule == "exact_name":
                found = self._by_name.get(party.name, [])
            else:
                found = self._by_normalised.get(normalise_name(party.name), [])
            if found:
                return _decide(party, rule, found)
        return None


def match_party(party: Party, candidates: Iterable[P], rules: Iterable[MatchRule] = DEFAULT_RULES) -> P | None:
    """One-off form of :meth:`PartyDirectory.match` (builds the index for this call)."""
    return PartyDirectory(list(candidates)).match(party, rules)


def _decide(party: Party, rule: MatchRule, found: list[P]) -> P:
    active = _distinct(c for c in found if c.active)
    if len(active) == 1:
        return active[0]
    if len(active) > 1:
        ids = ", ".join(c.id for c in active)
        raise MappingError(
            MappingErrorCode.PARTY_AMBIGUOUS,
            f"party '{party.name}' matches {len(active)} records by {rule.replace('_', ' ')} (ids {ids}): "
            "merge or rename them in the accounting system, or give the case an external_id",
            "party",
        )
    inactive = _distinct(found)
    ids = ", ".join(c.id for c in inactive)
    raise MappingError(
        MappingErrorCode.PARTY_INACTIVE,
        f"party '{party.name}' matches only inactive record(s) (id {ids}): make it active again in the "
        "accounting system, then re-run the case",
        "party",
    )


def _distinct(candidates: Iterable[P]) -> list[P]:
    seen: dict[str, P] = {}
    for c in candidates:
        seen.setdefault(c.id, c)
    return list(seen.values())
