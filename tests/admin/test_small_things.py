"""What an administrator saw that was not quite right: per-role method ticks of a method that is off
site-wide, a developer setting in a hint, raw values in audit details, a filter value echoed."""

import re
from http import HTTPStatus

from django.urls import reverse
from django.utils import timezone

from portal2fa.twofactor.models import Enforcement, TwoFactorSettings
from portal2fa.twofactor.services.settings import settings_update
from tests.views.helpers import text

from .helpers import body_rows

SETTINGS = reverse("twofactor:setup-settings")
AUDIT_LOG = reverse("twofactor:audit-log")


def test_a_method_off_site_wide_says_so_in_each_role_card(admin_client, policy, make_role):
    make_role("Field Staff")
    TwoFactorSettings.objects.filter(pk=1).update(sms_codes_allowed=False, email_codes_allowed=True)
    response = admin_client.get(SETTINGS)
    page = response.content.decode()
    read_out = re.sub(r"<[^>]+>", "", text(response))  # the labels as a screen reader says them
    assert "SMS code for Field Staff (off site-wide)" in read_out
    assert 'Email code<span class="visually-hidden"> for Field Staff</span></label>' in page  # on
    TwoFactorSettings.objects.filter(pk=1).update(sms_codes_allowed=True)
    page = admin_client.get(SETTINGS).content.decode()
    assert (
        'SMS code<span class="visually-hidden"> for Field Staff</span></label>' in page
    )  # no note


def test_the_settings_page_names_no_developer_setting(admin_client, policy):
    page = text(admin_client.get(SETTINGS))
    assert "PORTAL2FA_" not in page
    assert "text message to the user's phone number" in page


def test_audit_details_of_a_settings_change_use_the_pages_labels(admin_client, admin_user, policy):
    settings_update(
        actor=admin_user,
        changes={"enforcement": Enforcement.UNRECOGNIZED_DEVICES, "enrollment_required": False},
        at=timezone.now(),
    )
    detail = body_rows(admin_client.get(AUDIT_LOG))[0][5]
    assert "Enforce the second factor Every sign-in -> Unrecognized devices only" in detail
    assert "Authenticator Enrollment Required -> Optional" in detail
    assert "every_signin" not in detail and "unrecognized_devices" not in detail


def test_the_audit_log_does_not_repeat_an_unknown_filter_value(admin_client, policy):
    response = admin_client.get(AUDIT_LOG, {"action": "nonsense-from-a-link"})
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST)
    shown = re.sub(r"<[^>]*>", " ", text(response))  # what the page says (the CSV link aside)
    assert "nonsense-from-a-link" not in shown
    assert "Choose an action from the list." in shown
