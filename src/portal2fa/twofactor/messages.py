"""What users are told about codes and sign-ins, written once (the seed's texts among them:
keep those exactly). Services return these; views show them."""

EXPIRED = "This sign-in has expired."
LOCKED = "Too many invalid attempts. Start a new sign-in."
USED = "This code was already used."
INVALID = "Invalid code."
TOTP_EXPECTED = "Enter the 6-digit code from your authenticator app."
NOT_ENROLLED = "Set up your authenticator app first."
NO_PENDING_ENROLLMENT = "There is no pending enrollment to confirm."
SKIP_REFUSED = "Enrollment cannot be skipped."
SNOOZE_REFUSED = "You can no longer postpone: set up two-factor authentication now."


def invalid_with_remaining(remaining: int) -> str:
    noun = "attempt" if remaining == 1 else "attempts"
    return f"Invalid code. {remaining} {noun} remaining."


def passkeys_switched_off(key_only_users: int) -> str:
    """After passkeys were switched off while some users have nothing else (Settings tab, CLI)."""
    return (
        f"{_users(key_only_users)} enrolled with a passkey alone can no longer use it: {_FALLBACK}"
    )


def passkeys_not_counted_for_roles(key_only_users: int, roles: list[str]) -> str:
    """After roles stopped counting passkeys while some of their users have nothing else ("may":
    a user whose other role requires 2FA and allows keys keeps them, methods.combine)."""
    return (
        f"{_users(key_only_users)} enrolled with a passkey alone in {', '.join(roles)} may no "
        f"longer use it: {_FALLBACK}"
    )


_FALLBACK = "they sign in with a backup code, which lets them set up an authenticator app."


def _users(count: int) -> str:
    return "1 user" if count == 1 else f"{count} users"


def translated(refusal) -> str:
    """A pure-core Refusal (core/text.py) in the reader's language."""
    from django.utils.translation import gettext

    text = gettext(refusal.template)
    return text % refusal.params if refusal.params else text
