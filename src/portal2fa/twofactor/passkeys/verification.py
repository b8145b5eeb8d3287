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

from django.db.models import Q

from ...audit.models import Action
from ...audit.services import Origin, record
from .. import messages
from ..adapter import get_adapter
from ..models import WebAuthnCredential

TIMEOUT_MS = 120_000


class PasskeyError(Exception):
    """A refusal whose message is safe to show."""


@dataclass(frozen=True)
class RelyingParty:
    id: str
    name: str
    origin: str


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


def _transports_of(response: str) -> list[str]:
    try:
        found = json.loads(response).get("response", {}).get("transports") or []
    except (ValueError, AttributeError):
        return []
    return [t for t in found if isinstance(t, str) and t in _known_transports()]


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
        Origin(user, user, client_address, at),
        name=credential.name,
        stored_count=credential.sign_count,
        presented_count=new_count,
    )
    return False, True
