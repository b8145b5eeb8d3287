"""`portal2fa` command line, in-process: roles, users and 2FA settings; bad input changes nothing."""

import io
import sys

import pytest

from portal2fa.accounts.models import RoleType, SecurityRole, User
from portal2fa.audit.models import Action, AuditEvent
from portal2fa.cli import main
from portal2fa.twofactor.machinery.policy import current_policy
from portal2fa.twofactor.models import TwoFactorSettings
from tests.conftest import PASSWORD

USER_ERROR = 2


def _run(capsys, *argv, stdin=None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _snapshot():
    """Everything a refused command must leave as it was."""
    current_policy()
    return {
        "roles": list(SecurityRole.objects.values_list("name", "type", "requires_2fa")),
        "users": list(User.objects.values_list("email", "full_name", "role__name", "is_active")),
        "settings": list(TwoFactorSettings.objects.values()),
        "audit": AuditEvent.objects.count(),
    }


@pytest.fixture
def staff(db):
    return SecurityRole.objects.create(name="Staff", type=RoleType.EMPLOYEE, requires_2fa=True)


@pytest.fixture
def bob(staff):
    return User.objects.create(email="bob@example.com", full_name="Bob Example", role=staff)


# --- success -----------------------------------------------------------------------------------


def test_role_add_and_list(db, capsys):
    code, out, err = _run(capsys, "role", "add", "Engineers", "--type", "Employee", "--require-2fa")
    assert (code, err) == (0, "")
    assert "Created role Engineers (Employee) requiring 2FA." in out
    role = SecurityRole.objects.get(name="Engineers")
    assert role.type == RoleType.EMPLOYEE and role.requires_2fa
    assert AuditEvent.objects.filter(action=Action.ROLE_CHANGED).count() == 1

    assert _run(capsys, "role", "add", "Shoppers", "--type", "Customer")[0] == 0
    assert not SecurityRole.objects.get(name="Shoppers").requires_2fa

    code, out, err = _run(capsys, "role", "list")
    assert (code, err) == (0, "")
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:]}
    assert lines["Engineers"] == ["Employee", "required"]
    assert lines["Shoppers"] == ["Customer", "not", "required"]
    assert lines["Administrator"][0] == "System"


def test_user_add_with_password_from_stdin_and_list(staff, capsys, monkeypatch):
    code, out, err = _run(
        capsys,
        *("user", "add", "Carol@Example.com", "--name", "Carol Example", "--role", "staff"),
        "--password-stdin",
        stdin=PASSWORD + "\n",
        monkeypatch=monkeypatch,
    )
    assert (code, err) == (0, "")
    assert "Created user Carol@example.com (Staff)." in out
    carol = User.objects.get(email__iexact="carol@example.com")
    assert carol.full_name == "Carol Example" and carol.role == staff and carol.is_active
    assert carol.check_password(PASSWORD)

    code, out, err = _run(capsys, "user", "list")
    assert (code, err) == (0, "")
    row = next(line for line in out.splitlines() if "Carol@example.com" in line)
    assert "Carol Example" in row and "Staff" in row and row.rstrip().endswith("Not Started")


def test_user_add_without_password_cannot_sign_in(staff, capsys):
    code, _, err = _run(
        capsys, "user", "add", "dan@example.com", "--name", "Dan", "--role", "Staff"
    )
    assert (code, err) == (0, "")
    assert not User.objects.get(email="dan@example.com").has_usable_password()


def test_settings_show_and_set(db, capsys):
    code, out, err = _run(capsys, "settings", "show")
    assert (code, err) == (0, "")
    shown = dict(line.split(None, 1) for line in out.splitlines())
    assert shown["enabled"] == "false"
    assert shown["enrollment"] == "required"
    assert shown["max-invalid-attempts"] == "5"
    assert shown["clock-skew-steps"] == "3"

    for key, value in [
        ("enabled", "true"),
        ("max-invalid-attempts", "3"),
        ("enrollment", "optional"),
        ("clock-skew-steps", "3"),  # the default: reported as unchanged
    ]:
        code, out, err = _run(capsys, "settings", "set", key, value)
        assert (code, err) == (0, ""), key
    assert "clock-skew-steps was already 3." in out
    policy = current_policy()
    assert policy.enabled and not policy.enrollment_required
    assert policy.max_invalid_attempts == 3 and policy.clock_skew_steps == 3
    assert AuditEvent.objects.filter(action=Action.SETTINGS_CHANGED).count() == 3

    shown = dict(line.split(None, 1) for line in _run(capsys, "settings", "show")[1].splitlines())
    assert shown["enabled"] == "true"
    assert shown["enrollment"] == "optional"
    assert shown["max-invalid-attempts"] == "3"


# --- refused: exit 2, one line on stderr, nothing changed --------------------------------------


