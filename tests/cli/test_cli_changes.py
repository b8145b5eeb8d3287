"""`user set`, `role require-2fa`, and the installed console script as a script would call it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal2fa.accounts.models import RoleType, SecurityRole, User
from portal2fa.cli import main
from portal2fa.twofactor.core import crypto


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


def test_keys_rotate_without_the_old_key_is_one_line(capsys, enroll, user, settings):
    enroll(user)
    settings.PORTAL2FA_ENCRYPTION_KEYS = [crypto.new_fernet_key()]  # the old key was dropped
    code, out, err = run(capsys, "keys", "rotate")
    assert code == 2
    assert err.strip().splitlines() == [err.strip()] and "cannot be decrypted" in err


def test_keys_rotate_re_encrypts_under_the_new_key(capsys, enroll, user, settings):
    from portal2fa.twofactor.machinery import keys
    from portal2fa.twofactor.models import Authenticator

    enrolled = enroll(user)
    new = crypto.new_fernet_key()
    settings.PORTAL2FA_ENCRYPTION_KEYS = [new, *settings.PORTAL2FA_ENCRYPTION_KEYS]
    assert run(capsys, "keys", "rotate")[0] == 0
    settings.PORTAL2FA_ENCRYPTION_KEYS = [new]  # the old key can now go
    stored = Authenticator.objects.get(user=user).encrypted_secret
    assert keys.decrypt_secret(stored) == enrolled.secret


def test_blank_issuer_name_means_the_site_name(capsys, db):
    from portal2fa.twofactor.machinery.policy import current_policy, issuer

    assert run(capsys, "settings", "set", "issuer-name", "   ")[0] == 0
    assert current_policy().issuer_name == ""
    assert issuer(current_policy()) == "Portal"


def test_user_set_password_from_stdin_lets_the_user_sign_in(capsys, bob, monkeypatch, client):
    import io

    from django.urls import reverse

    monkeypatch.setattr(sys, "stdin", io.StringIO("a new long passphrase 42\n"))
    code, out, err = run(capsys, "user", "set", "bob@example.com", "--password-stdin")
    assert (code, err) == (0, "")
    response = client.post(
        reverse("twofactor:signin"),
        {"email": "bob@example.com", "password": "a new long passphrase 42"},
    )
    assert response.status_code == 302  # 2FA is off here: signed in
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    code, out, err = run(capsys, "user", "set", "bob@example.com", "--password-stdin")
    assert code == 2 and "too short" in err


def test_a_refused_password_changes_nothing_else(capsys, bob, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    code, _, err = run(
        capsys, "user", "set", "bob@example.com", "--name", "Robert", "--password-stdin"
    )
    assert code == 2 and "too short" in err
    bob.refresh_from_db()
    assert bob.full_name == "Bob Example"


def test_blank_issuer_name_is_not_a_change(capsys, db):
    from portal2fa.audit.models import AuditEvent

    run(capsys, "settings", "set", "issuer-name", "   ")
    assert AuditEvent.objects.count() == 0
    assert "was already" in run(capsys, "settings", "set", "issuer-name", " ")[1]


def test_migrate_creates_the_data_folder(tmp_path):
    script = Path(sys.executable).with_name("portal2fa")
    data = tmp_path / "not" / "yet"
    env = {
        **os.environ,
        "PORTAL2FA_DATA_DIR": str(data),
        "PORTAL2FA_SECRET_KEY": "s" * 40,
        "PORTAL2FA_ENCRYPTION_KEYS": crypto.new_fernet_key(),
        "PORTAL2FA_HASH_KEY": "h" * 32,
        "DJANGO_SETTINGS_MODULE": "portal2fa.config.settings",
    }
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [script, "migrate"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert (data / "portal2fa.sqlite3").exists()
