"""What to do with the document an earlier revision of a case already put in the books. Pure: no I/O.

A new revision N of a case posts, per party and role, a document that an older revision may already have
posted. The books must end up with exactly one live document per party and role, saying what revision N
says, and the history must stay readable. Four answers:

* ``adopt``: revision N's document is the same as the one in the books (only the revision number moved):
  it carries on as revision N's, and nothing is sent.
* ``update``: the provider lets us change it in place (QuickBooks: a sparse update with the SyncToken, any
  active credit; Xero: a credit note that is DRAFT, SUBMITTED or AUTHORISED with nothing paid or allocated,
  RemainingCredit == Total). The id stays, the tag becomes revision N's.
* ``updated``: it already carries revision N's tag: an earlier try changed it and its answer was lost.
* ``replace``: void it (its follow-ups first) and post revision N's as a new document whose memo names
  the one it replaces. Also when the old one is already gone (voided, deleted): then there is nothing to
  void, only the new one to post.

Follow-ups (a QBO Deposit / BillPayment / Payment, a Xero Payment / Allocation) are never changed in
place: they are adopted when unchanged, otherwise voided and posted again after their credit.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from connectors.protocol import RemoteDocument, RemoteStatus
from mapping.entries import DocumentRole

#: Xero edits a credit note in these states (PAID, VOIDED, DELETED cannot be edited).
XERO_EDITABLE = frozenset({"DRAFT", "SUBMITTED", "AUTHORISED"})


class Amendment(StrEnum):
    ADOPT = "adopt"
    UPDATE = "update"
    UPDATED = "updated"
    REPLACE = "replace"


def before_reading(*, unchanged: bool, live: bool) -> Amendment | None:
    """What can be decided from the ledger alone; None means: read the document from the provider first.

    ``live``: the older posting's document is in the books as far as the ledger knows (not voided).
    """
    if not live:
        return Amendment.REPLACE  # voided already (by an earlier try, or by an operator): post anew
    if unchanged:
        return Amendment.ADOPT
    return None


def after_reading(provider: str, role: DocumentRole | str, remote: RemoteDocument | None, new_tag: str | None,
                  new_type: str, *, settled: bool) -> Amendment:
    """The decision once the provider's current view of the old document is known.

    ``remote`` is None when the provider no longer has it; ``settled``: the ledger knows of a follow-up of
    the old credit in the books (a refund payment or an application), which Xero will not let us edit.
    ``new_type``: revision N's document type; a change of type (a QBO RefundReceipt that becomes a
    CreditMemo once the case no longer pays out) cannot be an edit.
    """
    if remote is None or remote.status is not RemoteStatus.ACTIVE:
        return Amendment.REPLACE
    if remote.type != new_type:
        return Amendment.REPLACE
    if new_tag and remote.number == new_tag:
        return Amendment.UPDATED
    if DocumentRole(role) is not DocumentRole.CREDIT:
        return Amendment.REPLACE
    if provider == "quickbooks":
        return Amendment.UPDATE
    return Amendment.UPDATE if xero_editable(remote) and not settled else Amendment.REPLACE


def xero_editable(remote: RemoteDocument) -> bool:
    """Xero edits a credit note only while nothing is paid or allocated against it."""
    status = str(remote.raw.get("Status", "")).upper()
    if status not in XERO_EDITABLE:
        return False
    total = remote.amount if remote.amount is not None else Decimal(0)
    remaining = remote.remaining if remote.remaining is not None else total
    allocations = [a for a in remote.raw.get("Allocations") or [] if isinstance(a, dict) and not a.get("IsDeleted")]
    payments = [p for p in remote.raw.get("Payments") or []
                if isinstance(p, dict) and str(p.get("Status", "")).upper() != "DELETED"]
    return remaining == total and not allocations and not payments


def replacement_note(old_number: str, case_id: str, revision: int) -> str:
    """The link a reposted document carries in its memo (or first line's description)."""
    return f"replaces {old_number}, voided; case {case_id} revision {revision}"
