"""xero-python's gaps (../shared/reference/xero.md, issue 5) and the workaround for each, against the sandbox.

Each test fails without its workaround: a shared ``Configuration``, errors read through ``.reason`` (first
message only), no timeout (and float timeouts dropped), Decimals sent as floats. The fifth gap, urllib3
re-sending a PUT whose answer was lost, is ``test_batches.test_a_lost_response_is_uncertain_...``.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import httpx
import pytest
from xero_python.api_client.configuration import Configuration
from xero_python.exceptions import AccountingBadRequestException

from config.tenants import TenantConfig
from connectors.errors import Action
from connectors.protocol import CallFailed
from connectors.xero.client import XeroClient
from connectors.xero.transport import ExactJson
from mapping.wire import FloatInPayload
from tests.connectors.xero.conftest import MakeEnv, XeroEnv
from tests.connectors.xero.helpers import (
    SHENZHEN,
    TENANT_ID,
    Poster,
    plans,
    store_tokens,
    stored,
    vendor_cash_refund,
    writes,
)

OTHER_TENANT = "0d3e5f7a-9b1c-4d2e-8f3a-5b7c9d1e3f50"


def test_two_tenants_in_one_process_each_keep_their_own_configuration_and_token(env: XeroEnv) -> None:
    # The gap: Configuration's metaclass answers every Configuration(...) after the first with a copy of
    # that first instance, ignoring the arguments (xero-python #99).
    Configuration()
    probe = object()
    assert Configuration(oauth2_token=probe).oauth2_token is not probe

    env.sandbox.admin.seed({"companies": [{
        "name": "other-xero", "provider": "xero", "tenant_id": OTHER_TENANT, "display_name": "Other Trading",
        "preferences": {"base_currency": "USD"},
        "contacts": [{"Name": "Only Contact Ltd", "IsSupplier": True}]}]})
    other = TenantConfig(name="other-xero", provider="xero", tenant_id=OTHER_TENANT, base_url=env.sandbox.base_url)
    store_tokens(env.runtime, env.sandbox, other)  # a grant covering only the other organisation
    first, second = env.client, XeroClient(other, env.runtime)
    assert first.session.sdk.configuration is not second.session.sdk.configuration
    assert first.session.sdk.configuration.oauth2_token is not second.session.sdk.configuration.oauth2_token

    # each client sends its own tenant's token: with a shared one, one of these would be a 403
    assert [p.name for p in second.list_parties("Contact")] == ["Only Contact Ltd"]
    assert len(first.list_parties("Contact")) == 9
    assert [p.name for p in second.list_parties("Contact")] == ["Only Contact Ltd"]
    assert {r["status"] for r in env.sandbox.admin.requests(provider="xero")} == {200}


def test_an_error_keeps_every_validation_message_not_only_the_first(env: XeroEnv) -> None:
    def note(reference: str, account: str) -> dict[str, Any]:
        return {"Type": "ACCPAYCREDIT", "Contact": {"ContactID": SHENZHEN}, "Status": "AUTHORISED",
                "Date": "/Date(1795132800000)/", "LineAmountTypes": "NoTax", "Reference": reference,
                "LineItems": [{"Description": "refund", "Quantity": Decimal(1), "UnitAmount": Decimal("10.00"),
                               "AccountCode": account}]}

    body = ExactJson({"CreditNotes": [note("RF-E1", "4010"), note("RF-E2", "999")]})  # summarized: a 400
    session = env.client.session
    with pytest.raises(CallFailed) as ours:
        session.call(lambda api: api.create_credit_notes(TENANT_ID, body, _preload_content=False), write=True)
    assert ours.value.error.message.startswith("Account code '4010' has been archived")
    assert "Account code '999' is not a valid code for this document." in ours.value.error.detail
    assert ours.value.classification.rule == "xero.account_archived"

    # the gap: the SDK's exception says only the first
    session.sdk.bearer.use(env.runtime.keeper.access_token("demo-xero", "xero", session._refresh))
    with pytest.raises(AccountingBadRequestException) as sdk:
        session.api.create_credit_notes(TENANT_ID, body)
    assert sdk.value.reason.startswith("Account code '4010'") and "999" not in sdk.value.reason


def test_a_hung_xero_times_out_reads_retry_and_writes_are_uncertain(sandbox: object, make_env: MakeEnv) -> None:
    env = make_env(sandbox, http_timeout=0.5)  # a float: xero-python would silently drop it
    plan = plans(env.tenant, [vendor_cash_refund("RF-2026-001101")])[0]
    doc = Poster(env.client).outgoing(plan, plan.documents[0])
    env.sandbox.admin.set_faults("demo-xero", latency_ms=1500)

    started = time.monotonic()
    outcome = env.client.post([doc])[0]
    elapsed = time.monotonic() - started
    assert outcome.created is None and outcome.classification is not None
    assert (outcome.classification.action, outcome.classification.rule) == (Action.UNCERTAIN,
                                                                             "transport.timeout.write")
    assert elapsed < 1.3, elapsed
    with pytest.raises(CallFailed) as read:
        env.client.list_parties("Contact")
    assert (read.value.classification.action, read.value.classification.rule) == (Action.RETRY,
                                                                                  "transport.timeout.read")

    env.sandbox.admin.clear_faults("demo-xero")
    deadline = time.monotonic() + 5
    while not list(stored(env.sandbox, "CreditNote")) and time.monotonic() < deadline:
        time.sleep(0.05)  # Xero finishes what it started: the uncertain write did land
    found = env.client.find_by_tag("CreditNote", "Reference", "RF-2026-001101")
    assert len(found) == 1


def test_money_goes_on_the_wire_with_its_own_digits_and_a_float_never_does(env: XeroEnv) -> None:
    sent: list[bytes] = []

    def keep(request: httpx.Request) -> None:
        if request.method == "PUT":
            sent.append(request.content)

    env.client.session.sdk.transport.client.event_hooks["request"].append(keep)
    plan, other = plans(env.tenant, [vendor_cash_refund("RF-2026-001102"), vendor_cash_refund("RF-2026-001103")])
    poster = Poster(env.client)
    doc, big = poster.outgoing(plan, plan.documents[0]), poster.outgoing(other, other.documents[0])
    line = big.payload["LineItems"][0]
    line.update(UnitAmount=Decimal("99999999999999.99"), LineAmount=Decimal("99999999999999.99"))
    big.payload["LineItems"] = [line]

    outcomes = env.client.post([doc, big])

    assert all(o.created is not None for o in outcomes)
    assert b'"Quantity":1,"UnitAmount":98.40,"LineAmount":98.40' in sent[0]  # not 1.0 and 98.4
    assert b'"UnitAmount":99999999999999.99' in sent[0]
    created = outcomes[1].created
    assert created is not None and created.amount == Decimal("99999999999999.99")
    assert repr(float(Decimal("99999999999999.99"))) == "99999999999999.98"  # what xero-python would send

    start = env.sandbox.admin.last_request_seq()
    line["UnitAmount"] = 10.1  # a float reaching a payload is a bug: refused before anything is sent
    with pytest.raises(FloatInPayload):
        env.client.post([big])
    assert writes(env.sandbox, start) == []
