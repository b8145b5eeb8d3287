"""Reads about a user's passkeys: whether they have any, may use them, and which one a removal names."""

from .. import messages
from ..core.methods import PASSKEY
from ..machinery.policy import allowed_methods, current_policy
from ..models import Authenticator, WebAuthnCredential
from .verification import PasskeyError

NOT_ALLOWED = messages.PASSKEYS_NOT_ALLOWED
LAST_KEY = messages.LAST_KEY


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
        raise PasskeyError(messages.PASSKEY_NOT_YOURS)
    enrollment = Authenticator.objects.filter(user=user).first()
    if enrollment and enrollment.confirmed_at and not enrollment.has_app:
        if enrollment.passkeys <= 1:  # what is left would be backup codes alone
            raise PasskeyError(LAST_KEY)
    return credential
