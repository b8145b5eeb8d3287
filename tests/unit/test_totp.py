"""RFC 6238 TOTP core: test vectors, the acceptance window, replay guard, URI and secrets.

Expected codes come from tests/reference_totp.py (written from the RFC), never from the product.
"""

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from portal2fa.twofactor.core import totp
from tests.reference_totp import totp as reference_totp

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode("ascii")
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# The middle of a 30-second step, so ±n*30 s lands in the middle of step ±n.
NOW = datetime(2031, 3, 4, 12, 0, 15, tzinfo=UTC)
WINDOW = 3


def code_for(at: datetime, secret: str = SECRET) -> str:
    return reference_totp(secret, at.timestamp())


@pytest.mark.parametrize(
    ("unix_time", "expected"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc6238_appendix_b_sha1_vectors(unix_time, expected):
    assert totp.code_at_step(RFC_SECRET, unix_time // 30, digits=8) == expected
    assert reference_totp(RFC_SECRET, unix_time, digits=8) == expected  # the reference agrees


def test_six_digit_code_is_the_rfc_code_truncated():
    assert totp.code_at_step(RFC_SECRET, 59 // 30) == "287082"


def test_time_step_is_unix_time_over_30():
    assert totp.time_step(datetime.fromtimestamp(1111111109, tz=UTC)) == 1111111109 // 30


def test_codes_near_the_window_edges_are_distinct():
    """Precondition for the edge tests: no accidental collision between the steps used."""
    codes = [code_for(NOW + timedelta(seconds=30 * d)) for d in range(-4, 5)]
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize("offset", [-90, -60, -30, 0, 30, 60, 90])
def test_codes_within_the_window_are_accepted_with_their_step(offset):
    at = NOW + timedelta(seconds=offset)
    step = totp.matching_step(SECRET, code_for(at), at=NOW, window=WINDOW)
    assert step == totp.time_step(NOW) + offset // 30


@pytest.mark.parametrize("offset", [-120, 120, -150, 150])
def test_codes_outside_the_window_are_rejected(offset):
    code = code_for(NOW + timedelta(seconds=offset))
    assert totp.matching_step(SECRET, code, at=NOW, window=WINDOW) is None
    assert totp.verify(SECRET, code, at=NOW, last_step=None, window=WINDOW) is None


def test_window_zero_accepts_only_the_current_step():
    assert totp.matching_step(SECRET, code_for(NOW), at=NOW, window=0) == totp.time_step(NOW)
    assert (
        totp.matching_step(SECRET, code_for(NOW - timedelta(seconds=30)), at=NOW, window=0) is None
    )


def test_verify_rejects_a_step_at_or_below_the_last_accepted_one():
    current = totp.time_step(NOW)
    code = code_for(NOW)
    assert totp.verify(SECRET, code, at=NOW, last_step=None, window=WINDOW) == current
    assert totp.verify(SECRET, code, at=NOW, last_step=current - 1, window=WINDOW) == current
    assert totp.verify(SECRET, code, at=NOW, last_step=current, window=WINDOW) is None
    assert totp.verify(SECRET, code, at=NOW, last_step=current + 1, window=WINDOW) is None


def test_verify_rejects_an_older_code_once_a_newer_step_was_accepted():
    older = code_for(NOW - timedelta(seconds=60))
    newer_step = totp.time_step(NOW)
    assert totp.verify(SECRET, older, at=NOW, last_step=None, window=WINDOW) == newer_step - 2
    assert totp.verify(SECRET, older, at=NOW, last_step=newer_step, window=WINDOW) is None


def test_wrong_code_is_rejected():
    valid = {code_for(NOW + timedelta(seconds=30 * d)) for d in range(-WINDOW, WINDOW + 1)}
    wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)
    assert totp.matching_step(SECRET, wrong, at=NOW, window=WINDOW) is None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda c: c[:5],  # too short
        lambda c: c + "0",  # too long
        lambda c: c[:5] + "a",  # a letter
        lambda c: c[:3] + " " + c[3:],  # a space (callers strip spaces, the core does not)
        lambda c: c[:5] + "-",
        lambda c: c.translate(str.maketrans("0123456789", "０１２３４５６７８９")),  # full-width
        lambda c: c.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),  # Arabic-Indic
        lambda c: "",
    ],
)
def test_malformed_codes_are_rejected(mangle):
    code = mangle(code_for(NOW))
    assert not totp.looks_like_totp(code)
    assert totp.matching_step(SECRET, code, at=NOW, window=WINDOW) is None


