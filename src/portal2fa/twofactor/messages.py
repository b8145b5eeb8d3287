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


def invalid_with_remaining(remaining: int) -> str:
    noun = "attempt" if remaining == 1 else "attempts"
    return f"Invalid code. {remaining} {noun} remaining."


def passkeys_switched_off(key_only_users: int) -> str:
    """After passkeys were switched off while some users have nothing else (Settings tab, CLI)."""
    who = "1 user" if key_only_users == 1 else f"{key_only_users} users"
    return (
        f"{who} enrolled with a passkey alone can no longer use it: they sign in with a backup "
        "code, which lets them set up an authenticator app."
    )
