"""Backup codes, pure: generation, normalisation and keyed hashing. No Django imports.

A code is 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L, U), shown as two
groups of five. Only an HMAC of the normalised code is ever stored.
"""

import hashlib
import hmac
import secrets
import unicodedata

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10
_ALLOWED = set(ALPHABET)
# Dash-like characters that are not in Unicode's "Pd" (dash punctuation) category but that text
# editors, chat apps and word processors produce when people paste codes.
_EXTRA_DASHES = "\u2212\u2043\ufe63\uff0d\u00ad"  # minus sign, hyphen bullet, small/fullwidth hyphen, soft hyphen


def _is_separator(char: str) -> bool:
    return (
        char.isspace()
        or unicodedata.category(char) in ("Pd", "Zs", "Cf")  # dashes, spaces, zero-width marks
        or char in _EXTRA_DASHES
    )


def strip_separators(raw: str) -> str:
    """`raw` without any whitespace or dash (ASCII hyphen, en dash, em dash, minus sign, ...).

    What people paste from a PDF, a chat or a word processor: "ABCDE–FGHIJ", "123 456", "123\u2009456".
    """
    return "".join(char for char in raw if not _is_separator(char))


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
    """The canonical code for user input ignoring case, spaces and any dash; None if it cannot be one."""
    code = strip_separators(raw)
    if not code.isascii():  # before upper(): "ß".upper() == "SS", "ﬀ".upper() == "FF"
        return None
    code = code.upper()
    if len(code) != LENGTH or not set(code) <= _ALLOWED:
        return None
    return code


def digest(code: str, *, key: bytes) -> str:
    return hmac.new(key, code.encode("ascii"), hashlib.sha256).hexdigest()
