"""Adding an authenticator app to an enrollment that has none (enrolled with a passkey alone).

The personal page first asks for a confirmation (a backup code, or a passkey: passkeys/step_up.py),
then shows a new secret that the view keeps encrypted in the session (never on the row) until the
app's first code confirms it. Confirming stores it on the row by one conditional UPDATE (only while
the enrollment is still without a secret, so two confirmations cannot both store one), marks the
confirming step used (that code cannot sign in), moves the Overview's method buckets, and is
audited. A wrong code counts on the account's code budget like any code.
"""

from datetime import datetime

from django.views.decorators.debug import sensitive_variables

from ...audit.models import Action
from ...audit.services import Origin, record
from .. import messages
from ..adapter import HostUser
from ..core import totp
from ..core.crypto import CryptoConfigError
from ..machinery import code_budget, counters, keys
from ..machinery.clock_skew import skew_hint, suspected_skew
from ..machinery.code_budget import user_guard
from ..machinery.outcome import Outcome
from ..machinery.policy import current_policy
from ..models import Authenticator

ALREADY_HAS_APP = messages.APP_ALREADY_SET_UP
EXPIRED = messages.APP_SETUP_EXPIRED


def new_app_secret() -> str:
    """A new TOTP secret, encrypted with the deploy keys: what the session keeps."""
    return keys.encrypt_secret(totp.new_secret())


@sensitive_variables("secret", "code")
def app_add(
    *,
    user: HostUser,
    encrypted_secret: str,
    code: str,
    at: datetime,
    client_address: str | None = None,
) -> Outcome:
    """The first code from the app for the secret shown: stored on the enrollment if it matches."""
    try:
        secret = keys.decrypt_secret(encrypted_secret)
    except (CryptoConfigError, ValueError, TypeError):
        return Outcome(False, EXPIRED, done=True)
    code = totp.normalise(code)
    if not totp.looks_like_totp(code):
        return Outcome(False, messages.TOTP_EXPECTED)
    policy = current_policy()
    with user_guard(user.pk, at=at) as refusal:
        if refusal:
            return Outcome(False, refusal.message, done=refusal.locked)
        enrollment = Authenticator.objects.filter(user=user, confirmed_at__isnull=False).first()
        if enrollment is None:
            return Outcome(False, messages.NOT_ENROLLED, done=True)
        if enrollment.has_app:
            return Outcome(False, ALREADY_HAS_APP, done=True)
        step = totp.matching_step(secret, code, at=at, window=policy.clock_skew_steps)
        if step is not None:
            _, before = counters.locked_state(pk=enrollment.pk)
            stored = Authenticator.objects.filter(
                pk=enrollment.pk, encrypted_secret="", confirmed_at__isnull=False
            ).update(encrypted_secret=encrypted_secret, last_used_step=step)
            if not stored:  # set up or reset concurrently (cannot happen under the lock, but
                return Outcome(False, ALREADY_HAS_APP, done=True)  # the UPDATE decides)
            _, after = counters.locked_state(pk=enrollment.pk)
            counters.move(before.buckets(), after.buckets())
            code_budget.code_success(user.pk)
            record(Action.APP_ADDED, Origin(user, user, client_address, at))
            return Outcome(True, done=True)
        budget = code_budget.code_failure_count(user, at=at, client_address=client_address)
        shown = Authenticator(encrypted_secret=encrypted_secret)  # the new secret, not stored
        skew = suspected_skew(shown, code, at=at, window=policy.clock_skew_steps)
    parts: list[str] = [messages.INVALID]
    if skew is not None:
        parts.append(skew_hint(skew))
    if budget:
        parts.append(budget.message)
    return Outcome(False, " ".join(map(str, parts)), done=bool(budget and budget.locked))
