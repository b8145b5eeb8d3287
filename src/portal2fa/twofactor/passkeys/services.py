"""Passkeys and security keys (WebAuthn): the use cases. A key added, renamed or removed by its
user after a current second factor, and a sign-in completed by a key's assertion (checked in
passkeys/verification.py).
"""

from datetime import datetime

from django.db import transaction
from django.db.models import F

from ...audit.models import Action
from ...audit.services import Origin, record
from .. import messages
from ..machinery import code_budget, code_checks, counters
from ..machinery.code_budget import user_guard
from ..machinery.outcome import Outcome
from ..machinery.policy import current_policy
from ..machinery.step_up_grants import confirmed_refusal
from ..models import Authenticator, WebAuthnCredential
from ..services.attempt import Attempt, LockedChallenge, Verdict
from ..services.challenge import attempt_on_token
from .selectors import NOT_ALLOWED, passkey_to_remove, passkeys_usable
from .verification import NewKey, PasskeyError, RelyingParty, verify_assertion, verify_new_key

NAME_MAX = 64
NOT_ACCEPTED = messages.PASSKEY_NOT_ACCEPTED
CLONED = messages.PASSKEY_CLONED
NO_PASSKEYS = messages.NO_PASSKEYS


PASSKEY_FACTOR = "passkey"  # what a sign-in with a key audits as its factor


def clean_name(raw) -> str:
    name = " ".join(str(raw or "").split())
    if not name:
        raise PasskeyError(messages.PASSKEY_NAME_MISSING)
    if len(name) > NAME_MAX or not name.isprintable():
        raise PasskeyError(messages.passkey_name_too_long(NAME_MAX))
    return name


# --- registration ----------------------------------------------------------------------------------


def passkey_step_up(
    *, user, code: str, at: datetime, client_address=None, purpose: str = "passkey registration"
) -> Outcome:
    """A current second factor (TOTP or backup code) before a new key is registered (or, with its
    `purpose`, another sensitive change): checked under the user lock like every code, a wrong
    one counts toward the account's budget."""
    with user_guard(user.pk, at=at) as refusal:
        if refusal:
            return Outcome(False, refusal.message)
        authenticator = Authenticator.objects.filter(user=user, confirmed_at__isnull=False).first()
        if authenticator is None:
            return Outcome(False, messages.NOT_ENROLLED)
        window = current_policy().clock_skew_steps
        check = code_checks.consume_code(authenticator, code, at=at, window=window)
        if check.ok:
            code_budget.code_success(user.pk)
            if check is code_checks.CodeCheck.BACKUP:
                record(
                    Action.BACKUP_CODE_USED,
                    Origin(user, user, client_address, at),
                    purpose=purpose,
                )
            return Outcome(True)
        return code_budget.code_refused(
            check,
            authenticator=authenticator,
            code=code,
            user=user,
            at=at,
            window=window,
            client_address=client_address,
        )


def passkey_register(
    *,
    user,
    name: str,
    response: str,
    expected_challenge: bytes,
    rp: RelyingParty,
    at: datetime,
    client_address=None,
    confirmation: str | None = None,
) -> WebAuthnCredential:
    """A new key for an enrolled user. `confirmation`: the nonce of the passkey confirmation the
    ceremony started on, spent here with the key stored (a cancelled ceremony spends nothing)."""
    name = clean_name(name)
    verified = verify_new_key(response, expected_challenge=expected_challenge, rp=rp)
    with user_guard(user.pk):
        if not Authenticator.objects.filter(user=user, confirmed_at__isnull=False).exists():
            raise PasskeyError(messages.NOT_ENROLLED)  # reset since the step up
        refused = confirmation is not None and confirmed_refusal(user, at=at, nonce=confirmation)
        if refused:
            raise PasskeyError(refused)
        return store_new_key(user, name, verified, at=at, client_address=client_address)


