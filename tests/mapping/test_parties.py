"""Party resolution: external id, then exact name, then normalised name (width, case, spaces, punctuation)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapping.case import Party
from mapping.errors import MappingError, MappingErrorCode
from mapping.parties import KnownParty, PartyDirectory, match_party, normalise_name, party_key

KNOWN = [
    KnownParty("11", "Shenzhen Lianhua Trading Co., Ltd.", external_id="V-1001"),
    KnownParty("12", "深圳市联华贸易有限公司（陶瓷部）"),
    KnownParty("13", "株式会社サクラ商事"),
    KnownParty("14", "Acme Supplies Ltd"),
    KnownParty("15", "ACME SUPPLIES LTD."),
    KnownParty("16", "Nordic Paper AB", active=False),
    KnownParty("17", "Old Vendor", external_id="V-9", active=False),
    KnownParty("18", "Old Vendor", external_id="V-9b"),
]


@pytest.mark.parametrize(("name", "normalised"), [
    ("ＡＢＣ　（深圳）有限公司", "abc深圳有限公司"),
    ("ABC (深圳) 有限公司", "abc深圳有限公司"),
    ("ｶﾌﾞｼｷｶﾞｲｼｬ ｻｸﾗ", "カブシキガイシャサクラ"),
    ("株式会社・サクラ商事", "株式会社サクラ商事"),
    ("Shenzhen Lianhua Trading Co., Ltd.", "shenzhenlianhuatradingcoltd"),
    ("STRASSE GmbH", "strassegmbh"),
    ("Straße GmbH", "strassegmbh"),
    ("---", "---"),
])
def test_normalised_names(name: str, normalised: str) -> None:
    assert normalise_name(name) == normalised


@given(st.text(min_size=1, max_size=40))
def test_normalisation_is_idempotent_and_never_empty(name: str) -> None:
    once = normalise_name(name)
    if name.strip():
        assert once
    assert normalise_name(once) == once


def test_external_id_wins_over_names() -> None:
    found = match_party(Party(name="Some Other Name", external_id="V-1001"), KNOWN)
    assert found is not None and found.id == "11"


def test_exact_name_before_normalised_name() -> None:
    found = match_party(Party(name="Acme Supplies Ltd"), KNOWN)
    assert found is not None and found.id == "14"  # 15 would also match normalised, but exact decides first


def test_full_width_chinese_and_japanese_names_match_their_half_width_forms() -> None:
    found = match_party(Party(name="深圳市联华贸易有限公司(陶瓷部)"), KNOWN)
    assert found is not None and found.id == "12"
    found = match_party(Party(name="株式会社　ｻｸﾗ商事"), KNOWN)
    assert found is not None and found.id == "13"


def test_ambiguous_normalised_match_is_a_permanent_error() -> None:
    with pytest.raises(MappingError) as info:
        match_party(Party(name="acme supplies, ltd"), KNOWN)
    assert info.value.code is MappingErrorCode.PARTY_AMBIGUOUS
    assert "14, 15" in info.value.reason and info.value.permanent


def test_inactive_only_match_is_reported_and_active_duplicates_win() -> None:
    with pytest.raises(MappingError) as info:
        match_party(Party(name="Nordic Paper AB"), KNOWN)
    assert info.value.code is MappingErrorCode.PARTY_INACTIVE and "16" in info.value.reason
    found = match_party(Party(name="Old Vendor"), KNOWN)
    assert found is not None and found.id == "18"


def test_rules_can_be_restricted_and_no_match_is_none() -> None:
    assert match_party(Party(name="acme supplies ltd"), KNOWN, rules=["external_id", "exact_name"]) is None
    assert match_party(Party(name="Unknown Vendor"), KNOWN) is None
    assert match_party(Party(name="x", external_id="nope"), KNOWN, rules=["external_id"]) is None


SEPARATORS = st.sampled_from([" ", "　", "  ", "-", "・", ",", ".", "\u00a0", "（", "）", "(", ")"])


@given(
    words=st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz深圳联华サクラ商事", min_size=1, max_size=6),
                   min_size=1, max_size=4),
    seps=st.lists(SEPARATORS, min_size=4, max_size=4),
    upper=st.booleans(),
    wide=st.booleans(),
)
def test_any_spacing_punctuation_case_or_width_variant_resolves_to_the_same_party(
    words: list[str], seps: list[str], upper: bool, wide: bool
) -> None:
    original = " ".join(words)
    variant = "".join(w + s for w, s in zip(words, seps, strict=False))
    if upper:
        variant = variant.upper()
    if wide:  # full-width ASCII letters
        variant = "".join(chr(ord(c) + 0xFEE0) if "a" <= c.lower() <= "z" and c.isascii() else c for c in variant)
    directory = PartyDirectory([KnownParty("1", original)])
    found = directory.match(Party(name=variant.strip() or original))
    assert found is not None and found.id == "1"
    assert party_key(Party(name=variant.strip() or original)) == party_key(Party(name=original))


def test_party_key_prefers_the_external_id() -> None:
    assert party_key(Party(name="A", external_id="V-1")) == "id:V-1"
    assert party_key(Party(name="Ａ Co.")) == "name:aco"


def test_any_record_with_id_name_external_id_and_active_can_be_a_candidate() -> None:
    from connectors.protocol import RemoteParty

    remote = [RemoteParty("7", "株式会社サクラ商事"), RemoteParty("8", "Acme", external_id="V-1")]
    found = match_party(Party(name="株式会社 ｻｸﾗ商事"), remote)
    assert found is remote[0] and isinstance(found, RemoteParty)
