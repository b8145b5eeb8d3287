"""System checks for the throttle and code budget settings."""

import pytest

from portal2fa.twofactor.checks import names_resolve, throttles_configured


def test_defaults_pass(settings):
    assert throttles_configured(None) == []


@pytest.mark.parametrize("value", [0, -1, "5", None, True, 2.5])
def test_a_lock_that_is_not_a_positive_whole_number_is_refused(settings, value):
    settings.PORTAL2FA_CODE_FAILURES_LOCK = value
    assert [e.id for e in throttles_configured(None)] == ["portal2fa.E006"]


def test_a_cap_below_the_first_delay_is_refused(settings):
    settings.PORTAL2FA_CODE_DELAY_SECONDS = 600
    settings.PORTAL2FA_CODE_DELAY_MAX_SECONDS = 60
    assert [e.id for e in throttles_configured(None)] == ["portal2fa.E007"]


# Walkthrough finding: these passed `manage.py check`, then every page that read them was a 500.


@pytest.mark.parametrize("value", ["30", -1, None, 1.5])
def test_a_session_check_interval_that_is_not_a_whole_number_is_refused(settings, value):
    settings.PORTAL2FA_SESSION_CHECK_SECONDS = value
    assert [e.id for e in throttles_configured(None)] == ["portal2fa.E010"]


def test_zero_is_a_valid_session_check_interval(settings):
    settings.PORTAL2FA_SESSION_CHECK_SECONDS = 0
    assert throttles_configured(None) == []


@pytest.mark.parametrize("name", ["PORTAL2FA_ADAPTER", "PORTAL2FA_SMS_PROVIDER"])
@pytest.mark.parametrize("value", ["nope.Adapter", "portal2fa.twofactor.adapter.Nothing", 3])
def test_a_class_that_cannot_be_imported_is_refused(settings, name, value):
    setattr(settings, name, value)
    assert [e.id for e in names_resolve(None)] == ["portal2fa.E008"]


@pytest.mark.parametrize("value", ["nope:nothing", "nothing"])
def test_a_setup_home_that_resolves_to_nothing_is_refused(settings, value):
    settings.PORTAL2FA_SETUP_HOME = value
    assert [e.id for e in names_resolve(None)] == ["portal2fa.E009"]


def test_the_defaults_and_a_path_resolve(settings):
    assert names_resolve(None) == []
    settings.PORTAL2FA_SETUP_HOME = "/admin/"
    assert names_resolve(None) == []


def test_manage_py_portal2fa_refuses_to_run_against_a_refused_configuration(settings, capsys):
    from django.core.management import CommandError, call_command

    settings.PORTAL2FA_HASH_KEY = "short"
    with pytest.raises(CommandError):
        call_command("portal2fa", "overview")
    assert "PORTAL2FA_HASH_KEY is missing or shorter than 16 characters." in capsys.readouterr().err


def test_saving_the_session_on_every_request_is_warned_of(settings):
    from portal2fa.twofactor.checks import sessions_saved_when_changed

    assert sessions_saved_when_changed(None) == []
    settings.SESSION_SAVE_EVERY_REQUEST = True
    assert [w.id for w in sessions_saved_when_changed(None)] == ["portal2fa.W001"]
