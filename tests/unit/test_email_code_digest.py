"""Property tests of the email-code digest: keyed, bound to its sign-in, never the code itself."""

from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from portal2fa.twofactor.machinery import keys

codes = st.integers(0, 10**6 - 1).map(lambda n: f"{n:06d}")
ids = st.integers(1, 2**31)


@given(codes, codes, ids)
def test_different_codes_have_different_digests(a, b, challenge_id):
    assert (keys.email_code_digest(challenge_id, a) == keys.email_code_digest(challenge_id, b)) is (
        a == b
    )


@given(codes, ids, ids)
def test_a_digest_is_bound_to_its_sign_in(code, one, other):
    same = keys.email_code_digest(one, code) == keys.email_code_digest(other, code)
    assert same is (one == other)


@given(codes, ids)
def test_the_digest_hides_the_code_and_depends_on_the_key(code, challenge_id):
    digest = keys.email_code_digest(challenge_id, code)
    assert code not in digest and len(digest) == 64
    with override_settings(PORTAL2FA_HASH_KEY="another key, another digest"):
        assert keys.email_code_digest(challenge_id, code) != digest
