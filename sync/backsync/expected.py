"""What the books should hold for a posting, from its case revision: pure, no I/O, no tenant mapping.

The amount is the party's share of the case (the sum of its lines, or the case amount for a single-party
case without lines): that is what the mapping posts for the credit and for its follow-up (a refund payment
or an application moves the whole credit). Currency and date are the case's. The tag is the one the
posting was sent with (``postings.tag``), not one re-rendered from today's templates, so a changed tag
template is never reported as drift. The tenant mapping is deliberately not consulted: a mapping edited
since posting must not make old entries look wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from mapping.case import Party, RefundCase
from mapping.parties import party_key
from sync.backsync.compare import Expected
from sync.ledger.models import Posting

#: case party -> the remote party id the tenant's rules resolve it to (None when unknown).
PartyResolver = Callable[[RefundCase, Party], str | None]


def expected_for(posting: Posting, case: RefundCase, resolve_party: PartyResolver | None = None) -> Expected:
    party, amount = party_share(case, posting.party_key)
    return Expected(
        type=posting.document_type or "",
        remote_id=posting.remote_id,
        amount=amount,
        currency=case.currency,
        party_name=party.name if party is not None else posting.party_name,
        party_id=resolve_party(case, party) if (resolve_party is not None and party is not None) else None,
        date=case.refund_date,
        tag=posting.tag,
    )


def party_share(case: RefundCase, key: str) -> tuple[Party | None, Decimal | None]:
    """The case party whose key is ``key`` and its amount (None, None when the case no longer names it)."""
    if not case.lines:
        return (case.party, case.amount) if party_key(case.party) == key else (None, None)
    party: Party | None = None
    total = Decimal(0)
    for line in case.lines:
        line_party = line.party or case.party
        if party_key(line_party) == key:
            party = party or line_party
            total += line.amount
    return (party, total) if party is not None else (None, None)
