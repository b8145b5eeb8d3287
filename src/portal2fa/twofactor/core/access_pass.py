"""Temporary Access Passes, pure: generation and normalisation. No Django imports.

A pass is 12 characters from the backup codes' alphabet (no look-alikes), about 59 bits: guessing
it is bounded by the same token lockout and account budget as any code. Shown as three groups of
four; typed with any case, space or dash. Only a keyed hash of the normalised pass is stored.
"""

import secrets

from .backup_codes import ALPHABET
from .typed import typed_code

LENGTH = 12
GROUP = 4
_ALLOWED = set(ALPHABET)


def generate() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(code: str) -> str:
    return "-".join(code[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def normalise(raw: str) -> str | None:
    """The canonical pass for user input, or None if it cannot be one."""
    code = typed_code(raw)
    if not code.isascii():  # before upper(): "ß".upper() == "SS"
        return None
    code = code.upper()
    if len(code) != LENGTH or not set(code) <= _ALLOWED:
        return None
    return code
