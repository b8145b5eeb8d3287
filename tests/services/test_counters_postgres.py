"""The Overview's counters under concurrency on PostgreSQL: enrollments, confirmations, resets,
backup-code use, regenerations and (de)activations from many threads at once, several of them on
the same users, leave zero drift (counters == full recount)."""

import random

import pytest
from django.db import transaction

from portal2fa.accounts.models import User
from portal2fa.twofactor.machinery import counters
from portal2fa.twofactor.machinery.code_checks import consume_backup_code, serialize_code_checks
from portal2fa.twofactor.models import Authenticator
from portal2fa.twofactor.services.backup_codes import backup_codes_regenerate
from portal2fa.twofactor.services.enrollment import (
    enrollment_begin,
    enrollment_confirm,
    enrollment_reset,
)

from .helpers import later
from .test_concurrency_postgres import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def set_active(user_id, active):
    def call():
        with transaction.atomic():
            user = User.objects.get(pk=user_id)
            user.is_active = active
            user.save(update_fields=["is_active"])

    return call


def use_code(user_id, code, at):
    def call():
        with transaction.atomic():
            serialize_code_checks(user_id)
            authenticator = Authenticator.objects.filter(user_id=user_id).first()
            if authenticator is not None:
                consume_backup_code(authenticator, code, at=at)

    return call


def begin_and_confirm(user_id, at):
    def call():
        from portal2fa.twofactor.machinery import keys
        from tests.reference_totp import totp

        user = User.objects.get(pk=user_id)
        authenticator = enrollment_begin(user=user, at=at)
        secret = keys.decrypt_secret(authenticator.encrypted_secret)
        enrollment_confirm(user=user, code=totp(secret, at.timestamp()), at=at)

    return call


def reset(admin, user_id, at):
    def call():
        try:
            enrollment_reset(actor=admin, user=User.objects.get(pk=user_id), at=at, reason="race")
        except Exception:  # noqa: BLE001 - reset concurrently: nothing to reset
            pass

    return call


def regenerate(enrolled, at):
    return lambda: backup_codes_regenerate(user=enrolled.user, code=enrolled.code(at), at=at)


def test_counters_show_no_drift_after_a_race(policy, make_user, enroll):
    admin_user = None  # (the CLI resets as no user; the Administrator role row is flushed here)
    rng = random.Random(7)
    t = later(minutes=1)
    enrolled = [enroll(make_user(f"e{n}@example.com"), at=t) for n in range(12)]
    pending = [make_user(f"p{n}@example.com") for n in range(6)]
    for user in pending:
        enrollment_begin(user=user, at=t)
    fresh = [make_user(f"n{n}@example.com") for n in range(6)]
    assert counters.drift() == {}
    calls = []
    for e in enrolled:
        uid = e.user.pk
        calls += [use_code(uid, e.backup_codes[0], t), use_code(uid, e.backup_codes[1], t)]
        calls.append(rng.choice([set_active(uid, False), reset(admin_user, uid, t)]))
    for e in enrolled[:4]:  # the same user reset, deactivated and regenerating at once
        calls += [reset(admin_user, e.user.pk, t), regenerate(e, later(minutes=2))]
    for user in pending + fresh:  # confirmations racing deactivations of the same users
        calls += [begin_and_confirm(user.pk, t), set_active(user.pk, False)]
        calls.append(set_active(user.pk, True))
    rng.shuffle(calls)
    run_together(calls)
    assert counters.drift() == {}
    assert counters.totals().get("active", 0) == User.objects.filter(is_active=True).count()
