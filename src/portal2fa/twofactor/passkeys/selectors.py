"""Reads about a user's passkeys: whether they have any, may use them, and which one a removal names."""

from ..core.methods import PASSKEY
from ..machinery.policy import allowed_methods, current_policy
from ..models import Authenticator, WebAuthnCredential
from .verification import PasskeyError

NOT_ALLOWED = "Passkeys and security keys are not allowed for your account."
LAST_KEY = (
    "This is your only passkey or security key and you have no authenticator app: "
    "add another key or set up an authenticator app before removing it."
)


def has_passkeys(user) -> bool:
    return WebAuthnCredential.objects.filter(user=user).exists()


def passkeys_usable(user, policy=None) -> bool:
    """The Settings tab allows passkeys and so does every role of the user that counts."""
    return PASSKEY in allowed_methods(user, policy or current_policy())


def passkey_to_remove(*, user, pk) -> WebAuthnCredential:
    """The user's key that a removal names (for its confirmation), or PasskeyError: not theirs,
    or their only key when it is all they sign in with besides backup codes."""
    credential = WebAuthnCredential.objects.filter(user=user, pk=pk).first() if pk else None
    if credential is None:
        raise PasskeyError("That key is not registered to your account.")
    enrollment = Authenticator.objects.filter(user=user).first()
    if enrollment and enrollment.confirmed_at and not enrollment.has_app:
        if enrollment.passkeys <= 1:  # what is left would be backup codes alone
            raise PasskeyError(LAST_KEY)
    return credential
