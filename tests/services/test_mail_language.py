"""Every mail to a user is written in that user's language: the adapter's user_language(user)
(the demo stores the user's choice), the site's LANGUAGE_CODE by default.

Two witnesses, both written while the mail is: the Content-Language header (the language active
when the subject and body were written) and, for the mails that greet the user, the greeting, which
a probe adapter writes with the active language in it. USE_I18N is turned on here (with it off,
Django has one language whatever is asked).
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import translation

from portal2fa.accounts.adapter import PortalAdapter
from portal2fa.twofactor.adapter import DefaultAdapter
from portal2fa.twofactor.machinery import keys, notices
from portal2fa.twofactor.models import EnrollmentDeadline, SignInChallenge
from portal2fa.twofactor.services.challenge import challenge_issue
from portal2fa.twofactor.services.email_codes import email_code_send
from portal2fa.twofactor.services.reminders import reminder_send, reminders_run

from ..languages import translation_on
from .helpers import T0, later

pytestmark = pytest.mark.django_db


class ProbeAdapter(PortalAdapter):
    """The demo's adapter, whose greeting names the language active while the mail is written."""

    def display_name(self, user) -> str:
        return f"{user.full_name} [{translation.get_language()}]"


@pytest.fixture(autouse=True)
def languages(settings):
    translation_on(settings)
    settings.LANGUAGE_CODE = "en"  # one of LANGUAGES, as Django expects
    settings.PORTAL2FA_ADAPTER = f"{__name__}.ProbeAdapter"


def speaks(user, language: str):
    user.language = language
    user.save(update_fields=["language"])
    return user


def written_in(message) -> str:
    return message.extra_headers["Content-Language"]


NOTICES = {
    "reset": lambda user: notices.send_reset_notice(user=user, at=T0),
    "code guessing": lambda user: notices.send_code_guessing_notice(user=user, at=T0, locked=True),
    "password": lambda user: notices.send_password_changed_notice(user=user, at=T0),
    "access pass": lambda user: notices.send_access_pass_notice(
        user=user, at=T0, expires_at=T0 + timedelta(hours=1)
    ),
}


def greeting_in(language: str, name: str) -> str:
    with translation.override(language):
        return translation.gettext("Hello %(name)s,") % {"name": name}


@pytest.mark.parametrize("notice", NOTICES)
def test_every_notice_is_written_in_the_users_language(notice, user):
    NOTICES[notice](speaks(user, "de"))
    (message,) = mail.outbox
    assert written_in(message) == "de"
    assert message.body.startswith(greeting_in("de", f"{user.full_name} [de]"))
    assert message.body.startswith("Hallo ")  # the German catalogue, not English
    assert translation.get_language() == "en"  # the sender's language is back


@pytest.mark.parametrize("notice", NOTICES)
def test_without_a_choice_a_notice_is_in_the_sites_language(notice, user, settings):
    settings.LANGUAGE_CODE = "ar"
    with translation.override("de"):  # whoever caused it (an administrator reading German)
        NOTICES[notice](user)
    (message,) = mail.outbox
    assert written_in(message) == "ar"
    assert message.body.startswith(greeting_in("ar", f"{user.full_name} [ar]"))


def test_a_code_by_email_is_written_in_the_users_language(user, enroll, set_policy):
    set_policy(email_codes_allowed=True)
    enroll(speaks(user, "de"), at=T0)
    token = challenge_issue(user=user, at=later(minutes=1))
    challenge = SignInChallenge.objects.get(token_digest=keys.token_digest(token))
    assert email_code_send(challenge=challenge, at=later(minutes=1)).ok
    (message,) = mail.outbox
    assert written_in(message) == "de"


def test_reminders_of_the_command_and_of_send_now_are_in_each_users_language(
    policy, make_user, make_role, admin_user
):
    finance = make_role("Finance", requires_2fa=True)
    german, site = speaks(make_user("de@example.com", role=finance), "de"), make_user(role=finance)
    for someone in (german, site):
        EnrollmentDeadline.objects.create(
            user=someone, starts_at=T0 - timedelta(days=30), due_at=T0 + timedelta(days=7)
        )
    assert reminders_run(now=T0).sent == 2  # what `portal2fa remind` runs
    by_address = {message.to[0]: message for message in mail.outbox}
    assert written_in(by_address["de@example.com"]) == "de"
    assert "[de]," in by_address["de@example.com"].body
    assert written_in(by_address[site.email]) == "en"
    mail.outbox.clear()
    reminder_send(actor=admin_user, user=german, at=T0 + timedelta(days=2))  # "Send a reminder now"
    (message,) = mail.outbox
    assert written_in(message) == "de" and "[de]," in message.body


def test_the_default_adapter_answers_the_sites_language(user, settings):
    settings.LANGUAGE_CODE = "fr"
    assert DefaultAdapter().user_language(user) == "fr"
    assert PortalAdapter().user_language(speaks(user, "")) == "fr"
    assert PortalAdapter().user_language(speaks(user, "de")) == "de"


def test_a_language_the_site_does_not_offer_falls_back_to_the_sites(user):
    notices.send_password_changed_notice(user=speaks(user, "fr"), at=T0)  # fr: not in LANGUAGES
    notices.send_password_changed_notice(user=speaks(user, "de-at"), at=T0)  # served by de
    assert [written_in(message) for message in mail.outbox] == ["en", "de"]
