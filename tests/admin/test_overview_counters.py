"""The Overview's counters (twofactor/machinery/counters.py) follow every change that moves them, and
`portal2fa overview --verify` finds drift that bypassed them (`--fix` repairs it)."""

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from portal2fa.accounts.models import User
from portal2fa.cli import main
from portal2fa.twofactor.machinery import counters
from portal2fa.twofactor.machinery.policy import current_policy
from portal2fa.twofactor.models import OverviewCounter
from portal2fa.twofactor.selectors.overview import Overview
from portal2fa.twofactor.services.backup_codes import backup_codes_regenerate
from portal2fa.twofactor.services.enrollment import enrollment_begin, enrollment_reset

from .helpers import leave_codes


def kept() -> dict[str, int]:
    return {name: n for name, n in counters.totals().items() if n}


def assert_no_drift():
    assert counters.drift() == {}


def test_counters_follow_every_change(policy, make_user, enroll, admin_user):
    assert_no_drift()
    alice = make_user("alice@example.com")
    bob = make_user("bob@example.com")
    assert kept() == {"active": 3}
    enrollment_begin(user=bob, at=timezone.now())  # pending
    assert kept() == {"active": 3, "pending": 1}
    a = enroll(alice)  # enrolled with 10 codes
    assert kept() == {"active": 3, "pending": 1, "enrolled": 1, "codes:10": 1, "method:totp": 1}
    leave_codes(a, 2)  # backup-code use
    assert kept() == {"active": 3, "pending": 1, "enrolled": 1, "codes:2": 1, "method:totp": 1}
    now = timezone.now()
    result = backup_codes_regenerate(user=alice, code=a.code(now), at=now)  # regeneration
    assert result.ok
    assert kept() == {"active": 3, "pending": 1, "enrolled": 1, "codes:10": 1, "method:totp": 1}
    alice.is_active = False  # deactivation: the user and the authenticator leave every count
    alice.save()
    assert kept() == {"active": 2, "pending": 1}
    alice.is_active = True
    alice.save(update_fields=["is_active"])
    assert kept() == {"active": 3, "pending": 1, "enrolled": 1, "codes:10": 1, "method:totp": 1}
    enrollment_reset(actor=admin_user, user=alice, at=timezone.now(), reason="lost phone")
    assert kept() == {"active": 3, "pending": 1}
    make_user("gone@example.com", active=False)  # created inactive: counts nowhere
    assert kept() == {"active": 3, "pending": 1}
    bob.delete()  # the user's deletion cascades to the authenticator
    assert kept() == {"active": 2}
    assert_no_drift()


def test_low_codes_count_follows_the_threshold_without_a_recount(
    policy, make_user, enroll, django_assert_num_queries
):
    for n, left in enumerate([0, 1, 2, 3, 5]):
        leave_codes(enroll(make_user(f"u{n}@example.com")), left)
    for threshold, low in [(1, 1), (3, 3), (5, 4)]:
        policy.low_codes_threshold = threshold
        policy.save()
        overview = Overview(current_policy(), now=timezone.now())
        with django_assert_num_queries(1):  # one read of the counter rows, nothing scanned
            assert (overview.no_codes_count, overview.low_codes_count) == (1, low)
        assert overview.low_codes_count == overview.low_codes().count()
        assert overview.no_codes_count == overview.no_codes().count()


def run(capsys, *argv):
    status = main(list(argv))
    out, _ = capsys.readouterr()
    return status, out


def test_verify_finds_injected_drift_and_fix_repairs_it(policy, make_user, enroll, capsys):
    enroll(make_user("alice@example.com"))
    bob = make_user("bob@example.com")
    assert run(capsys, "overview", "--verify") == (0, "Overview counters verified: no drift.\n")
    # Drift: a queryset update bypasses the signals; a lost counter row.
    User.objects.filter(pk=bob.pk).update(is_active=False)
    OverviewCounter.objects.filter(name="codes:10").delete()
    status, out = run(capsys, "overview", "--verify")
    assert status == 1
    assert "active" in out and "counter 2  recount 1  (-1)" in out
    assert "codes:10" in out and "counter 0  recount 1  (+1)" in out
    assert "2 counter(s) drifted" in out
    status, out = run(capsys, "overview", "--verify", "--fix")
    assert status == 0 and "Rewrote the counters" in out
    assert run(capsys, "overview", "--verify")[0] == 0
    assert Overview(current_policy(), now=timezone.now()).counts.active == 1


def test_verify_through_manage_py(policy, make_user, capsys):
    make_user("alice@example.com")
    OverviewCounter.objects.update(value=7)
    with pytest.raises(CommandError) as exit_:
        call_command("portal2fa", "overview", "--verify")
    assert exit_.value.returncode == 1
    assert "drift  active" in capsys.readouterr().out


def test_fix_needs_verify(policy, capsys):
    assert main(["overview", "--fix"]) != 0


def test_counters_are_sharded_and_summed(policy, make_user, settings):
    settings.PORTAL2FA_COUNTER_SHARDS = 4
    for n in range(40):
        make_user(f"s{n}@example.com")
    shards = set(OverviewCounter.objects.filter(name="active").values_list("shard", flat=True))
    assert len(shards) > 1 and shards <= {0, 1, 2, 3}
    assert counters.totals()["active"] == 40
    assert_no_drift()
