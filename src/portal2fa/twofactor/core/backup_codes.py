"""Backup codes, pure: generation, normalisation and keyed hashing. No Django imports.

A code is 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L, U), shown as two
groups of five. Only an HMAC of the normalised code is ever stored.
"""

import hashlib
import hmac
import secrets

from .typed import typed_code

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10
_ALLOWED = set(ALPHABET)


def generate(count: int) -> list[str]:
    """`count` distinct random codes, normalised (no separator)."""
    codes: set[str] = set()
    while len(codes) < count:
        codes.add("".join(secrets.choice(ALPHABET) for _ in range(LENGTH)))
    return sorted(codes)


def display(code: str) -> str:
    half = LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def normalise(raw: str) -> str | None:
    """The canonical code for user input ignoring case, spaces and any dash (typed.typed_code);
    None if it cannot be one."""
    code = typed_code(raw)
    if not code.isascii():  # before upper(): "ß".upper() == "SS", "ﬀ".upper() == "FF"
        return None
    code = code.upper()
    if len(code) != LENGTH or not set(code) <= _ALLOWED:
        return None
    return code


def digest(code: str, *, key: bytes) -> str:
    return hmac.new(key, code.encode("ascii"), hashlib.sha256).hexdigest()
