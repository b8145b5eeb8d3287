"""System checks for the throttle and code budget settings (issue 8)."""

import pytest

from portal2fa.twofactor.checks import throttles_configured


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
