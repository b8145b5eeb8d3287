"""`portal2fa enrollment reset`, `portal2fa overview` and `portal2fa export`, run in-process."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from portal2fa.accounts.models import RoleType
from portal2fa.audit.models import Action, AuditEvent
from portal2fa.cli import main
from portal2fa.twofactor.machinery.policy import current_policy
from portal2fa.twofactor.models import Authenticator, BackupCode
from portal2fa.twofactor.selectors.overview import overview_data

from .helpers import csv_text, leave_codes

WIDGETS = (
    "Enrollment Rate",
    "Status Breakdown",
    "Backup Codes Health",
    "Recent Enrollments",
    "Roles Without 2FA",
)


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def portal(policy, user, enroll, make_user, make_role):
    """Alice enrolled with 1 code left; Zoe with none; Nia not started; a Partner role without 2FA."""
    make_role("Partners", RoleType.PARTNER, requires_2fa=False)
    alice = enroll(user, at=timezone.now() - timedelta(days=2))
    leave_codes(alice, 1)
    leave_codes(enroll(make_user("zoe@example.com", name="Zoe Zero")), 0)
    make_user("nia@example.com", name="Nia NotStarted")
    return alice


def test_reset_with_yes(capsys, portal):
    authenticator = Authenticator.objects.get(user=portal.user)
    status, out, err = run(
        capsys, "enrollment", "reset", "ALICE@example.com", "--yes", "--reason", "lost phone"
    )
    assert status == 0, err
    assert "Two-factor enrollment for Alice Example <alice@example.com> has been reset." in out
    assert (
        "Removed: an authenticator app, 1 unused backup code, 0 passkeys or security keys, "
        "0 trusted browsers." in out
    )
    assert not Authenticator.objects.filter(user=portal.user).exists()
    assert not BackupCode.objects.filter(authenticator_id=authenticator.pk).exists()
    event = AuditEvent.objects.get(action=Action.ENROLLMENT_RESET)
    assert event.target == portal.user and event.actor is None
    assert event.detail["reason"] == "lost phone"


def test_a_mail_server_that_is_down_is_one_line_and_the_reset_is_done(
    capsys, portal, settings, django_capture_on_commit_callbacks
):
    """Walkthrough finding: with no SMTP server the CLI printed a whole traceback."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    with django_capture_on_commit_callbacks(execute=True):  # the notice goes once committed
        status, out, _ = run(capsys, "enrollment", "reset", portal.user.email, "--yes")
    assert status == 0 and "Removed:" in out
    assert not Authenticator.objects.filter(user=portal.user).exists()
    logged = capsys.readouterr().err  # the notice, sent once the reset committed, failed
    assert "could not send the reset notice to user id" in logged and "refused" in logged
    assert "Traceback" not in logged


def test_reset_without_yes_changes_nothing(capsys, portal):
    status, out, err = run(capsys, "enrollment", "reset", "alice@example.com")
    assert status == 2
    assert "--yes" in err
    assert Authenticator.objects.filter(user=portal.user, confirmed_at__isnull=False).exists()
    assert not AuditEvent.objects.filter(action=Action.ENROLLMENT_RESET).exists()


def test_reset_of_an_unknown_email(capsys, portal):
    status, _, err = run(capsys, "enrollment", "reset", "nobody@example.com", "--yes")
    assert status == 2
    assert "no user with email" in err
    assert Authenticator.objects.count() == 2


def test_reset_of_a_not_started_user(capsys, portal):
    status, _, err = run(capsys, "enrollment", "reset", "nia@example.com", "--yes")
    assert status == 2
    assert "nothing to reset" in err
    assert not AuditEvent.objects.filter(action=Action.ENROLLMENT_RESET).exists()


