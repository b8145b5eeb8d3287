"""Passkeys and security keys (WebAuthn) as a second factor, verified by py_webauthn.

Registration (personal page): a current second factor first (TOTP or backup code, counted against
the account's code budget like any code), then the browser's attestation, verified by
webauthn.verify_registration_response. Sign-in: an assertion verified by
webauthn.verify_authentication_response completes the security token exactly like a correct code;
a refused assertion is a failed attempt on the token and on the account budget.

Clone detection: the library verifies the signature; the counter is then decided by one
conditional UPDATE (sign_count grows, or stays 0 for authenticators without a counter), so two
parallel assertions with the same counter cannot both pass. A counter that does not grow is
refused as a cloned credential and audited.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q

from ...audit.models import Action
from ...audit.services import record
from .. import counters, messages
from ..adapter import get_adapter
from ..models import Authenticator, WebAuthnCredential
from ..policy import get_settings
from . import code_budget
from . import codes as code_checks
from .attempt import Attempt, LockedChallenge, Verdict, second_factor_attempt
from .challenge import live_challenge
from .clock_skew import skew_hint, suspected_skew

NAME_MAX = 64
TIMEOUT_MS = 120_000
NOT_ACCEPTED = messages.PASSKEY_NOT_ACCEPTED
CLONED = messages.PASSKEY_CLONED
NO_PASSKEYS = messages.NO_PASSKEYS
LAST_KEY = messages.LAST_KEY


class PasskeyError(Exception):
    """A refusal whose message is safe to show."""


PASSKEY_FACTOR = "passkey"  # what a sign-in with a key audits as its factor


@dataclass(frozen=True)
class RelyingParty:
    id: str
    name: str
    origin: str


@dataclass(frozen=True)
class StepUp:
    ok: bool
    message: str = ""


def clean_name(raw) -> str:
    name = " ".join(str(raw or "").split())
    if not name:
        raise PasskeyError(messages.PASSKEY_NAME_MISSING)
    if len(name) > NAME_MAX or not name.isprintable():
        raise PasskeyError(messages.passkey_name_too_long(NAME_MAX))
    return name


def has_passkeys(user) -> bool:
    return WebAuthnCredential.objects.filter(user=user).exists()


NOT_ALLOWED = messages.PASSKEYS_NOT_ALLOWED


def passkeys_usable(user, policy=None) -> bool:
    """The Settings tab allows passkeys and so does every role of the user that counts."""
    from ..methods import PASSKEY, allowed_methods
    from ..policy import get_settings

    return PASSKEY in allowed_methods(user, policy or get_settings())


# --- registration ----------------------------------------------------------------------------------


def passkey_step_up(
    *, user, code: str, at: datetime, client_address=None, purpose: str = "passkey registration"
) -> StepUp:
    """A current second factor (TOTP or backup code) before a new key is registered (or, with its
    `purpose`, another sensitive change): checked under the user lock like every code, a wrong
    one counts toward the account's budget."""
    with transaction.atomic():
        code_checks.serialize_code_checks(user.pk)
        refusal = code_budget.code_budget_refusal(user.pk, at=at)
        if refusal:
            return StepUp(False, refusal.message)
        authenticator = Authenticator.objects.filter(user=user, confirmed_at__isnull=False).first()
        if authenticator is None:
            return StepUp(False, messages.NOT_ENROLLED)
        window = get_settings().clock_skew_steps
        check = code_checks.consume_code(authenticator, code, at=at, window=window)
        if check.ok:
            code_budget.code_success(user.pk)
            if check is code_checks.CodeCheck.BACKUP:
                record(
                    Action.BACKUP_CODE_USED,
                    actor=user,
                    target=user,
                    client_address=client_address,
                    at=at,
                    purpose=purpose,
                )
            return StepUp(True)
        refusal = skew = None
        if check is not code_checks.CodeCheck.USED:
            refusal = code_budget.code_failure_count(user, at=at, client_address=client_address)
        if check is code_checks.CodeCheck.INVALID:
            skew = suspected_skew(authenticator, code, at=at, window=window)
    if check is code_checks.CodeCheck.USED:
        return StepUp(False, messages.USED)
    hint = f" {skew_hint(skew)}" if skew is not None else ""
    if refusal:
        return StepUp(False, f"{messages.INVALID}{hint} {refusal.message}")
    return StepUp(False, messages.INVALID + hint)


def _webauthn():
    """py_webauthn, imported by the first request that needs it: with its CBOR, ASN.1, X.509 and
    pyOpenSSL it adds several MB to a worker that otherwise only checks codes (bench/peers/)."""
    import webauthn
    import webauthn.helpers.structs

    return webauthn


# What py_webauthn refuses (py_webauthn's own error, or a malformed response).
def _refused_errors() -> tuple[type[Exception], ...]:
    from webauthn.helpers.exceptions import WebAuthnException

    return (WebAuthnException, ValueError, KeyError, TypeError)


def _known_transports() -> set[str]:
    return {t.value for t in _webauthn().helpers.structs.AuthenticatorTransport}


def _descriptors(credentials) -> list:
    structs = _webauthn().helpers.structs
    known = _known_transports()
    return [
        structs.PublicKeyCredentialDescriptor(
            id=bytes(c.credential_id),
            transports=[structs.AuthenticatorTransport(t) for t in c.transports if t in known],
        )
        for c in credentials
    ]


