"""No TOTP secret and no backup code is stored in clear anywhere in the database.

Two scans: every field of every row of every model through the ORM (session data decoded), and,
on SQLite, the raw bytes of the whole database file. A canary written on purpose into a text
field proves in the same test that each scan can find what it looks for.
"""

import base64

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import connection

from portal2fa.audit.models import Action
from portal2fa.audit.services import Origin, record
from portal2fa.twofactor.core import backup_codes, totp
from portal2fa.twofactor.machinery import keys
from portal2fa.twofactor.services.backup_codes import backup_codes_regenerate
from portal2fa.twofactor.services.challenge import challenge_attempt, challenge_issue
from portal2fa.twofactor.services.enrollment import enrollment_begin, enrollment_reset

from .helpers import later


def forbidden_forms(secrets: list[str], codes: list[str]) -> dict[str, bytes]:
    """Every form in which a secret or a code must not appear, as text and as UTF-8 bytes."""
    forms: dict[str, bytes] = {}
    for secret in secrets:
        raw = totp_bytes(secret)
        for text in (
            secret,
            secret.lower(),
            totp.group_secret(secret),
            raw.hex(),
            raw.hex().upper(),
        ):
            forms[text] = text.encode()
        forms[raw.decode("latin-1")] = raw  # the raw 20 bytes
    for code in codes:
        for text in (
            code,
            code.lower(),
            backup_codes.display(code),
            backup_codes.display(code).lower(),
        ):
            forms[text] = text.encode()
    return forms


def totp_bytes(secret: str) -> bytes:
    return base64.b32decode(secret)


def orm_text() -> tuple[str, set[str]]:
    """All stored values of all rows of all models as one text, and the models that had rows."""
    chunks, seen = [], set()
    for model in apps.get_models(include_auto_created=True):
        for row in model._default_manager.all():
            seen.add(model._meta.label)
            chunks += [str(field.value_from_object(row)) for field in model._meta.concrete_fields]
            if model is Session:
                chunks.append(str(row.get_decoded()))
    return "\n".join(chunks), seen


def raw_database_bytes() -> bytes:
    connection.ensure_connection()
    return connection.connection.serialize()


@pytest.mark.django_db
def test_secrets_and_backup_codes_are_not_stored_in_clear(
    make_user, enroll, policy, admin_user, client
):
    users = [make_user() for _ in range(4)]
    enrolled = [enroll(u, at=later()) for u in users[:3]]
    codes = [code for e in enrolled for code in e.backup_codes]
    # a regenerated set, a used backup code, a pending enrollment, a reset, a real session
    t = later(minutes=1)
    regenerated = backup_codes_regenerate(user=users[0], code=enrolled[0].code(t), at=t)
    assert regenerated.ok
    codes += regenerated.backup_codes
    token = challenge_issue(user=users[1], at=t)
    assert challenge_attempt(token=token, code=enrolled[1].backup_codes[0], at=t).ok
    pending = enrollment_begin(user=users[3], at=t)
    enrollment_reset(actor=admin_user, user=users[2], at=t)
    client.force_login(users[1])
    secrets = [e.secret for e in enrolled] + [keys.decrypt_secret(pending.encrypted_secret)]

    # the canary: a fake secret and a fake backup code written on purpose where a leak would go
    canary_secret, canary_code = totp.new_secret(), backup_codes.generate(1)[0]
    canary = forbidden_forms([canary_secret], [canary_code])
    readable = {text: raw for text, raw in canary.items() if text.isprintable()}
    assert len(readable) == 9  # all forms but the raw bytes
    record(Action.USER_CHANGED, Origin(admin_user, None, None, t), note=" | ".join(readable))

    forbidden = forbidden_forms(secrets, codes)
    assert len(codes) == 40 and len(forbidden) == 6 * len(secrets) + 4 * len(codes)

    text, seen = orm_text()
    assert {"twofactor.Authenticator", "twofactor.BackupCode", "sessions.Session"} <= seen
    assert {"twofactor.SignInChallenge", "audit.AuditEvent", "accounts.User"} <= seen
    assert [t for t in readable if t not in text] == []  # the scan finds the canary
    assert [t for t in forbidden if t in text] == []  # and nothing real

    if connection.vendor == "sqlite":
        data = raw_database_bytes()
        assert [t for t, raw in readable.items() if raw not in data] == []
        assert [t for t, raw in forbidden.items() if raw in data] == []
