"""Races on PostgreSQL with real threads (one connection each): single use and lockout hold.

Each thread waits on a barrier, then calls the service at the same instant; the database's
conditional UPDATEs must decide. Runs only on PostgreSQL (see tests/conftest.py).
"""

import threading
from collections import Counter
from datetime import timedelta
from functools import partial

import pytest
from django.db import connection

from portal2fa.twofactor.models import Authenticator, BackupCode, SignInChallenge
from portal2fa.twofactor.services.challenge import challenge_attempt, challenge_issue

from .helpers import T0, later, wrong_code

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

USED = "This code was already used."
LOCKED = "Too many invalid attempts. Start a new sign-in."


def run_together(calls):
    """Run each zero-argument callable in its own thread, all released at once; their results."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def worker(index, call):
        try:
            connection.ensure_connection()  # connect before the barrier: start truly together
            barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    assert errors == []
    return results


@pytest.fixture
def alice(user, enroll, policy):
    return enroll(user, at=T0)


def attempt(token, code, at):
    return lambda: challenge_attempt(token=token, code=code, at=at)


def test_same_totp_code_on_eight_tokens_succeeds_once(alice):
    t = later(minutes=1)
    code = alice.code(t)
    tokens = [challenge_issue(user=alice.user, at=t) for _ in range(8)]
    results = run_together([attempt(token, code, t) for token in tokens])
    assert sum(r.ok for r in results) == 1
    assert Counter(r.message for r in results if not r.ok) == {USED: 7}
    assert SignInChallenge.objects.filter(completed_at__isnull=False).count() == 1
    assert Authenticator.objects.get().last_used_step == int(t.timestamp()) // 30


def test_same_backup_code_on_eight_tokens_succeeds_once(alice):
    t = later(minutes=1)
    code = alice.backup_codes[0]
    before = Authenticator.objects.get().backup_codes_remaining
    tokens = [challenge_issue(user=alice.user, at=t) for _ in range(8)]
    results = run_together([attempt(token, code, t) for token in tokens])
    assert sum(r.ok for r in results) == 1
    assert [r.used_backup_code for r in results if r.ok] == [True]
    assert Counter(r.message for r in results if not r.ok) == {USED: 7}
    assert Authenticator.objects.get().backup_codes_remaining == before - 1
    assert BackupCode.objects.filter(used_at__isnull=False).count() == 1


def test_wrong_codes_in_parallel_stop_exactly_at_the_maximum(alice, set_policy):
    set_policy(max_invalid_attempts=5)
    t = later(minutes=1)
    token = challenge_issue(user=alice.user, at=t)
    bad = wrong_code(alice.secret, t)
    results = run_together([attempt(token, bad, t) for _ in range(10)])
    assert not any(r.ok for r in results)
    assert SignInChallenge.objects.get().failed_attempts == 5
    assert LOCKED in {r.message for r in results}
    refused = challenge_attempt(token=token, code=alice.code(t), at=t)
    assert not refused.ok and refused.message == LOCKED
    # the correct code was refused without being spent: a new sign-in accepts it (once the
    # account's one-minute wait after 5 consecutive failures is over: tests/services/test_code_budget.py)
    t2 = t + timedelta(minutes=1)
    fresh = challenge_issue(user=alice.user, at=t2)
    assert challenge_attempt(token=fresh, code=alice.code(t), at=t2).ok


@pytest.mark.parametrize(
    ("before_delay", "lock", "refusal"),
    [
        (50, 3, "Two-factor authentication for this account is locked"),
        (3, 100, "Too many invalid codes for this account. Try again after"),
    ],
    ids=["lock", "delay"],
)
def test_account_budget_holds_against_parallel_sign_ins(
    alice, settings, before_delay, lock, refusal
):
    """Wrong codes sent at once on many fresh tokens: exactly 3 are evaluated before the account
    is locked (or made to wait), under the per-user lock. (The budget is
    CodeGuessBudget, consecutive failures; it was once a sliding hourly window of ThrottleEvent rows.)"""
    from portal2fa.twofactor.models import CodeGuessBudget

    settings.PORTAL2FA_CODE_FAILURES_BEFORE_DELAY = before_delay
    settings.PORTAL2FA_CODE_FAILURES_LOCK = lock
    t = later(minutes=1)
    tokens = [challenge_issue(user=alice.user, at=t) for _ in range(8)]
    bad = wrong_code(alice.secret, t)
    results = run_together([attempt(token, bad, t) for token in tokens])
    messages = Counter(result.message for result in results)
    assert sum(n for m, n in messages.items() if m.startswith("Invalid code.")) == 3
    assert sum(n for m, n in messages.items() if m.startswith(refusal)) == 5
    assert CodeGuessBudget.objects.get(pk=alice.user.pk).consecutive_failures == 3
    assert SignInChallenge.objects.filter(failed_attempts=1).count() == 3


def test_wrong_passwords_in_parallel_stop_exactly_at_the_limit(user, settings):
    """A separate check and count let 11-12 of 12 parallel wrong passwords through a limit of 10:
    they are one locked step (machinery/throttle.py)."""
    from portal2fa.audit.models import Action, AuditEvent
    from portal2fa.twofactor.models import ThrottleEvent
    from portal2fa.twofactor.services.password import SignInRefused, password_authenticate

    settings.PORTAL2FA_PASSWORD_FAILURES_PER_ACCOUNT = 10

    def guess(n):
        def call():
            try:
                password_authenticate(
                    None,
                    identifier="alice@example.com" if n % 2 else "ALICE@example.com",
                    password=f"wrong {n}",
                    at=T0,
                    client_address=f"10.0.0.{n}",
                )
            except SignInRefused as refusal:
                return str(refusal)

        return call

    results = run_together([guess(n) for n in range(16)])
    assert Counter(results) == {
        "The email or password is incorrect.": 10,
        "Too many failed sign-in attempts. Wait a few minutes and try again.": 6,
    }
    assert AuditEvent.objects.filter(action=Action.SIGNIN_PASSWORD_FAILED).count() == 10
    assert ThrottleEvent.objects.count() == 20  # 10 on the account, one per evaluated address


def test_a_right_password_racing_wrong_ones_gives_its_reservation_back(user, settings):
    from portal2fa.twofactor.models import ThrottleEvent
    from portal2fa.twofactor.services.password import SignInRefused, password_authenticate

    settings.PORTAL2FA_PASSWORD_FAILURES_PER_ACCOUNT = 10

    def sign_in(password):
        def call():
            try:
                return password_authenticate(
                    None, identifier=user.email, password=password, at=T0, client_address="10.1.1.1"
                ).pk
            except SignInRefused as refusal:
                return str(refusal)

        return call

    from tests.conftest import PASSWORD

    results = run_together([sign_in(PASSWORD)] + [sign_in("wrong") for _ in range(5)])
    assert results[0] == user.pk
    assert ThrottleEvent.objects.count() == 10  # 5 failures x (account, address)


def test_user_search_has_its_trigram_index():
    """The migration created the index the typeahead relies on at a million users."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'user_search_trgm'")
        row = cursor.fetchone()
    assert row is not None and "gin_trgm_ops" in row[0]


