"""A code as people type or paste it, made the code: pure, no Django.

Japanese and Chinese input methods type full-width digits and letters ("１２３４５６"), apps show
"123 456", PDFs and chats paste no-break spaces and every kind of dash. Unicode NFKC first (the
full-width forms become ASCII, a no-break space a space, a full-width hyphen a hyphen), then the
digits of other scripts (Arabic-Indic "١٢٣", Devanagari "१२३": what an Arabic or Hindi keyboard
types) become the ASCII digit of the same value, then every space and dash goes. Each method then checks the one string this gives exactly as before: a
submission is still one guess at one code, only more spellings of that guess are read.
"""

import unicodedata

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


def ascii_digits(text: str) -> str:
    """Every decimal digit of any script as its ASCII digit ("٤" -> "4"); nothing else changes."""
    return "".join(
        str(unicodedata.decimal(char)) if not char.isascii() and char.isdecimal() else char
        for char in text
    )


def typed_code(raw: str) -> str:
    """What the user typed for any code (authenticator, e-mail, SMS, backup code, pass), NFKC
    normalised, digits made ASCII, without spaces or dashes: "１２３ ４５６", "١٢٣٤٥٦" and
    "123\u00a0456" become "123456"."""
    return strip_separators(ascii_digits(unicodedata.normalize("NFKC", raw)))
