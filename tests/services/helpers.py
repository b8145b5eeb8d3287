"""Helpers for the service tests: a fixed clock and codes that are certainly wrong."""

from datetime import UTC, datetime, timedelta

from tests.reference_totp import totp

# Mid-step (hh:mm:15), far from the real clock: tests pass `at=` explicitly and never sleep.
T0 = datetime(2031, 3, 4, 12, 0, 15, tzinfo=UTC)


def later(seconds: float = 0, *, minutes: float = 0) -> datetime:
    return T0 + timedelta(seconds=seconds, minutes=minutes)


def wrong_code(secret: str, at: datetime, spread: int = 21) -> str:
    """A 6-digit code that matches no step within ±spread steps of `at` (beyond the ±10 min skew look-up)."""
    valid = {totp(secret, at.timestamp() + 30 * d) for d in range(-spread, spread + 1)}
    return next(c for c in (f"{n:06d}" for n in range(0, 10**6, 111)) if c not in valid)
