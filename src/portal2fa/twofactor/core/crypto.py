"""Encryption of TOTP secrets and keyed hashing of tokens. Pure: keys are passed in."""

import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class CryptoConfigError(ValueError):
    """A configured key is unusable."""


def cipher(keys: list[str]) -> MultiFernet:
    """MultiFernet over the configured keys: the first encrypts, all of them decrypt (rotation)."""
    if not keys:
        raise CryptoConfigError("no encryption key configured")
    try:
        return MultiFernet([Fernet(key.encode("ascii")) for key in keys])
    except (ValueError, TypeError) as exc:
        raise CryptoConfigError("an encryption key is not a valid Fernet key") from exc


def encrypt(plaintext: str, *, keys: list[str]) -> str:
    return cipher(keys).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str, *, keys: list[str]) -> str:
    try:
        return cipher(keys).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise CryptoConfigError("secret cannot be decrypted with the configured keys") from exc


def rotate(token: str, *, keys: list[str]) -> str:
    """Re-encrypt under the first (newest) key."""
    try:
        return cipher(keys).rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise CryptoConfigError("secret cannot be decrypted with the configured keys") from exc


def new_fernet_key() -> str:
    return Fernet.generate_key().decode("ascii")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def keyed_digest(token: str, *, key: bytes) -> str:
    return hmac.new(key, token.encode("utf-8"), hashlib.sha256).hexdigest()
