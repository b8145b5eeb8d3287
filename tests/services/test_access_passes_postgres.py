"""Temporary Access Passes under real concurrency on PostgreSQL (one connection per thread)."""

import pytest

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.models import SignInChallenge, TemporaryAccessPass
from portal2fa.twofactor.services.access_passes import access_pass_attempt, access_pass_issue
from portal2fa.twofactor.services.challenge import challenge_issue

from .helpers import T0, later
from .test_concurrency_postgres import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_one_pass_used_by_two_sign_ins_at_once_admits_one(user, enroll, policy, make_user):
    admin_user = make_user("admin@example.com")
    enroll(user, at=T0)
    issued = access_pass_issue(actor=admin_user, user=user, at=later(minutes=1))
    at = later(minutes=2)
    tokens = [challenge_issue(user=user, at=at) for _ in range(4)]
    results = run_together(
        [lambda t=t: access_pass_attempt(token=t, code=issued.code, at=at) for t in tokens]
    )
    assert sum(r.ok for r in results) == 1
    assert SignInChallenge.objects.filter(access_pass_at__isnull=False).count() == 1
    assert TemporaryAccessPass.objects.get().outcome == "used"
    assert AuditEvent.objects.filter(action=Action.ACCESS_PASS_USED).count() == 1
    assert AuditEvent.objects.filter(action=Action.ENROLLMENT_RESET).count() == 1


def test_two_passes_issued_at_once_leave_one_live(user, policy, make_user):
    admin_user = make_user("admin@example.com")
    at = later(minutes=1)
    run_together([lambda: access_pass_issue(actor=admin_user, user=user, at=at) for _ in range(3)])
    assert TemporaryAccessPass.objects.count() == 3
    assert TemporaryAccessPass.objects.filter(ended_at=None).count() == 1