def test_provisioning_uri_names_issuer_account_and_secret():
    uri = totp.provisioning_uri(SECRET, account="alice+2fa@example.com", issuer="Acme Portal")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == "/Acme Portal:alice+2fa@example.com"
    query = parse_qs(parts.query)
    assert query["secret"] == [SECRET]
    assert query["issuer"] == ["Acme Portal"]
    assert query["digits"] == ["6"]
    assert query["period"] == ["30"]
    assert query["algorithm"] == ["SHA1"]


def test_new_secret_is_160_random_bits_in_base32():
    secrets = [totp.new_secret() for _ in range(50)]
    for secret in secrets:
        assert len(secret) == 32
        assert set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        assert len(base64.b32decode(secret)) == 20
    assert len(set(secrets)) == len(secrets)
    # 50 x 160 random bits: every base32 symbol shows up (fails for a constant or low-entropy source)
    assert len(set("".join(secrets))) == 32


def test_group_secret_is_readable_and_lossless():
    grouped = totp.group_secret(SECRET)
    assert grouped.split(" ")[0] == SECRET[:4]
    assert grouped.replace(" ", "") == SECRET


@given(
    key=st.binary(min_size=20, max_size=20),
    step=st.integers(min_value=10, max_value=2**32),
    window=st.integers(min_value=0, max_value=5),
    data=st.data(),
)
def test_a_code_is_accepted_anywhere_in_its_window_with_its_own_step(key, step, window, data):
    secret = base64.b32encode(key).decode("ascii")
    code = reference_totp(secret, step * 30)
    drift = data.draw(st.integers(min_value=-window, max_value=window), label="drift")
    second = data.draw(st.integers(min_value=0, max_value=29), label="second")
    at = datetime.fromtimestamp((step + drift) * 30 + second, tz=UTC)
    around = range(step + drift - window, step + drift + window + 1)
    assume(all(reference_totp(secret, s * 30) != code for s in around if s != step))
    assert totp.matching_step(secret, code, at=at, window=window) == step
    assert totp.verify(secret, code, at=at, last_step=step - 1, window=window) == step
    assert totp.verify(secret, code, at=at, last_step=step, window=window) is None
    too_late = datetime.fromtimestamp((step + window + 1) * 30 + second, tz=UTC)
    assume(
        all(reference_totp(secret, s * 30) != code for s in range(step + 1, step + 2 * window + 2))
    )
    assert totp.matching_step(secret, code, at=too_late, window=window) is None


# Clock-skew diagnosis: a refused code that belongs to a step outside the window, up to ±10 min.


@pytest.mark.parametrize("steps", [4, 5, 10, 20, -4, -7, -20])
def test_clock_skew_finds_the_offset_of_a_code_just_outside_the_window(steps):
    code = code_for(NOW + timedelta(seconds=30 * steps))
    assert totp.matching_step(SECRET, code, at=NOW, window=WINDOW) is None  # still refused
    assert totp.verify(SECRET, code, at=NOW, last_step=None, window=WINDOW) is None
    assert totp.clock_skew(SECRET, code, at=NOW, window=WINDOW) == steps


@pytest.mark.parametrize("steps", [0, 1, -3, 3, 21, -21, 40])
def test_clock_skew_ignores_codes_inside_the_window_and_beyond_ten_minutes(steps):
    code = code_for(NOW + timedelta(seconds=30 * steps))
    assert totp.clock_skew(SECRET, code, at=NOW, window=WINDOW) is None


def test_clock_skew_of_a_wrong_or_malformed_code_is_none():
    codes = {code_for(NOW + timedelta(seconds=30 * d)) for d in range(-20, 21)}
    wrong = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in codes)
    assert totp.clock_skew(SECRET, wrong, at=NOW, window=WINDOW) is None
    assert totp.clock_skew(SECRET, "12345", at=NOW, window=WINDOW) is None
    assert totp.clock_skew(SECRET, "abcdef", at=NOW, window=WINDOW) is None


def test_clock_skew_limit_is_configurable():
    code = code_for(NOW + timedelta(seconds=30 * 6))
    assert totp.clock_skew(SECRET, code, at=NOW, window=WINDOW, limit=5) is None
    assert totp.clock_skew(SECRET, code, at=NOW, window=WINDOW, limit=6) == 6


@pytest.mark.parametrize(("steps", "minutes"), [(1, 1), (2, 1), (4, 2), (5, 3), (-20, 10)])
def test_skew_minutes_rounds_half_up_and_is_at_least_one(steps, minutes):
    assert totp.skew_minutes(steps) == minutes


@pytest.mark.parametrize(
    "pasted",
    ["123456", "123 456", "123-456", "123–456", "123—456", "123\u2212456", " 123\u2009456\n"],
)
def test_normalise_removes_any_space_or_dash(pasted):
    assert totp.normalise(pasted) == "123456"
    assert totp.looks_like_totp(totp.normalise(pasted))
