"""Wire text, canonical hashes and idempotency keys: exact digits, stable everywhere, within limits."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.tenants import Provider
from mapping.hashing import canonical_json, idempotency_key, payload_hash
from mapping.limits import QBO_BATCH_ID_MAX, QBO_REQUEST_ID_MAX, XERO_IDEMPOTENCY_KEY_MAX
from mapping.wire import FloatInPayload, decimal_token, dumps, find_floats
from tests.mapping.helpers import GOLDEN_DIR, REPO_ROOT

JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**15, max_value=10**15),
    st.text(max_size=20),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**12, max_value=10**12),
    st.decimals(allow_nan=False, allow_infinity=False, places=0, min_value=-10**12, max_value=10**12),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)


def test_decimals_are_number_tokens_with_their_own_digits() -> None:
    text = dumps({"a": Decimal("42.50"), "b": Decimal("1500"), "c": Decimal("-0.00")})
    assert text == '{"a":42.50,"b":1500,"c":0.00}'
    assert decimal_token(Decimal("1E+2")) == "100"
    assert dumps(["日本", True, None, 3]) == '["日本",true,null,3]'
    assert dumps(["日本"], ensure_ascii=True) == '["\\u65e5\\u672c"]'
    assert dumps({"x": [1, {"y": []}]}, indent=2) == '{\n  "x": [\n    1,\n    {\n      "y": []\n    }\n  ]\n}'


@pytest.mark.parametrize("bad", [1.5, {"a": [0.1]}, {"a": {"b": float("nan")}}])
def test_a_float_anywhere_is_refused(bad: Any) -> None:
    with pytest.raises(FloatInPayload):
        dumps(bad)
    assert find_floats(bad)


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity")])
def test_non_finite_decimals_are_refused(bad: Decimal) -> None:
    with pytest.raises(ValueError):
        dumps({"a": bad})


@given(JSON_VALUES)
def test_wire_text_parses_back_to_the_same_value(value: Any) -> None:
    for text in (dumps(value), dumps(value, indent=2), dumps(value, sort_keys=True)):
        assert json.loads(text, parse_float=Decimal) == _as_parsed(value)


def _as_parsed(value: Any) -> Any:
    # json.loads reads "1500" as int and "42.50" as Decimal('42.50'): equal values either way.
    if isinstance(value, dict):
        return {k: _as_parsed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_parsed(v) for v in value]
    return value


@given(st.dictionaries(st.text(max_size=6), JSON_SCALARS, max_size=8))
def test_hash_does_not_depend_on_key_order(value: dict[str, Any]) -> None:
    reordered = dict(reversed(list(value.items())))
    assert canonical_json(value) == canonical_json(reordered)
    assert payload_hash(value) == payload_hash(reordered)


def test_hash_is_sha256_of_compact_sorted_text() -> None:
    import hashlib

    payload = {"b": Decimal("1.10"), "a": "x"}
    assert canonical_json(payload) == '{"a":"x","b":1.10}'
    assert payload_hash(payload) == hashlib.sha256(b'{"a":"x","b":1.10}').hexdigest()
    assert payload_hash({"b": Decimal("1.1")}) != payload_hash({"b": Decimal("1.10")})


HASH_SCRIPT = """
import json, sys
from mapping.validation import validate_payload
from mapping.plan import plan_case
from tests.mapping.helpers import tenant, GOLDEN_DIR
out = {}
for path in sorted((GOLDEN_DIR / "cases").glob("*.json")):
    case = validate_payload(path.read_text(encoding="utf-8")).case
    try:
        out[path.stem] = [d.payload_hash for d in plan_case(case, tenant(case.tenant)).documents]
    except Exception as exc:
        out[path.stem] = type(exc).__name__
print(json.dumps(out, sort_keys=True))
"""


def _hashes_in_subprocess(seed: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run([sys.executable, "-c", HASH_SCRIPT], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, check=True, timeout=120)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_payload_hashes_are_the_same_in_other_processes_and_in_the_golden_files() -> None:
    first, second = _hashes_in_subprocess("1"), _hashes_in_subprocess("4242")
    assert first == second
    for name, hashes in first.items():
        golden = json.loads((GOLDEN_DIR / "expected" / f"{name}.json").read_text(encoding="utf-8"))
        if golden["ok"]:
            assert hashes == [d["payload_hash"] for d in golden["documents"]], name
        else:
            assert hashes == "MappingError", name


POSTING_IDS = st.one_of(
    st.integers(min_value=1, max_value=10**18).map(str),
    st.uuids().map(str),
    st.text(min_size=1, max_size=300),
)


@given(posting_id=POSTING_IDS, digest=st.binary(min_size=32, max_size=32).map(bytes.hex))
def test_idempotency_keys_fit_their_provider_and_are_deterministic(posting_id: str, digest: str) -> None:
    qbo = idempotency_key(posting_id, digest, Provider.QUICKBOOKS)
    xero = idempotency_key(posting_id, digest, "xero")
    assert len(qbo) <= QBO_BATCH_ID_MAX <= QBO_REQUEST_ID_MAX
    assert len(xero) <= XERO_IDEMPOTENCY_KEY_MAX
    assert qbo.isascii() and xero.isascii() and qbo.isprintable() and xero.isprintable()
    assert qbo == idempotency_key(posting_id, digest, "quickbooks")
    other = format((int(digest, 16) + 1) % 2**256, "064x")
    assert idempotency_key(posting_id, other, "quickbooks") != qbo
    assert idempotency_key(posting_id, other, "xero") != xero
    assert idempotency_key(posting_id + "x", digest, "xero") != xero


def test_readable_xero_key_and_refusals() -> None:
    digest = "a" * 64
    assert idempotency_key("4711", digest, "xero") == f"rs-4711-{digest}"
    assert idempotency_key("4711", digest, "quickbooks").startswith("rs-")
    with pytest.raises(ValueError):
        idempotency_key("", digest, "xero")
    with pytest.raises(ValueError):
        idempotency_key("1", "not-a-hash", "xero")


@given(posting_id=POSTING_IDS, digest=st.binary(min_size=32, max_size=32).map(bytes.hex),
       generation=st.integers(min_value=1, max_value=10**6))
def test_an_operator_rerun_gets_a_fresh_key_within_the_limits(posting_id: str, digest: str, generation: int) -> None:
    for provider, limit in (("quickbooks", QBO_BATCH_ID_MAX), ("xero", XERO_IDEMPOTENCY_KEY_MAX)):
        first = idempotency_key(posting_id, digest, provider)
        assert idempotency_key(posting_id, digest, provider, 0) == first  # generation 0: the key as it always was
        rerun = idempotency_key(posting_id, digest, provider, generation)
        assert rerun != first and len(rerun) <= limit
        assert rerun == idempotency_key(posting_id, digest, provider, generation)
        assert rerun != idempotency_key(posting_id, digest, provider, generation + 1)


def test_generation_zero_keeps_todays_keys_byte_for_byte() -> None:
    digest = "a" * 64
    # the values keys had before generations existed: a change here re-sends in-flight postings with new keys
    assert idempotency_key("4711", digest, "xero", 0) == f"rs-4711-{digest}"
    assert idempotency_key("4711", digest, "quickbooks", 0) == "rs-" + hashlib.sha256(
        f"quickbooks\n4711\n{digest}".encode()).hexdigest()[:32]
    assert idempotency_key("4711", digest, "xero", 2) == f"rs-4711-g2-{digest}"
    with pytest.raises(ValueError):
        idempotency_key("4711", digest, "xero", -1)
