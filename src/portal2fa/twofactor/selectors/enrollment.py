"""What the enrollment and personal pages show about one user."""

from dataclasses import dataclass
from datetime import datetime

from django.views.decorators.debug import sensitive_variables

from ..adapter import get_adapter
from ..core import totp
from ..machinery import keys
from ..machinery.policy import authenticator_of, issuer, state_of
from ..messages import (
    AUTHENTICATOR_APP,
    PASSWORD_ALONE,
    PASSWORD_ONLY,
    QR_CODE_TITLE,
    summary_backup_codes,
    summary_passkeys,
    summary_trusted_browsers,
)
from ..models import Authenticator, EnrollmentState, TwoFactorSettings


@dataclass(frozen=True)
class Pairing:
    """The QR code (inline SVG, rendered here) and the manual key for a Pending authenticator."""

    qr_svg: str
    uri: str  # otpauth://: "Open in authenticator app" on the same phone
    manual_key: str
    issuer: str
    account: str


def pairing_for(authenticator: Authenticator, policy: TwoFactorSettings) -> Pairing:
    return pairing_of(authenticator.user, authenticator.encrypted_secret, policy)


@sensitive_variables("secret", "code", "raw", "uri", "encrypted_secret")
def pairing_of(user, encrypted_secret: str, policy: TwoFactorSettings) -> Pairing:
    """The pairing for an encrypted secret: a Pending row's, or a new app's kept in the session."""
    secret = keys.decrypt_secret(encrypted_secret)
    account = get_adapter().account_name(user)
    uri = totp.provisioning_uri(secret, account=account, issuer=issuer(policy))
    import segno  # here, not at start-up: only an enrollment page draws a QR code

    qr = segno.make(uri, error="m")
    return Pairing(
        # omitsize: a viewBox instead of a fixed width/height, so the stylesheet's size scales the
        # code instead of cropping it (a cropped code cannot be scanned).
        qr_svg=qr.svg_inline(
            scale=5,
            border=4,
            dark="#000",
            light="#fff",
            title=str(QR_CODE_TITLE),
            omitsize=True,
        ),
        uri=uri,
        manual_key=totp.group_secret(secret),
        issuer=issuer(policy),
        account=account,
    )


@dataclass(frozen=True)
class Status:
    state: EnrollmentState
    enrolled_at: datetime | None
    codes_remaining: int
    running_low: bool
    out_of_codes: bool
    has_app: bool = False  # an authenticator app is part of the enrollment


def status_of(user, policy: TwoFactorSettings) -> Status:
    authenticator = authenticator_of(user)
    state = state_of(authenticator)
    remaining = authenticator.backup_codes_remaining if authenticator else 0
    enrolled = state == EnrollmentState.ENROLLED
    return Status(
        state=state,
        enrolled_at=authenticator.confirmed_at if authenticator else None,
        codes_remaining=remaining,
        running_low=enrolled and 0 < remaining <= policy.low_codes_threshold,
        out_of_codes=enrolled and remaining == 0,
        has_app=bool(authenticator and authenticator.has_app),
    )


def sign_in_summary(status: Status, *, passkeys: int, trusted_browsers: int) -> list[str]:
    """The personal page's first line: what this user signs in with, strongest first
    ("passkey ×1", "authenticator app", "9 backup codes", "1 trusted browser")."""
    if status.state != EnrollmentState.ENROLLED:
        return [PASSWORD_ALONE if not trusted_browsers else PASSWORD_ONLY]
    parts = [summary_passkeys(passkeys)] if passkeys else []
    if status.has_app:
        parts.append(AUTHENTICATOR_APP)
    parts.append(summary_backup_codes(status.codes_remaining))
    if trusted_browsers:
        parts.append(summary_trusted_browsers(trusted_browsers))
    return parts
