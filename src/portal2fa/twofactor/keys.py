"""The deploy-time keys, bound to the pure crypto helpers. Keys live outside the database."""

from django.conf import settings

from . import backup_codes, crypto


def _hash_key() -> bytes:
    return settings.PORTAL2FA_HASH_KEY.encode("utf-8")


def encrypt_secret(secret: str) -> str:
    return crypto.encrypt(secret, keys=settings.PORTAL2FA_ENCRYPTION_KEYS)


def decrypt_secret(encrypted: str) -> str:
    return crypto.decrypt(encrypted, keys=settings.PORTAL2FA_ENCRYPTION_KEYS)


def rotate_secret(encrypted: str) -> str:
    return crypto.rotate(encrypted, keys=settings.PORTAL2FA_ENCRYPTION_KEYS)


def backup_code_digest(code: str) -> str:
    return backup_codes.digest(code, key=_hash_key())


def token_digest(token: str) -> str:
    return crypto.token_digest(token, key=_hash_key())


def throttle_key(*parts: str) -> str:
    """A fixed-length key for the throttle table that does not store emails or addresses in clear."""
    return crypto.token_digest("\x1f".join(parts), key=_hash_key())