def store_new_key(
    user, name: str, key: NewKey, *, at: datetime, client_address
) -> WebAuthnCredential:
    """Store a verified key for an enrolled user: in the caller's transaction, under the per-user
    lock; the enrollment's passkey count and the Overview's method buckets follow."""
    if WebAuthnCredential.objects.filter(credential_id=key.credential_id).exists():
        raise PasskeyError(messages.PASSKEY_ALREADY_REGISTERED)
    credential = WebAuthnCredential.objects.create(
        user=user,
        name=name,
        credential_id=key.credential_id,
        public_key=key.public_key,
        sign_count=key.sign_count,
        transports=key.transports,
        created_at=at,
    )
    _count_passkeys(user.pk, +1)
    record(
        Action.PASSKEY_ADDED,
        Origin(user, user, client_address, at),
        name=name,
    )
    return credential


def _count_passkeys(user_id, delta: int) -> None:
    found = counters.locked_state(user_id=user_id)
    if found is None:
        return
    pk, before = found
    Authenticator.objects.filter(pk=pk).update(passkeys=F("passkeys") + delta)
    _, after = counters.locked_state(pk=pk)
    counters.move(before.buckets(), after.buckets())


def passkey_rename(*, user, pk: int, name: str, at: datetime, client_address=None) -> str:
    """Rename one of the user's keys; returns its old name (the page says "from … to …")."""
    name = clean_name(name)
    with transaction.atomic():
        credential = WebAuthnCredential.objects.select_for_update().filter(user=user, pk=pk).first()
        if credential is None:
            raise PasskeyError(messages.PASSKEY_NOT_YOURS)
        old = credential.name
        credential.name = name
        credential.save(update_fields=["name"])
        record(
            Action.PASSKEY_RENAMED,
            Origin(user, user, client_address, at),
            changes={"name": [old, name]},
        )
    return old


def passkey_remove(
    *,
    user,
    pk: int,
    at: datetime,
    code: str | None = None,
    confirmation: str | None = None,
    client_address=None,
) -> str:
    """Remove one of the user's keys after a current second factor: a code (TOTP or backup,
    counted like any code) or this session's passkey confirmation (`confirmation`, its nonce,
    consumed with the removal). Returns the removed key's name; PasskeyError when refused."""
    passkey_to_remove(user=user, pk=pk)  # before a code is spent on a removal that is refused
    if confirmation is None:
        step_up = passkey_step_up(
            user=user, code=code or "", at=at, client_address=client_address, purpose="key removal"
        )
        if not step_up.ok:
            raise PasskeyError(step_up.message)
    with user_guard(user.pk):
        credential = passkey_to_remove(user=user, pk=pk)  # again, under the lock
        refused = confirmation is not None and confirmed_refusal(user, at=at, nonce=confirmation)
        if refused:
            raise PasskeyError(refused)
        WebAuthnCredential.objects.filter(pk=credential.pk).delete()
        _count_passkeys(user.pk, -1)
        record(
            Action.PASSKEY_REMOVED,
            Origin(user, user, client_address, at),
            name=credential.name,
            **({"confirmed_with": "passkey"} if confirmation is not None else {}),
        )
    return credential.name


def challenge_passkey_attempt(
    *,
    token: str | None,
    response: str,
    expected_challenge: bytes | None,
    rp: RelyingParty,
    at: datetime,
    client_address=None,
    challenge=None,
) -> Attempt:
    """An assertion against the sign-in token: success completes it as a correct code would."""

    def check(locked: LockedChallenge) -> Verdict:
        if not locked.enrolled:  # reset during this sign-in
            return Verdict.refused(messages.EXPIRED)
        if not passkeys_usable(locked.user):  # the Settings tab or a role of theirs forbids it
            return Verdict.refused(NOT_ALLOWED)
        verified, cloned = verify_assertion(
            locked.user,
            response,
            expected_challenge=expected_challenge,
            rp=rp,
            at=at,
            client_address=client_address,
        )
        if verified:
            return Verdict.passed(PASSKEY_FACTOR)
        return Verdict.failed(refused_as=CLONED if cloned else NOT_ACCEPTED)

    return attempt_on_token(
        token, loaded=challenge, check=check, at=at, client_address=client_address
    )
