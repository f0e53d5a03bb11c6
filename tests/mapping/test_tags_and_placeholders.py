"""Tags fit their field, stay distinct and deterministic; placeholders bind without touching the rest."""

from __future__ import annotations

import copy

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from mapping.errors import MappingError, MappingErrorCode
from mapping.placeholders import CREDIT_ID, PARTY_ID, UnboundPlaceholder, bind, find_placeholders, placeholder
from mapping.tags import DIGEST_CHARS, HASH_MARK, fit_tag, make_tag, render_within, short_digest, tag_suffix

STEMS = st.text(alphabet=st.characters(blacklist_categories=["Cc", "Cs"]), min_size=1, max_size=80)
ROLES = st.sampled_from(["credit", "refund", "application"])


def test_suffix_scheme() -> None:
    assert tag_suffix(1, 1, 1, "credit") == ""
    assert tag_suffix(2, 3, 1, "credit") == "~2"
    assert tag_suffix(1, 1, 2, "refund") == "~r2~p"
    assert tag_suffix(3, 3, 2, "application") == "~3~r2~a"
    assert tag_suffix(1, 1, 1, "credit", repost=1) == "~g1"
    assert tag_suffix(3, 3, 2, "refund", repost=2) == "~3~r2~g2~p"


def test_short_form_keeps_the_head_and_the_suffix() -> None:
    long_id = "MKT-AMAZON-JP-2026-11-20-000000123456"
    assert fit_tag("RF-2026-000123", "", 21) == "RF-2026-000123"
    short = fit_tag(long_id, "", 21)
    assert short == "MKT-AMA" + HASH_MARK + short_digest(long_id) and len(short) == 21
    assert fit_tag(long_id, "~2", 21) == "MKT-A" + HASH_MARK + short_digest(long_id) + "~2"
    assert fit_tag("A~B", "", 21) == "A-B" + HASH_MARK + short_digest("A~B")  # '~' is reserved


@given(stem=STEMS, party=st.integers(1, 500), count=st.integers(1, 500), revision=st.integers(1, 1_000_000),
       role=ROLES, limit=st.sampled_from([21, 255]))
def test_every_tag_fits_its_limit(stem: str, party: int, count: int, revision: int, role: str, limit: int) -> None:
    tag = fit_tag(stem, tag_suffix(party, count, revision, role), limit)
    assert len(tag) <= limit
    assert tag == fit_tag(stem, tag_suffix(party, count, revision, role), limit)


@given(a=STEMS, b=STEMS, suffix_a=st.sampled_from(["", "~2", "~r2", "~p", "~3~r7~a"]),
       suffix_b=st.sampled_from(["", "~2", "~r2", "~p", "~3~r7~a"]))
def test_different_stems_or_suffixes_give_different_tags(a: str, b: str, suffix_a: str, suffix_b: str) -> None:
    assume((a, suffix_a) != (b, suffix_b))
    assume("~" not in a and "~" not in b)
    assert fit_tag(a, suffix_a, 21) != fit_tag(b, suffix_b, 21)


def test_short_digest_is_base32_of_sha256() -> None:
    digest = short_digest("x")
    assert len(digest) == DIGEST_CHARS and digest.isupper() and set(digest) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def test_make_tag_without_shortening_reports_a_tag_too_long() -> None:
    fields = {"case_id": "C" * 30}
    with pytest.raises(MappingError) as info:
        make_tag("{case_id}", fields, "", 21, shorten=False, what="DocNumber")
    assert info.value.code is MappingErrorCode.TAG_TOO_LONG and "shorten" in info.value.reason
    assert make_tag("{case_id}", {"case_id": "C" * 21}, "", 21, shorten=False, what="DocNumber") == "C" * 21


def test_render_within_cuts_only_the_shrinkable_field() -> None:
    fields = {"description": "x" * 50, "case_id": "RF-1"}
    text = render_within("{description} | {case_id}", fields, 20, shrink="description", what="d", setting="s")
    assert text == "x" * 12 + "… | RF-1" and len(text) == 20
    with pytest.raises(MappingError) as info:
        render_within("{case_id} {description}", fields, 5, shrink="description", what="line", setting="mapping.x")
    assert info.value.code is MappingErrorCode.TEXT_TOO_LONG and info.value.field == "mapping.x"


def test_bind_replaces_placeholders_and_leaves_the_input_alone() -> None:
    payload = {"VendorRef": {"value": placeholder(PARTY_ID)},
               "Line": [{"LinkedTxn": [{"TxnId": placeholder(CREDIT_ID)}]}], "Note": "{not a placeholder}"}
    before = copy.deepcopy(payload)
    bound = bind(payload, {PARTY_ID: "56", CREDIT_ID: "1201", "unused": "x"})
    assert payload == before
    assert bound == {"VendorRef": {"value": "56"}, "Line": [{"LinkedTxn": [{"TxnId": "1201"}]}],
                     "Note": "{not a placeholder}"}
    assert find_placeholders(payload) == {PARTY_ID, CREDIT_ID} and find_placeholders(bound) == set()
    assert bind("CreditNotes/{{credit.id}}/Allocations", {CREDIT_ID: "abc"}) == "CreditNotes/abc/Allocations"


def test_bind_refuses_missing_or_empty_values() -> None:
    with pytest.raises(UnboundPlaceholder, match=r"party\.id"):
        bind({"a": placeholder(PARTY_ID)}, {})
    with pytest.raises(ValueError):
        bind({"a": placeholder(PARTY_ID)}, {PARTY_ID: ""})
    with pytest.raises(ValueError):
        placeholder("vendor.id")
