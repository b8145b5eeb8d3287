"""`manage.py portal2fa keys generate`: every key a new host needs, as lines for its environment,
printed even before any key is set (when the other commands refuse to run)."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from portal2fa.twofactor.checks import keys_configured
from portal2fa.twofactor.core import crypto


def test_generate_prints_both_keys_as_environment_lines_even_without_keys(settings, capsys):
    settings.PORTAL2FA_ENCRYPTION_KEYS = [""]  # the snippet with the variable not yet set
    settings.PORTAL2FA_HASH_KEY = ""
    call_command("portal2fa", "keys", "generate")
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert set(lines) == {"PORTAL2FA_ENCRYPTION_KEYS", "PORTAL2FA_HASH_KEY"}
    settings.PORTAL2FA_ENCRYPTION_KEYS = lines["PORTAL2FA_ENCRYPTION_KEYS"].split(",")
    settings.PORTAL2FA_HASH_KEY = lines["PORTAL2FA_HASH_KEY"]
    assert keys_configured(None) == []
    token = crypto.encrypt("secret", keys=settings.PORTAL2FA_ENCRYPTION_KEYS)
    assert crypto.decrypt(token, keys=settings.PORTAL2FA_ENCRYPTION_KEYS) == "secret"


def test_two_runs_give_different_keys(capsys):
    call_command("portal2fa", "keys", "generate")
    first = capsys.readouterr().out.splitlines()
    call_command("portal2fa", "keys", "generate")
    second = capsys.readouterr().out.splitlines()
    assert first[0] != second[0] and first[1] != second[1]


@pytest.mark.parametrize("unset", [[""], []])
def test_unset_keys_are_refused_with_the_command_that_makes_them(settings, unset):
    settings.PORTAL2FA_ENCRYPTION_KEYS = unset
    settings.PORTAL2FA_HASH_KEY = ""
    errors = keys_configured(None)
    assert [e.id for e in errors] == ["portal2fa.E002", "portal2fa.E003"]
    assert "not set (is it in the environment?)" in errors[0].msg
    assert all("portal2fa keys generate" in e.hint for e in errors)
    with pytest.raises(SystemCheckError, match="portal2fa keys generate"):
        call_command("check")
