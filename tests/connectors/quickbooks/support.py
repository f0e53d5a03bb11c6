"""Helpers of the QuickBooks connector tests: realistic cases, planned and bound the way the engine does.

``post_plan`` walks a :class:`~mapping.plan.CasePlan` like the posting engine (sync/engine/flush.py):
resolve the party (PartyCache over ``list_parties``, created if missing), look the original bill or
invoice up with ``outstanding``, post the credit, bind its remote id into the follow-up, post that.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from config.tenants import TenantConfig
from connectors.protocol import OutgoingDocument, PostOutcome, RemoteDocument
from connectors.quickbooks.client import QuickBooksClient
from mapping.case import RefundCase
from mapping.hashing import idempotency_key
from mapping.placeholders import CREDIT_ID, ORIGINAL_ID, PARTY_ID, bind
from mapping.plan import CasePlan, PlannedDocument, plan_case
from sync.engine.parties import PartyCache
from tests.mapping.helpers import make_case

QBO = "demo-qbo"
REALM = "9130355377389516"


def vendor_cash_refund(case_id: str = "RF-QB-0001", **changes: Any) -> RefundCase:
    """A supplier refunded two broken items and the return shipping to our bank account: VendorCredit
    (two lines, damaged goods 93 and freight 94, class Purchasing) + Deposit into Checking 35."""
    return make_case(case_id=case_id, party={"name": "Shenzhen Lianhua Trading Co.", "external_id": None},
                     amount="118.00", reason_code="DAMAGED",
                     payment={"method": "bank_transfer", "transaction_id": "PAY-7781"},
                     lines=[{"description": "Wrong glaze colour, 12 plates", "amount": "96.00", "party": None,
                             "account": None},
                            {"description": "Return shipping", "amount": "22.00", "party": None,
                             "account": "shipping"}], **changes)


def vendor_credit_on_bill(case_id: str = "RF-QB-0002", **changes: Any) -> RefundCase:
    """A price adjustment from 深圳市联华贸易有限公司 applied to its open bill BILL-1043: VendorCredit + BillPayment."""
    return make_case(case_id=case_id, party={"name": "深圳市联华贸易有限公司", "external_id": None}, amount="310.25",
                     reason_code="PRICE_ADJUSTMENT", payment=None, original_document="BILL-1043", lines=None,
                     **changes)


def customer_card_refund(case_id: str = "RF-QB-0003", **changes: Any) -> RefundCase:
    """A customer got money back on their card for a damaged lantern: RefundReceipt from Card refunds 36."""
    return make_case(case_id=case_id, kind="customer_refund", party={"name": "Northwind Retail Inc.",
                                                                      "external_id": None},
                     amount="45.00", reason_code="DAMAGED", payment={"method": "card", "transaction_id": "CH-3301"},
                     lines=[{"description": "LX-200 arrived cracked", "amount": "45.00", "party": None,
                             "account": None}], **changes)


def customer_credit_on_invoice(case_id: str = "RF-QB-0004", **changes: Any) -> RefundCase:
    """Store credit for 山田太郎 applied to his open invoice INV-2002: CreditMemo + Payment."""
    return make_case(case_id=case_id, kind="customer_refund", party={"name": "山田太郎", "external_id": None},
                     amount="1200.00", reason_code="PRICE_ADJUSTMENT", payment=None, original_document="INV-2002",
                     lines=None, **changes)


def multi_vendor_order(case_id: str = "RF-QB-0005", **changes: Any) -> RefundCase:
    """One marketplace order, three suppliers (two of them new to the books): three VendorCredits."""
    return make_case(case_id=case_id, party={"name": "Kitchen Box Marketplace", "external_id": None},
                     amount="187.45", reason_code="DAMAGED", payment=None,
                     lines=[{"description": "Teapot lid chipped", "amount": "38.90",
                             "party": {"name": "深圳市联华贸易有限公司", "external_id": None}, "account": None},
                            {"description": "Glass jar cracked", "amount": "61.25",
                             "party": {"name": "Guangzhou Bright Ceramics", "external_id": "V-1044"},
                             "account": None},
                            {"description": "Bamboo trays warped", "amount": "87.30",
                             "party": {"name": "Nordic Paper AB", "external_id": None}, "account": None}],
                     **changes)


def outgoing(document: PlannedDocument, values: dict[str, str], ref: str | None = None) -> OutgoingDocument:
    """The engine's OutgoingDocument: placeholders bound, the key derived from the posting id."""
    ref = ref or str(uuid.uuid4())
    return OutgoingDocument(ref=ref, type=document.type, path=bind(document.path, values),
                            payload=bind(document.payload, values), tag=document.tag,
                            lookup_field=document.lookup_field,
                            idempotency_key=idempotency_key(ref, document.payload_hash, "quickbooks"))


@dataclass
class Posted:
    plan: CasePlan
    documents: dict[str, RemoteDocument] = field(default_factory=dict)  # by PlannedDocument.key
    outcomes: dict[str, PostOutcome] = field(default_factory=dict)


def party_values(client: QuickBooksClient, plan: CasePlan, document: PlannedDocument,
                 parties: PartyCache) -> dict[str, str]:
    party_plan = next(p for p in plan.parties if p.key == document.party_key)
    return {PARTY_ID: parties.resolve(client, party_plan, "QuickBooks").id}


def post_plan(client: QuickBooksClient, tenant: TenantConfig, case: RefundCase,
              parties: PartyCache | None = None) -> Posted:
    """Post every document of the case in order, one create each; fails the test on any error."""
    parties = parties or PartyCache()
    plan = plan_case(case, tenant)
    posted = Posted(plan)
    for document in plan.documents:
        values = party_values(client, plan, document, parties)
        if CREDIT_ID in document.placeholders:
            values[CREDIT_ID] = posted.documents[plan.credit_of(document).key].remote_id
        if ORIGINAL_ID in document.placeholders:
            assert plan.original is not None
            original = client.outstanding(plan.original.type, plan.original.lookup_field, plan.original.number)
            assert original is not None and original.balance >= document.amount
            values[ORIGINAL_ID] = original.remote_id
        [outcome] = client.post([outgoing(document, values)])
        assert outcome.created is not None, (document.key, outcome.classification, outcome.error)
        posted.documents[document.key] = outcome.created
        posted.outcomes[document.key] = outcome
    return posted
