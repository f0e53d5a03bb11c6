"""What each provider accepts, in one place, so every check before an API call reads the same numbers.

Sources (see ../shared/reference/): QBO ``DocNumber`` is at most 21 characters (Intuit's schema
annotation "ValidRange: QBO: max=21"); ``requestid`` at most 50 characters; ``PaymentRefNum`` 21;
``PrivateNote`` and line ``Description`` 4000. Xero's ``Idempotency-Key`` is at most 128 characters;
Xero does not publish a length for ``Reference``/``CreditNoteNumber``: 255 is the limit it applies to
invoice numbers and references, used here for both. Both providers store line amounts and totals with
two decimals at most (QuickBooks rounds line totals, subtotals and tax to 2 places; Xero's money fields
are 2 places), so a 3-decimal currency (BHD, KWD, ...) can be posted exactly only when the third
decimal is 0. Xero's OpenAPI types money as ``double`` and xero-python sends ``float(Decimal)``: an
amount with at most 15 significant digits survives that exactly, so no amount may carry more.
"""

from __future__ import annotations

from typing import Final

from config.tenants import Provider

#: QuickBooks Online
QBO_DOC_NUMBER_MAX: Final = 21
QBO_REQUEST_ID_MAX: Final = 50
QBO_BATCH_ID_MAX: Final = 36
QBO_PRIVATE_NOTE_MAX: Final = 4000
QBO_DESCRIPTION_MAX: Final = 4000
QBO_PAYMENT_REF_NUM_MAX: Final = 21
QBO_DISPLAY_NAME_MAX: Final = 500

#: Xero
XERO_REFERENCE_MAX: Final = 255
XERO_CREDIT_NOTE_NUMBER_MAX: Final = 255
XERO_IDEMPOTENCY_KEY_MAX: Final = 128
XERO_DESCRIPTION_MAX: Final = 4000
XERO_CONTACT_NAME_MAX: Final = 255
XERO_CONTACT_NUMBER_MAX: Final = 50
XERO_TRACKING_CATEGORIES_MAX: Final = 2

#: Decimals a provider stores for an amount, whatever the currency's minor units.
AMOUNT_DECIMALS: Final[dict[Provider, int]] = {Provider.QUICKBOOKS: 2, Provider.XERO: 2}

#: Significant digits an amount or rate may carry to pass through an IEEE double unchanged.
MAX_SIGNIFICANT_DIGITS: Final = 15

#: Decimals kept when a rate must be inverted (Xero quotes foreign units per home unit).
INVERTED_RATE_SIGNIFICANT_DIGITS: Final = 10
