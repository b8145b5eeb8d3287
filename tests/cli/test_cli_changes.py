"""`user set`, `role require-2fa`, and the installed console script as a script would call it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal2fa.accounts.models import RoleType, SecurityRole, User
from portal2fa.cli import main
from portal2fa.twofactor import crypto


@pytest.fixture
def staff(db):
    return SecurityRole.objects.create(name="Staff", type=RoleType.EMPLOYEE, requires_2fa=False)


@pytest.fixture
def bob(staff):
    return User.objects.create(email="bob@example.com", full_name="Bob Example", role=staff)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_user_set_changes_name_role_and_active_flag(capsys, bob, make_role):
    make_role("Field", type=RoleType.PARTNER, requires_2fa=True)
    code, out, err = run(
        capsys,
        "user",
        "set",
        "BOB@example.com",
        "--name",
        "Robert",
        "--role",
        "field",
        "--inactive",
    )
    assert (code, err) == (0, "")
    bob.refresh_from_db()
    assert (bob.full_name, bob.role.name, bob.is_active) == ("Robert", "Field", False)
    assert "is_active: True -> False" in out


@pytest.mark.parametrize(
    "argv,message",
    [
        (["user", "set", "nobody@example.com", "--name", "X"], "no user with email"),
        (["user", "set", "bob@example.com", "--role", "Nope"], "no Security Role named"),
        (["user", "set", "bob@example.com", "--new-email", "not-an-email"], "is not a valid email"),
    ],
)
def test_user_set_refusals_change_nothing(capsys, bob, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    bob.refresh_from_db()
    assert (bob.full_name, bob.email, bob.role.name) == ("Bob Example", "bob@example.com", "Staff")


def test_role_require_2fa_is_audited_and_reversible(capsys, staff):
    assert run(capsys, "role", "require-2fa", "staff", "true")[0] == 0
    staff.refresh_from_db()
    assert staff.requires_2fa is True
    assert run(capsys, "role", "require-2fa", "Staff", "off")[0] == 0
    staff.refresh_from_db()
    assert staff.requires_2fa is False
    code, _, err = run(capsys, "role", "require-2fa", "Staff", "maybe")
    assert code == 2 and "expected true or false" in err


def test_console_script_on_an_unmigrated_database_says_so(tmp_path):
    """The real `portal2fa` executable: one clear line and exit 2, not a traceback."""
    script = Path(sys.executable).with_name("portal2fa")
    env = {
        **os.environ,
        "PORTAL2FA_DATA_DIR": str(tmp_path),
        "PORTAL2FA_SECRET_KEY": "s" * 40,
        "PORTAL2FA_ENCRYPTION_KEYS": crypto.new_fernet_key(),
        "PORTAL2FA_HASH_KEY": "h" * 32,
        "DJANGO_SETTINGS_MODULE": "portal2fa.config.settings",
    }
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [script, "overview", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "portal2fa migrate" in result.stderr
    result = subprocess.run(
        [script, "migrate"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    result = subprocess.run(
        [script, "overview", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and '"enrollment_rate"' in result.stdout
