"""Encryption of TOTP secrets at rest (Fernet, rotatable) and keyed token digests."""

import base64
import re

import pytest
from cryptography.fernet import Fernet

from portal2fa.twofactor.core import crypto

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def old_key():
    return crypto.new_fernet_key()


@pytest.fixture
def new_key():
    return crypto.new_fernet_key()


def test_round_trip(old_key):
    token = crypto.encrypt(SECRET, keys=[old_key])
    assert token != SECRET
    assert crypto.decrypt(token, keys=[old_key]) == SECRET


def test_ciphertext_does_not_contain_the_plaintext(old_key):
    token = crypto.encrypt(SECRET, keys=[old_key])
    raw = base64.urlsafe_b64decode(token)
    assert SECRET not in token
    assert SECRET.lower() not in token.lower()
    assert SECRET.encode() not in raw
    assert base64.b32decode(SECRET) not in raw


def test_encryption_is_randomised(old_key):
    assert crypto.encrypt(SECRET, keys=[old_key]) != crypto.encrypt(SECRET, keys=[old_key])


def test_wrong_key_cannot_decrypt(old_key, new_key):
    token = crypto.encrypt(SECRET, keys=[old_key])
    with pytest.raises(crypto.CryptoConfigError):
        crypto.decrypt(token, keys=[new_key])


def test_tampered_ciphertext_is_refused(old_key):
    raw = bytearray(base64.urlsafe_b64decode(crypto.encrypt(SECRET, keys=[old_key])))
    raw[-40] ^= 1
    with pytest.raises(crypto.CryptoConfigError):
        crypto.decrypt(base64.urlsafe_b64encode(bytes(raw)).decode(), keys=[old_key])


def test_old_secrets_decrypt_after_a_new_key_is_put_first(old_key, new_key):
    token = crypto.encrypt(SECRET, keys=[old_key])
    assert crypto.decrypt(token, keys=[new_key, old_key]) == SECRET


def test_the_first_key_encrypts(old_key, new_key):
    token = crypto.encrypt(SECRET, keys=[new_key, old_key])
    assert crypto.decrypt(token, keys=[new_key]) == SECRET
    with pytest.raises(crypto.CryptoConfigError):
        crypto.decrypt(token, keys=[old_key])


def test_rotate_re_encrypts_under_the_new_key(old_key, new_key):
    token = crypto.encrypt(SECRET, keys=[old_key])
    rotated = crypto.rotate(token, keys=[new_key, old_key])
    assert rotated != token
    assert crypto.decrypt(rotated, keys=[new_key]) == SECRET
    assert Fernet(new_key.encode()).decrypt(rotated.encode()).decode() == SECRET
    with pytest.raises(crypto.CryptoConfigError):
        crypto.decrypt(rotated, keys=[old_key])
    with pytest.raises(crypto.CryptoConfigError):  # the old token still needs the old key
        crypto.decrypt(token, keys=[new_key])


@pytest.mark.parametrize(
    "keys",
    [
        [],
        ["not-a-key"],
        [""],
        ["é" * 44],
        [base64.urlsafe_b64encode(b"too short").decode()],
        ["valid-then-invalid"],
    ],
)
def test_unusable_keys_raise_crypto_config_error(keys):
    if keys == ["valid-then-invalid"]:
        keys = [crypto.new_fernet_key(), "garbage"]
    with pytest.raises(crypto.CryptoConfigError):
        crypto.cipher(keys)
    with pytest.raises(crypto.CryptoConfigError):
        crypto.encrypt(SECRET, keys=keys)


def test_new_fernet_key_is_usable_and_random():
    key = crypto.new_fernet_key()
    assert len(base64.urlsafe_b64decode(key)) == 32
    assert key != crypto.new_fernet_key()


def test_token_is_random_and_its_digest_is_keyed():
    token = crypto.new_token()
    assert len(token) >= 43 and token != crypto.new_token()
    digest = crypto.keyed_digest(token, key=b"one")
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest == crypto.keyed_digest(token, key=b"one")
    assert digest != crypto.keyed_digest(token, key=b"two")
    assert token not in digest
