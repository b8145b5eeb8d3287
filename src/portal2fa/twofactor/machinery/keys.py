"""The deploy-time keys, bound to the pure crypto helpers. Keys live outside the database."""

from ..conf import setting
from ..core import backup_codes, crypto


def _hash_key() -> bytes:
    return setting("PORTAL2FA_HASH_KEY").encode("utf-8")


def _encryption_keys() -> list[str]:
    return setting("PORTAL2FA_ENCRYPTION_KEYS")


def encrypt_secret(secret: str) -> str:
    return crypto.encrypt(secret, keys=_encryption_keys())


def decrypt_secret(encrypted: str) -> str:
    return crypto.decrypt(encrypted, keys=_encryption_keys())


def rotate_secret(encrypted: str) -> str:
    return crypto.rotate(encrypted, keys=_encryption_keys())


def backup_code_digest(code: str) -> str:
    return backup_codes.digest(code, key=_hash_key())


def token_digest(token: str) -> str:
    return crypto.keyed_digest(token, key=_hash_key())


def trusted_browser_digest(token: str) -> str:
    """The keyed hash stored for a device token (domain-separated from the other digests)."""
    return token_digest("trusted-browser\x1f" + token)


def throttle_key(*parts: str) -> str:
    """A fixed-length key for the throttle table that does not store emails or addresses in clear."""
    return crypto.keyed_digest("\x1f".join(parts), key=_hash_key())


def email_code_digest(challenge_id: int, code: str) -> str:
    """An email code's keyed hash, bound to its sign-in token (the same 6 digits of another
    sign-in have another digest)."""
    return crypto.keyed_digest(f"email-code\x1f{challenge_id}\x1f{code}", key=_hash_key())


def access_pass_digest(user_id, code: str) -> str:
    """A Temporary Access Pass's keyed hash, bound to its user (the same characters issued to
    another user have another digest)."""
    return crypto.keyed_digest(f"access-pass\x1f{user_id}\x1f{code}", key=_hash_key())