@pytest.mark.parametrize(
    "argv,fragment",
    [
        (("user", "add", "x@example.com", "--name", "X", "--role", "Nope"), "no Security Role"),
        (
            ("user", "add", "bob@example.com", "--name", "Bob 2", "--role", "Staff"),
            "already exists",
        ),
        (
            ("user", "add", "BOB@example.com", "--name", "Bob 2", "--role", "Staff"),
            "already exists",
        ),
        (("user", "add", "not-an-email", "--name", "X", "--role", "Staff"), "not a valid email"),
        (("user", "add", "x@example.com", "--name", "\x1b[31m", "--role", "Staff"), "printable"),
        (("role", "add", "Staff", "--type", "Partner"), "already exists"),
        (("role", "add", "staff", "--type", "Partner"), "already exists"),
        (("role", "add", " ", "--type", "Partner"), "1 to 100"),
        (("settings", "set", "max-invalid-attempts", "0"), "max-invalid-attempts"),
        (("settings", "set", "max-invalid-attempts", "11"), "max-invalid-attempts"),
        (("settings", "set", "max-invalid-attempts", "three"), "whole number"),
        (("settings", "set", "clock-skew-steps", "6"), "clock-skew-steps"),
        (("settings", "set", "enabled", "maybe"), "true or false"),
        (("settings", "set", "enrollment", "sometimes"), "required"),
        (("settings", "set", "low-codes-threshold", "10"), "lower than"),
        (("settings", "set", "issuer-name", "a:b"), "colon"),
        (("settings", "set", "enforcement", "sometimes"), "unrecognized-devices"),
        (("settings", "set", "trust-days", "91"), "trust-days"),
        (("settings", "set", "trust-days", "0"), "trust-days"),
    ],
)
def test_refused_commands_change_nothing(bob, capsys, argv, fragment):
    before = _snapshot()
    code, out, err = _run(capsys, *argv)
    assert code == USER_ERROR
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith("portal2fa: ") and fragment in err
    assert _snapshot() == before


@pytest.mark.parametrize("stdin,fragment", [("", "no password"), ("short\n", "too short")])
def test_bad_password_on_stdin_is_refused(staff, capsys, monkeypatch, stdin, fragment):
    before = _snapshot()
    code, _, err = _run(
        capsys,
        *("user", "add", "eve@example.com", "--name", "Eve", "--role", "Staff", "--password-stdin"),
        stdin=stdin,
        monkeypatch=monkeypatch,
    )
    assert code == USER_ERROR
    assert len(err.splitlines()) == 1 and fragment in err, err
    assert _snapshot() == before


@pytest.mark.parametrize(
    "argv",
    [
        ("role", "add", "Contractors", "--type", "Freelancer"),
        ("role", "add", "Contractors"),
        ("settings", "set", "colour", "blue"),
        ("frobnicate",),
        ("user",),
        (),
    ],
)
def test_usage_errors_exit_2_with_an_error_line(bob, capsys, argv):
    before = _snapshot()
    code, out, err = _run(capsys, *argv)
    assert code == USER_ERROR
    assert err.splitlines()[-1].startswith("portal2fa") and "error:" in err.splitlines()[-1]
    assert _snapshot() == before


def test_settings_show_and_set_the_methods(db, capsys):
    shown = dict(line.split(None, 1) for line in _run(capsys, "settings", "show")[1].splitlines())
    assert (shown["email-codes"], shown["passkeys"], shown["sms-codes"]) == ("false",) * 3
    assert "Administrator" not in shown["roles-allowing-sms"]
    assert "Administrator" not in shown["roles-allowing-email"]
    assert _run(capsys, "settings", "set", "email-codes", "true")[0] == 0
    assert current_policy().email_codes_allowed
    event = AuditEvent.objects.get(action=Action.SETTINGS_CHANGED)
    assert event.detail["changes"] == {"email_codes_allowed": [False, True]}


def test_settings_show_and_set_the_enforcement(db, capsys):
    shown = dict(line.split(None, 1) for line in _run(capsys, "settings", "show")[1].splitlines())
    assert (shown["enforcement"], shown["trust-days"]) == ("every-signin", "30")
    assert _run(capsys, "settings", "set", "enforcement", "Unrecognized-Devices")[0] == 0
    assert _run(capsys, "settings", "set", "trust-days", "7")[0] == 0
    policy = current_policy()
    assert (policy.enforcement, policy.trust_days) == ("unrecognized_devices", 7)
    changes = [
        e.detail["changes"] for e in AuditEvent.objects.filter(action=Action.SETTINGS_CHANGED)
    ]
    assert {"enforcement": ["every_signin", "unrecognized_devices"]} in changes
    assert {"trust_days": [30, 7]} in changes