@pytest.fixture
def admins(db):
    """The Administrator role (transactional tests flush the migration's row) and two admins."""
    from portal2fa.accounts.models import SecurityRole, User

    role, _ = SecurityRole.objects.get_or_create(
        name="Administrator", defaults={"type": "System", "grants_setup": True}
    )
    return [
        User.objects.create(email=f"admin{n}@example.com", full_name=f"Admin {n}", role=role)
        for n in (1, 2)
    ]


def test_reset_racing_code_checks_never_deadlocks(user, enroll, policy, admins):
    """An admin's reset at the same instant as the user's sign-in and regeneration: all finish."""
    from portal2fa.twofactor.services.backup_codes import backup_codes_regenerate
    from portal2fa.twofactor.services.enrollment import enrollment_reset

    for round_ in range(5):
        t = later(minutes=10 * round_)
        enrolled = enroll(user, at=t)
        token = challenge_issue(user=user, at=t)
        code = enrolled.code(t + timedelta(seconds=30))
        results = run_together(
            [
                partial(enrollment_reset, actor=admins[0], user=user, at=t),
                attempt(token, code, t),
                partial(backup_codes_regenerate, user=user, code=code, at=t),
            ]
        )  # run_together fails the test if any thread raised (a deadlock raises)
        assert results[0].authenticator_app  # the reset happened
        assert not Authenticator.objects.filter(user=user).exists()


def test_two_admins_cannot_deactivate_each_other_at_once(admins):
    from portal2fa.accounts.models import User
    from portal2fa.accounts.services import AccountError, user_update

    def deactivate(actor, target):
        def call():
            try:
                user_update(
                    actor=actor,
                    user=target,
                    email=target.email,
                    full_name=target.full_name,
                    role=target.role,
                    is_active=False,
                    at=T0,
                )
            except AccountError as error:
                return str(error)
            return "done"

        return call

    one, two = admins
    results = run_together([deactivate(one, two), deactivate(two, one)])
    assert sorted(results) == ["This is the last active administrator: keep at least one.", "done"]
    assert User.objects.filter(role__grants_setup=True, is_active=True).count() == 1
