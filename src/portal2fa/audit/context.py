"""Who acts when no user does: an admin API call runs under its token's name, and every audit
event recorded meanwhile (by whichever service) names that token. A context variable, so the
services keep their `actor=` argument and need not know about the API."""

from contextvars import ContextVar

_token_name: ContextVar[str] = ContextVar("portal2fa_audit_token_name", default="")


def set_token(name: str) -> None:
    """For the rest of the current context: run it inside contextvars.copy_context().run(), so
    the name ends with it (the API's URL patterns do, api/urls.py)."""
    _token_name.set(name)


def current_token() -> str:
    return _token_name.get()
