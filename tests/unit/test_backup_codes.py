"""Backup codes: generation, the unambiguous alphabet, input normalisation, keyed digest."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal2fa.twofactor.core import backup_codes
from portal2fa.twofactor.core.typed import typed_code

LOOK_ALIKES = set("01OILU")
CODE = "ABCDE23456"


def test_alphabet_has_no_look_alikes_and_is_uppercase_ascii():
    alphabet = set(backup_codes.ALPHABET)
    assert not alphabet & LOOK_ALIKES
    assert all(ch.isascii() and (ch.isdigit() or ch.isupper()) for ch in alphabet)
    assert len(alphabet) == len(backup_codes.ALPHABET) >= 30


@pytest.mark.parametrize("count", [1, 5, 10, 20])
def test_generate_returns_count_distinct_codes(count):
    codes = backup_codes.generate(count)
    assert len(codes) == count
    assert len(set(codes)) == count


def test_generated_codes_are_ten_characters_of_the_alphabet():
    codes = backup_codes.generate(200)
    for code in codes:
        assert len(code) == 10
        assert set(code) <= set(backup_codes.ALPHABET)
        assert not set(code) & LOOK_ALIKES
        assert backup_codes.normalise(code) == code
    # 2000 random characters: every symbol of the alphabet is used (fails for a biased generator)
    assert set("".join(codes)) == set(backup_codes.ALPHABET)


def test_generate_is_random():
    assert backup_codes.generate(10) != backup_codes.generate(10)


def test_display_is_two_groups_of_five():
    assert backup_codes.display(CODE) == "ABCDE-23456"
    for code in backup_codes.generate(20):
        assert re.fullmatch(r"[2-9A-Z]{5}-[2-9A-Z]{5}", backup_codes.display(code))
        assert backup_codes.normalise(backup_codes.display(code)) == code


@pytest.mark.parametrize(
    "raw",
    [
        "ABCDE23456",
        "abcde23456",
        "AbCdE-23456",
        "abcde-23456",
        "abcde 23456",
        " ABCDE 23456 ",
        "a b c d e 2 3 4 5 6",
        "ABCDE--23456",
        "ABCDE\t23456",
        "-ABCDE-23456-",
    ],
)
def test_normalise_ignores_case_spaces_and_dashes(raw):
    assert backup_codes.normalise(raw) == CODE


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "ABCDE2345",  # 9 characters
        "ABCDE234567",  # 11 characters
        "ABCDE-2345",
        "ABCDE23450",  # 0 is not in the alphabet
        "ABCDE2345O",  # O
        "ABCDE2345I",  # I
        "ABCDE2345L",  # L
        "ABCDE23451",  # 1
        "ABCDE2345U",  # U
        "ABCDE_23456",  # underscore is not a separator
        "ABCDE.23456",
        "ABCDEFGHß",  # upper() would expand it to "SS": still not an ASCII code
        "ÀBCDE23456",
    ],
)
def test_normalise_rejects_what_cannot_be_a_code(raw):
    assert backup_codes.normalise(raw) is None


# Code-like input: alphabet characters in both cases, separators, and characters whose upper()
# is ASCII ("ſ" -> "S", "ß" -> "SS").
NEAR_CODES = st.lists(
    st.sampled_from(list(backup_codes.ALPHABET + backup_codes.ALPHABET.lower() + " -ßﬀſﬆ")),
    min_size=8,
    max_size=12,
).map("".join)


@given(st.one_of(NEAR_CODES, st.text(max_size=20)))
def test_normalise_only_ever_returns_a_canonical_code(raw):
    code = backup_codes.normalise(raw)
    if code is not None:
        assert len(code) == 10
        assert set(code) <= set(backup_codes.ALPHABET)
        # exactly what was typed, read through NFKC: one spelling of one guess, nothing added
        assert typed_code(raw).upper() == code and typed_code(raw).isascii()


def test_digest_is_a_keyed_hmac():
    first = backup_codes.digest(CODE, key=b"key-one")
    assert first == backup_codes.digest(CODE, key=b"key-one")
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert first != backup_codes.digest(CODE, key=b"key-two")
    assert first != backup_codes.digest("ABCDE23457", key=b"key-one")
    assert CODE not in first and CODE.lower() not in first


def test_digest_is_not_an_unkeyed_hash():
    import hashlib

    assert backup_codes.digest(CODE, key=b"k") != hashlib.sha256(CODE.encode()).hexdigest()


@pytest.mark.parametrize(
    "pasted",
    [
        "ABCDE-23456",
        "abcde–23456",  # en dash
        "ABCDE—23456",  # em dash
        "ABCDE\u221223456",  # minus sign
        "ABCDE\u201023456",  # hyphen
        "ABCDE\uff0d23456",  # fullwidth hyphen-minus
        "ABCDE２３４５６",  # full-width digits (Japanese and Chinese input methods)
        "ＡＢＣＤＥ\u300023456",  # full-width letters, ideographic space
        "ABCDE2345\u2465",  # circled six: NFKC reads it as 6
        " ABCDE\u00a023456 ",  # no-break space
        "ABCDE\u200b23456",  # zero-width space
        "ABC DE-234 56\t",
    ],
)
def test_normalise_accepts_any_dash_or_space_people_paste(pasted):
    assert backup_codes.normalise(pasted) == CODE


@pytest.mark.parametrize("junk", ["ABCDE_23456", "ABCDE.23456", "ABCDE/23456", "ÀBCDE23456"])
def test_normalise_still_refuses_other_punctuation_and_letters(junk):
    assert backup_codes.normalise(junk) is None