def registration_options(*, user, rp: RelyingParty) -> tuple[str, bytes]:
    """(the options as JSON for navigator.credentials.create, the challenge to keep)."""
    webauthn = _webauthn()
    structs = webauthn.helpers.structs
    adapter = get_adapter()
    options = webauthn.generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=str(user.pk).encode(),
        user_name=adapter.email(user) or str(user.pk),
        user_display_name=adapter.display_name(user),
        timeout=TIMEOUT_MS,
        exclude_credentials=_descriptors(WebAuthnCredential.objects.filter(user=user)),
        authenticator_selection=structs.AuthenticatorSelectionCriteria(
            resident_key=structs.ResidentKeyRequirement.PREFERRED,
            user_verification=structs.UserVerificationRequirement.PREFERRED,
        ),
    )
    return webauthn.options_to_json(options), options.challenge


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
    from .step_up import confirmed_refusal  # step_up builds on this module

    name = clean_name(name)
    verified = verify_new_key(response, expected_challenge=expected_challenge, rp=rp)
    with transaction.atomic():
        code_checks.serialize_code_checks(user.pk)
        if not Authenticator.objects.filter(user=user, confirmed_at__isnull=False).exists():
            raise PasskeyError(messages.NOT_ENROLLED)  # reset since the step up
        refused = confirmation is not None and confirmed_refusal(user, at=at, nonce=confirmation)
        if refused:
            raise PasskeyError(refused)
        return store_new_key(user, name, verified, at=at, client_address=client_address)


@dataclass(frozen=True)
class NewKey:
    """A verified registration: what is stored of it."""

    credential_id: bytes
    public_key: bytes
    sign_count: int
    transports: list[str]


def verify_new_key(response: str, *, expected_challenge: bytes, rp: RelyingParty) -> NewKey:
    """The browser's attestation, verified by py_webauthn; PasskeyError if it is not valid."""
    webauthn = _webauthn()
    try:
        verified = webauthn.verify_registration_response(
            credential=response,
            expected_challenge=expected_challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=False,  # preferred, not required
        )
    except _refused_errors() as error:
        raise PasskeyError(messages.PASSKEY_NOT_VERIFIED) from error
    return NewKey(
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=_transports_of(response),
    )


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
        actor=user,
        target=user,
        client_address=client_address,
        at=at,
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


def _transports_of(response: str) -> list[str]:
    try:
        found = json.loads(response).get("response", {}).get("transports") or []
    except (ValueError, AttributeError):
        return []
    return [t for t in found if isinstance(t, str) and t in _known_transports()]


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
            actor=user,
            target=user,
            client_address=client_address,
            at=at,
            changes={"name": [old, name]},
        )
    return old


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
    from .step_up import confirmed_refusal  # step_up builds on this module

    passkey_to_remove(user=user, pk=pk)  # before a code is spent on a removal that is refused
    if confirmation is None:
        step_up = passkey_step_up(
            user=user, code=code or "", at=at, client_address=client_address, purpose="key removal"
        )
        if not step_up.ok:
            raise PasskeyError(step_up.message)
    with transaction.atomic():
        code_checks.serialize_code_checks(user.pk)
        credential = passkey_to_remove(user=user, pk=pk)  # again, under the lock
        refused = confirmation is not None and confirmed_refusal(user, at=at, nonce=confirmation)
        if refused:
            raise PasskeyError(refused)
        WebAuthnCredential.objects.filter(pk=credential.pk).delete()
        _count_passkeys(user.pk, -1)
        record(
            Action.PASSKEY_REMOVED,
            actor=user,
            target=user,
            client_address=client_address,
            at=at,
            name=credential.name,
            **({"confirmed_with": "passkey"} if confirmation is not None else {}),
        )
    return credential.name


# --- sign-in ---------------------------------------------------------------------------------------


def authentication_options(*, user, rp: RelyingParty) -> tuple[str, bytes]:
    webauthn = _webauthn()
    options = webauthn.generate_authentication_options(
        rp_id=rp.id,
        timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(WebAuthnCredential.objects.filter(user=user)),
        user_verification=webauthn.helpers.structs.UserVerificationRequirement.PREFERRED,
    )
    return webauthn.options_to_json(options), options.challenge


def _credential_id_of(response: str) -> bytes | None:
    try:
        raw = json.loads(response).get("rawId") or json.loads(response).get("id")
        return _webauthn().base64url_to_bytes(raw) if isinstance(raw, str) else None
    except (ValueError, AttributeError, TypeError):
        return None


def verify_assertion(
    user, response: str, *, expected_challenge: bytes | None, rp: RelyingParty, at, client_address
) -> tuple[bool, bool]:
    """(verified, cloned) for an assertion by one of the user's keys. In the caller's transaction,
    under the per-user lock: the signature by py_webauthn, then the counter by one conditional
    UPDATE (see the module's docstring); a counter that does not grow is audited as a clone."""
    credential_id = _credential_id_of(response)
    credential = (
        WebAuthnCredential.objects.filter(user_id=user.pk, credential_id=credential_id).first()
        if credential_id and expected_challenge
        else None
    )
    if credential is None:
        return False, False
    try:
        verified = _webauthn().verify_authentication_response(
            credential=response,
            expected_challenge=expected_challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=bytes(credential.public_key),
            # The counter is decided below, by one conditional UPDATE (see the docstring).
            credential_current_sign_count=0,
            require_user_verification=False,
        )
    except _refused_errors():
        return False, False
    new_count = verified.new_sign_count
    grows = Q(sign_count__lt=new_count) if new_count else Q(sign_count=0)
    if WebAuthnCredential.objects.filter(grows, pk=credential.pk).update(
        sign_count=new_count, last_used_at=at
    ):
        return True, False
    record(
        Action.PASSKEY_CLONE_REFUSED,
        actor=user,
        target=user,
        client_address=client_address,
        at=at,
        name=credential.name,
        stored_count=credential.sign_count,
        presented_count=new_count,
    )
    return False, True


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

    return second_factor_attempt(
        live_challenge(token, at=at, loaded=challenge),
        check=check,
        at=at,
        client_address=client_address,
    )
