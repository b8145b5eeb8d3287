"""One spelling per account name: pure, no Django (the demo's user model stores it too)."""

import unicodedata


def canonical_identifier(identifier: str) -> str:
    """Unicode NFKC, then case folding, so look-alike spellings of one email are one key:
    fullwidth 'ａ' -> 'a', 'ſ' (long s) -> 's', 'K' (Kelvin) -> 'k', 'ß' -> 'ss'. The second pass
    through upper case also folds what a database's UPPER() equates but casefold() keeps apart:
    'ı' (dotless i) -> 'I' -> 'i' (PostgreSQL's UPPER('ı') is 'I', so iexact matched it)."""
    folded = unicodedata.normalize("NFKC", identifier.strip()).casefold()
    return unicodedata.normalize("NFKC", folded.upper()).casefold()
