"""`role set|show|list --json`, `settings show --json` and `user extend`: a Security Role's whole
row and one user's due date from the command line, audited, refusals on one line (exit 2)."""

import json
from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from portal2fa.accounts.models import RoleType, SecurityRole, User
from portal2fa.audit.models import Action, AuditEvent
from portal2fa.cli import main
from portal2fa.twofactor.machinery.local_days import end_of_day
from portal2fa.twofactor.models import EnrollmentDeadline


@pytest.fixture
def finance(db):
    return SecurityRole.objects.create(name="Finance", type=RoleType.EMPLOYEE)


@pytest.fixture
def bob(finance):
    return User.objects.create(email="bob@example.com", full_name="Bob Example", role=finance)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_role_set_changes_the_whole_row_in_one_audited_change(capsys, bob, finance):
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        code, out, err = run(
            capsys,
            "role",
            "set",
            "finance",
            "--require",
            "true",
            "--within",
            "14",
            "--snooze-limit",
            "3",
            "--methods",
            "email",
            "--always",
            "true",
        )
    assert (code, err) == (0, "")
    assert "due:Finance: at the next sign-in -> within 14 days, remind me later at most 3" in out
    finance.refresh_from_db()
    assert (finance.requires_2fa, finance.due_rule, finance.grace_days, finance.snooze_limit) == (
        True,
        "within_days",
        14,
        3,
    )
    assert (finance.second_factor_methods, finance.always_second_factor) == (["email"], True)
    assert EnrollmentDeadline.objects.get(user=bob).due_at == now + timedelta(days=14)
    event = AuditEvent.objects.get(action=Action.SETTINGS_CHANGED)
    assert {"role:Finance", "due:Finance", "role-methods:Finance"} <= set(event.detail["changes"])
    code, out, _ = run(capsys, "role", "set", "finance", "--within", "14")
    assert (code, out) == (0, "Finance: unchanged.\n")


def test_role_show_and_list_as_json(capsys, finance):
    run(capsys, "role", "set", "Finance", "--by", "2027-06-30", "--snooze-limit", "2")
    code, out, _ = run(capsys, "role", "show", "Finance", "--json")
    shown = json.loads(out)
    assert code == 0
    assert shown["due"] == {
        "rule": "by_date",
        "date": "2027-06-30",
        "days": None,
        "snooze_limit": 2,
    }
    listed = json.loads(run(capsys, "role", "list", "--json")[1])["roles"]
    assert next(r for r in listed if r["name"] == "Finance") == shown
    settings = json.loads(run(capsys, "settings", "show", "--json")[1])
    assert next(r for r in settings["roles"] if r["name"] == "Finance") == shown
    assert settings["settings"]["enrollment"] == "required"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--within", "0"], "Enter a number of days from 1 to 365."),
        (["--by", "tomorrow"], "expected a date as YYYY-MM-DD"),
        (["--by", "2001-01-01"], "Choose a date from today on."),  # as on the Settings tab
        (["--snooze-limit", "99"], "at most 30 times"),
        (["--methods", "carrier-pigeon"], "methods are email, passkey, sms or none"),
    ],
)
def test_role_set_refusals_change_nothing(capsys, finance, argv, message):
    code, out, err = run(capsys, "role", "set", "Finance", "--require", "true", *argv)
    assert code == 2 and message in err and out == ""
    finance.refresh_from_db()
    assert (finance.requires_2fa, finance.due_rule) == (False, "next_signin")
    assert not AuditEvent.objects.exists()


def test_user_extend_moves_the_date_with_a_reason(capsys, bob, finance):
    run(capsys, "role", "set", "Finance", "--require", "true", "--within", "14")
    due = EnrollmentDeadline.objects.get(user=bob).due_at
    code, out, err = run(
        capsys, "user", "extend", "BOB@example.com", "--days", "10", "--reason", "on leave"
    )
    assert (code, err) == (0, "")
    assert EnrollmentDeadline.objects.get(user=bob).due_at == due + timedelta(days=10)
    assert "is now due" in out
    event = AuditEvent.objects.get(action=Action.DEADLINE_EXTENDED)
    assert (event.target, event.actor, event.detail["reason"]) == (bob, None, "on leave")
    code, _, _ = run(
        capsys, "user", "extend", "bob@example.com", "--until", "2099-01-31", "--reason", "x"
    )
    assert code == 0
    assert EnrollmentDeadline.objects.get(user=bob).due_at == end_of_day(date(2099, 1, 31))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nobody@example.com", "--days", "3", "--reason", "x"], "no user 'nobody@example.com'"),
        (["bob@example.com", "--days", "3", "--reason", " "], "Give a reason"),
        (["bob@example.com", "--days", "many", "--reason", "x"], "expected a whole number"),
        (["bob@example.com", "--until", "2000-01-01", "--reason", "x"], "after the current due"),
    ],
)
def test_user_extend_refusals(capsys, bob, finance, argv, message):
    run(capsys, "role", "set", "Finance", "--require", "true", "--within", "14")
    code, _, err = run(capsys, "user", "extend", *argv)
    assert code == 2 and message in err
    assert not AuditEvent.objects.filter(action=Action.DEADLINE_EXTENDED).exists()


def test_user_extend_needs_days_or_a_date(capsys, bob):
    code, _, err = run(capsys, "user", "extend", "bob@example.com", "--reason", "x")
    assert code == 2 and "one of the arguments --days --until is required" in err
