"""Codes typed the way people type them: NFKC, then no space or dash, for every kind of code."""

import unicodedata
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from portal2fa.twofactor.core import access_pass, backup_codes, totp
from portal2fa.twofactor.core.typed import ascii_digits, typed_code

SEPARATORS = [" ", "\u00a0", "\u3000", "-", "\uff0d", "\u2013", "\u2212", "\t", "\u200b"]
FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}  # "1" -> "１", "A" -> "Ａ"


def typed_as_people_do(code: str, draw) -> str:
    """`code` with some characters full-width and separators between (as pasted or typed)."""
    out = []
    for char in code:
        out.append(FULL_WIDTH[char] if draw(st.booleans()) else char)
        out.append(draw(st.sampled_from([""] + SEPARATORS)))
    return draw(st.sampled_from(["", *SEPARATORS])) + "".join(out)


@st.composite
def typed_six_digits(draw):
    code = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    return code, typed_as_people_do(code, draw)


@st.composite
def typed_backup_code(draw):
    code = "".join(draw(st.lists(st.sampled_from(backup_codes.ALPHABET), min_size=10, max_size=10)))
    return code, typed_as_people_do(draw(st.sampled_from([code, code.lower()])), draw)


@st.composite
def typed_pass(draw):
    code = access_pass.generate()
    return code, typed_as_people_do(access_pass.display(code).lower(), draw)


def test_full_width_digits_spaces_hyphens_and_nbsp():
    assert typed_code("１２３ ４５６") == "123456"
    assert typed_code("123\u00a0456") == "123456"
    assert typed_code("１２３－４５６") == "123456"
    assert typed_code("\u3000123456\u3000") == "123456"  # ideographic space around it


@given(typed_six_digits())
def test_an_authenticator_e_mail_or_sms_code_reads_as_its_six_digits(case):
    code, typed = case
    assert totp.normalise(typed) == code
    assert totp.looks_like_totp(totp.normalise(typed))


@given(typed_backup_code())
def test_a_backup_code_reads_as_itself(case):
    code, typed = case
    assert backup_codes.normalise(typed) == code


@given(typed_pass())
def test_a_temporary_access_pass_reads_as_itself(case):
    code, typed = case
    assert access_pass.normalise(typed) == code


SECRET = totp.new_secret()
AT = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)


@given(st.one_of(st.text(max_size=16), typed_six_digits().map(lambda case: case[1])))
def test_a_submission_is_still_one_guess_at_one_code(raw):
    """Whatever is typed, at most one 6-digit string is compared: accepted exactly when the one
    string NFKC and stripping give is a code of the window (no wider set of codes matches)."""
    read = totp.normalise(raw)
    window = {totp.code_at_step(SECRET, totp.time_step(AT) + d) for d in (-1, 0, 1)}
    matched = totp.matching_step(SECRET, read, at=AT, window=1) is not None
    assert matched == (read in window)
    if totp.looks_like_totp(read):
        assert read.isascii() and read.isdigit() and len(read) == totp.DIGITS


def letters_and_digits(text: str) -> str:
    return "".join(c for c in text if c.isascii() and c.isalnum())


@given(st.text(max_size=20))
def test_nothing_but_separators_is_taken_away(raw):
    """Only spaces and dashes go: every ASCII letter and digit NFKC gives stays, in order, and
    nothing is added."""
    folded = ascii_digits(unicodedata.normalize("NFKC", raw))
    assert letters_and_digits(typed_code(raw)) == letters_and_digits(folded)
    assert len(typed_code(raw)) <= len(folded)


def test_other_scripts_digits_are_read_as_the_same_digits():
    """An Arabic or Hindi keyboard types its own digits: each is the ASCII digit of its value, so
    the one string compared is the same code, never a wider set."""
    assert totp.normalise("١٢٣٤٥٦") == "123456"
    assert totp.normalise("۱۲۳ ۴۵۶") == "123456"  # Extended Arabic-Indic (Persian, Urdu)
    assert totp.normalise("१२३४५६") == "123456"  # Devanagari
    assert backup_codes.normalise("ABCDE-٢٣٤٥٦") == backup_codes.normalise("ABCDE-23456")