def test_overview_json(capsys, portal):
    status, out, _ = run(capsys, "overview", "--json")
    assert status == 0
    data = json.loads(out)
    assert set(data) == {
        "enrollment_rate",
        "status_breakdown",
        "backup_codes_health",
        "recent_enrollments",
        "roles_without_2fa",
        "locked_by_invalid_codes",  # the code budget's locked accounts
        "enrollment_methods",  # the dashboard's own widgets, after the five
        "role_adoption",
        "enrollment_trend",
        "trusted_signins",
        "dashboard_counted_at",  # null: counted on this request (PORTAL2FA_DASHBOARD_SECONDS)
        "overdue_and_due_soon",
        "user_lists",  # where each count leads: the filtered 2FA user list
    }
    assert set(data["enrollment_rate"]) == {"enrolled", "active", "percent"}
    assert set(data["status_breakdown"]) == {"enrolled", "pending", "not_started"}
    assert {"healthy", "no_codes", "low_codes"} <= set(data["backup_codes_health"])
    assert data == overview_data(current_policy(), now=timezone.now())
    assert data["enrollment_rate"] == {"enrolled": 2, "active": 3, "percent": 66.7}
    assert data["status_breakdown"] == {"enrolled": 2, "pending": 0, "not_started": 1}
    assert [r["email"] for r in data["backup_codes_health"]["no_codes"]] == ["zoe@example.com"]
    assert data["backup_codes_health"]["low_codes"] == [
        {"name": "Alice Example", "email": "alice@example.com", "remaining": 1}
    ]


def test_overview_text(capsys, portal):
    status, out, _ = run(capsys, "overview")
    assert status == 0
    for widget in WIDGETS:
        assert widget in out
    assert "2 of 3 active users (66.7%)" in out
    assert "Zoe Zero <zoe@example.com>" in out
    assert "Partners (Partner)" in out


def test_overview_text_shows_times_in_the_sites_time_zone(capsys, portal, settings):
    """Walkthrough finding: the text printed UTC while the pages show TIME_ZONE."""
    settings.TIME_ZONE = "Asia/Kolkata"  # UTC+05:30 all year: no daylight-saving edge
    enrolled_at = Authenticator.objects.get(user=portal.user).confirmed_at
    local = timezone.localtime(enrolled_at, timezone.get_default_timezone())
    status, out, _ = run(capsys, "overview")
    assert f"  {local:%Y-%m-%d %H:%M} IST  Alice Example <alice@example.com>" in out


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("no-codes", [["Name", "Email"], ["Zoe Zero", "zoe@example.com"]]),
        (
            "low-codes",
            [["Name", "Email", "Remaining"], ["Alice Example", "alice@example.com", "1"]],
        ),
        (
            "roles-without-2fa",
            [["Role Name", "Type"], ["Administrator", "System"], ["Partners", "Partner"]],
        ),
    ],
)
def test_export_lists(capsys, portal, name, expected):
    status, out, _ = run(capsys, "export", name, "--csv")
    assert status == 0
    assert csv_text(out) == expected


def test_export_recent(capsys, portal):
    status, out, _ = run(capsys, "export", "recent", "--csv")
    assert status == 0
    rows = csv_text(out)
    assert rows[0] == ["Name", "Email", "Enrolled Date"]
    assert [r[1] for r in rows[1:]] == ["zoe@example.com", "alice@example.com"]


def test_export_audit(capsys, portal):
    run(capsys, "enrollment", "reset", "zoe@example.com", "--yes", "--reason", "new phone")
    status, out, _ = run(capsys, "export", "audit", "--csv")
    assert status == 0
    rows = csv_text(out)
    assert rows[0] == ["Time", "Action", "Actor", "Target", "Client address", "Detail"]
    reset = next(r for r in rows[1:] if r[1] == "Enrollment reset")
    assert reset[3] == "zoe@example.com" and "reason: new phone" in reset[5]
    assert portal.secret not in out


@pytest.mark.parametrize("argv", [("export", "bogus", "--csv"), ("export", "no-codes")])
def test_export_refusals(capsys, portal, argv):
    status, out, _ = run(capsys, *argv)
    assert status == 2
    assert out == ""
