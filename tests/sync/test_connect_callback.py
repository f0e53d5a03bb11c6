"""The OAuth callback is checked before its code is used."""

from __future__ import annotations

import pytest

from config.tenants import parse_tenants
from sync.connect import ConnectFailed, check_callback

TENANTS = parse_tenants({"tenants": {"q": {"provider": "quickbooks", "realm_id": "123"},
                                     "x": {"provider": "xero", "tenant_id": "t"}}})


def test_a_good_callback_gives_the_code() -> None:
    assert check_callback({"code": "abc", "state": "s1", "realmId": "123"}, "s1", TENANTS.get("q")) == "abc"


@pytest.mark.parametrize(("params", "words"), [
    ({"code": "abc", "state": "forged"}, "state does not match"),
    ({"code": "abc"}, "state does not match"),
    ({"error": "access_denied", "state": "s1"}, "refused the connection: access_denied"),
    ({"code": "abc", "state": "s1", "realmId": "999"}, "you connected QuickBooks company 999"),
    ({"state": "s1"}, "no authorization code"),
])
def test_bad_callbacks_are_refused(params: dict[str, str], words: str) -> None:
    with pytest.raises(ConnectFailed, match=words):
        check_callback(params, "s1", TENANTS.get("q"))
