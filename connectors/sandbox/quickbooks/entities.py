"""What the sandbox knows about each QBO entity: required fields, references, operations, queryable
properties, and the string limits Intuit enforces (from the XSD annotations and Intuit's docs)."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Reference fields -> the entity they must point at ("Names" = Vendor or Customer, as Intuit says).
TOP_REFERENCES: dict[str, str] = {
    "VendorRef": "Vendor",
    "CustomerRef": "Customer",
    "APAccountRef": "Account",
    "ARAccountRef": "Account",
    "DepositToAccountRef": "Account",
    "IncomeAccountRef": "Account",
    "ExpenseAccountRef": "Account",
    "AssetAccountRef": "Account",
    "ParentRef": "Account",
    "PaymentMethodRef": "PaymentMethod",
    "ClassRef": "Class",
}

LINE_DETAIL_REFERENCES: dict[str, str] = {
    "AccountRef": "Account",
    "ItemRef": "Item",
    "CustomerRef": "Customer",
    "TaxCodeRef": "TaxCode",
    "ClassRef": "Class",
    "PaymentMethodRef": "PaymentMethod",
}

#: Payments apply to these transaction types through ``Line.LinkedTxn``.
LINKED_TXN_TYPES: dict[str, tuple[str, ...]] = {
    "BillPayment": ("Bill", "VendorCredit"),
    "Payment": ("Invoice", "CreditMemo"),
}

#: Lengths Intuit enforces on create/update (fault 2050).
STRING_LIMITS: dict[str, int] = {
    "DocNumber": 21,
    "PrivateNote": 4000,
    "Memo": 4000,
    "DisplayName": 500,
    "CompanyName": 100,
    "GivenName": 100,
    "FamilyName": 100,
    "PaymentRefNum": 21,
    "AcctNum": 20,
}

PURCHASE_DETAILS = frozenset({"AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail"})
SALES_DETAILS = frozenset(
    {
        "SalesItemLineDetail",
        "SubTotalLineDetail",
        "DiscountLineDetail",
        "DescriptionOnly",
        "GroupLineDetail",
    }
)
DEPOSIT_DETAILS = frozenset({"DepositLineDetail"})

_TXN_QUERYABLE = frozenset(
    {
        "Id",
        "DocNumber",
        "TxnDate",
        "TotalAmt",
        "MetaData.CreateTime",
        "MetaData.LastUpdatedTime",
    }
)


@dataclass(frozen=True)
class EntitySpec:
    name: str
    kind: str  # "name" (name list), "txn" (transaction) or "list" (read-only company list)
    required: tuple[str, ...] = ()
    needs_lines: bool = False
    line_details: frozenset[str] = frozenset()
    deletable: bool = False
    voidable: bool = False
    writable: bool = True
    open_balance: bool = False  # Balance starts at TotalAmt (bills, invoices, credits)
    remaining_credit: bool = False
    sub_total_line: bool = False  # Intuit appends a SubTotalLineDetail line to sales forms
    queryable: frozenset[str] = field(default_factory=frozenset)
    unique_name: str | None = None  # DisplayName / Name must be unique (6240)

    @property
    def sequence(self) -> str:
        """Transactions share one id sequence in QBO; each name list has its own."""
        return "txn" if self.kind == "txn" else self.name

    @property
    def path(self) -> str:
        return self.name.lower()


SPECS: dict[str, EntitySpec] = {
    spec.name: spec
    for spec in (
        EntitySpec(
            "Vendor",
            "name",
            required=("DisplayName",),
            unique_name="DisplayName",
            queryable=frozenset(
                {
                    "Id",
                    "DisplayName",
                    "GivenName",
                    "FamilyName",
                    "CompanyName",
                    "PrintOnCheckName",
                    "Active",
                    "Balance",
                    "AcctNum",
                    "MetaData.CreateTime",
                    "MetaData.LastUpdatedTime",
                }
            ),
        ),
        EntitySpec(
            "Customer",
            "name",
            required=("DisplayName",),
            unique_name="DisplayName",
            queryable=frozenset(
                {
                    "Id",
                    "DisplayName",
                    "GivenName",
                    "FamilyName",
                    "CompanyName",
                    "PrintOnCheckName",
                    "Active",
                    "Balance",
                    "FullyQualifiedName",
                    "MetaData.CreateTime",
                    "MetaData.LastUpdatedTime",
                }
            ),
        ),
        EntitySpec(
            "Account",
            "name",
            required=("Name",),
            unique_name="Name",
            queryable=frozenset(
                {
                    "Id",
                    "Name",
                    "AccountType",
                    "AccountSubType",
                    "Classification",
                    "AcctNum",
                    "Active",
                    "CurrentBalance",
                    "FullyQualifiedName",
                    "MetaData.CreateTime",
                    "MetaData.LastUpdatedTime",
                }
            ),
        ),
        EntitySpec(
            "Item",
            "name",
            required=("Name",),
            unique_name="Name",
            queryable=frozenset(
                {
                    "Id",
                    "Name",
                    "Type",
                    "Active",
                    "Sku",
                    "FullyQualifiedName",
                    "MetaData.CreateTime",
                    "MetaData.LastUpdatedTime",
                }
            ),
        ),
        EntitySpec(
            "Class",
            "name",
            required=("Name",),
            unique_name="Name",
            queryable=frozenset(
                {"Id", "Name", "Active", "FullyQualifiedName", "MetaData.CreateTime", "MetaData.LastUpdatedTime"}
            ),
        ),
        EntitySpec(
            "PaymentMethod",
            "name",
            required=("Name",),
            unique_name="Name",
            queryable=frozenset({"Id", "Name", "Active", "Type", "MetaData.CreateTime", "MetaData.LastUpdatedTime"}),
        ),
        EntitySpec(
            "TaxCode",
            "list",
            writable=False,
            queryable=frozenset({"Id", "Name", "Active", "Taxable", "MetaData.LastUpdatedTime"}),
        ),
        EntitySpec(
            "TaxRate",
            "list",
            writable=False,
            queryable=frozenset({"Id", "Name", "Active", "RateValue", "MetaData.LastUpdatedTime"}),
        ),
        EntitySpec(
            "Bill",
            "txn",
            required=("VendorRef",),
            needs_lines=True,
            line_details=PURCHASE_DETAILS,
            deletable=True,
            open_balance=True,
            queryable=_TXN_QUERYABLE | {"VendorRef", "Balance", "DueDate", "APAccountRef"},
        ),
        EntitySpec(
            "Invoice",
            "txn",
            required=("CustomerRef",),
            needs_lines=True,
            line_details=SALES_DETAILS,
            deletable=True,
            voidable=True,
            open_balance=True,
            sub_total_line=True,
            queryable=_TXN_QUERYABLE | {"CustomerRef", "Balance", "DueDate"},
        ),
        EntitySpec(
            "VendorCredit",
            "txn",
            required=("VendorRef",),
            needs_lines=True,
            line_details=PURCHASE_DETAILS,
            deletable=True,
            open_balance=True,
            queryable=_TXN_QUERYABLE | {"VendorRef", "Balance", "APAccountRef"},
        ),
        EntitySpec(
            "CreditMemo",
            "txn",
            required=("CustomerRef",),
            needs_lines=True,
            line_details=SALES_DETAILS,
            deletable=True,
            voidable=True,
            open_balance=True,
            remaining_credit=True,
            sub_total_line=True,
            queryable=_TXN_QUERYABLE | {"CustomerRef", "Balance", "RemainingCredit"},
        ),
        EntitySpec(
            "RefundReceipt",
            "txn",
            required=("DepositToAccountRef",),
            needs_lines=True,
            line_details=SALES_DETAILS,
            deletable=True,
            voidable=True,
            sub_total_line=True,
            queryable=_TXN_QUERYABLE | {"CustomerRef", "DepositToAccountRef"},
        ),
        EntitySpec(
            "Deposit",
            "txn",
            required=("DepositToAccountRef",),
            needs_lines=True,
            line_details=DEPOSIT_DETAILS,
            deletable=True,
            queryable=_TXN_QUERYABLE | {"DepositToAccountRef"},
        ),
        EntitySpec(
            "BillPayment",
            "txn",
            required=("VendorRef", "PayType", "TotalAmt"),
            needs_lines=True,
            deletable=True,
            voidable=True,
            queryable=_TXN_QUERYABLE | {"VendorRef", "PayType"},
        ),
        EntitySpec(
            "Payment",
            "txn",
            required=("CustomerRef", "TotalAmt"),
            deletable=True,
            voidable=True,
            # PaymentRefNum: refundsync finds its payments by it (whether Intuit filters on it is unconfirmed).
            queryable=_TXN_QUERYABLE | {"CustomerRef", "PaymentRefNum"},
        ),
    )
}

BY_PATH: dict[str, EntitySpec] = {spec.path: spec for spec in SPECS.values()}
