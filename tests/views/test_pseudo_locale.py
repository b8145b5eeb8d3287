"""Every page state and every e-mail, rendered in the pseudo-locale, shows no English.

The pseudo-locale en-xa (tools/pseudo_locale.py, `make messages`) turns every translated text into
accented, bracketed text; a run of two or more plain English words that is left on a page (its
title, aria-labels, placeholders and button values too) or in an e-mail is a text nobody marked for
translation. Data stays as it is: names, addresses, role names, codes, the languages' own names.
"""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.conf import settings as django_settings
from django.conf.locale import LANG_INFO
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal2fa.accounts.models import SecurityRole, User
from portal2fa.twofactor.machinery import keys, notices
from portal2fa.twofactor.models import (
    EnrollmentDeadline,
    SignInChallenge,
    TwoFactorSettings,
    WebAuthnCredential,
)
from portal2fa.twofactor.services.challenge import challenge_issue
from portal2fa.twofactor.services.email_codes import email_code_send
from portal2fa.twofactor.services.reminders import reminder_send
from tests.pseudo_text import PSEUDO, english_runs, page_english

from .helpers import current_code, manual_key, sign_in, wrong_code

pytestmark = pytest.mark.django_db

SETUP_PAGES = [
    "twofactor:setup-settings",
    "twofactor:setup-overview",
    "twofactor:setup-reset",
    "twofactor:setup-users",
    "twofactor:audit-log",
    "portal2fa_api:setup-tokens",
    "portal2fa_api:setup-webhooks",
    "accounts:home",
    "accounts:setup",
    "accounts:setup-users",
    "accounts:setup-user-new",
    "accounts:setup-roles",
    "accounts:setup-role-new",
]


def in_pseudo(client: Client) -> Client:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = PSEUDO
    return client


def data() -> tuple[str, ...]:
    """This database's data and the languages' own names: shown as they are in every language."""
    users = User.objects.values_list("full_name", "email")
    names = [value for pair in users for value in pair]
    roles = list(SecurityRole.objects.values_list("name", flat=True))
    languages = [name for code, name in django_settings.LANGUAGES if code != PSEUDO]
    languages += [
        LANG_INFO[code]["name_local"] for code, _ in django_settings.LANGUAGES if code in LANG_INFO
    ]
    return (*names, *roles, *languages)


def english_on(pages: dict[str, object]) -> dict[str, list[str]]:
    """{page: its English runs} for the pages that show any."""
    found = {}
    for name, response in pages.items():
        assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, name
        runs = page_english(response.content.decode(), data=data())
        if runs:
            found[name] = runs
    return found


@pytest.fixture
def pseudo(client):
    return in_pseudo(client)


@pytest.fixture
def email_and_passkeys(policy):
    TwoFactorSettings.objects.filter(pk=1).update(
        email_codes_allowed=True, passkeys_allowed=True, reset_needs_access_pass=True
    )


def test_the_pseudo_locale_is_active_and_bracketed(pseudo):
    response = pseudo.get(reverse("twofactor:signin"))
    assert response["Content-Language"] == PSEUDO
    assert "[Šîĝñ îñ" in response.content.decode()


def test_accept_language_picks_it_too(client):
    response = client.get(reverse("twofactor:signin"), HTTP_ACCEPT_LANGUAGE=PSEUDO)
    assert response["Content-Language"] == PSEUDO
    assert english_on({"sign-in": response}) == {}


def test_the_check_finds_english_that_was_not_translated():
    page = "<title>[Šîĝñ ··] · Portal</title><p>Hello there <b>[Ŵöŕļð ··]</b> Sign in</p>"
    assert page_english(page) == ["Hello there", "Sign in"]
    assert page_english('<input type="submit" value="Send it">') == ["Send it"]
    assert page_english('<a aria-label="Go home" href="/">[Ĥöɱé ··]</a>') == ["Go home"]
    assert page_english("<p>Ada Admin, ada@example.com</p>", data=("Ada Admin",)) == []


def test_sign_in_and_every_second_factor_step(pseudo, enrolled, email_and_passkeys):
    user = enrolled.user
    pages = {"sign-in": pseudo.get(reverse("twofactor:signin"))}
    pages["wrong password"] = sign_in(pseudo, user.email, "not the password")
    sign_in(pseudo, user.email)
    verify = reverse("twofactor:signin-verify")
    pages["verify: app"] = pseudo.get(verify)
    pages["verify: wrong code"] = pseudo.post(verify, {"code": wrong_code(enrolled.secret)})
    pages["verify: backup"] = pseudo.get(verify + "?method=backup")
    pages["verify: bad backup"] = pseudo.post(verify + "?method=backup", {"code": "ABCDE-FGHJK"})
    pages["pass"] = pseudo.get(reverse("twofactor:signin-pass"))
    pages["pass: wrong"] = pseudo.post(reverse("twofactor:signin-pass"), {"code": "nope"})
    email = reverse("twofactor:signin-verify-email")
    pages["email code: send"] = pseudo.post(email)
    pages["email code"] = pseudo.get(email)
    pages["email code: wrong"] = pseudo.post(email, {"code": "000000"})
    pages["sms"] = pseudo.get(reverse("twofactor:signin-verify-sms"))
    for _ in range(5):
        pseudo.post(verify, {"code": wrong_code(enrolled.secret)})
    pages["verify: locked"] = pseudo.get(verify)
    assert english_on(pages) == {}


def test_the_passkey_choice(pseudo, enrolled, email_and_passkeys):
    WebAuthnCredential.objects.create(
        user=enrolled.user,
        name="Laptop",
        credential_id=b"\x05" * 32,
        public_key=b"unused",
        created_at=timezone.now(),
    )
    sign_in(pseudo, enrolled.user.email)
    pages = {"verify: passkey": pseudo.get(reverse("twofactor:signin-verify"))}
    assert english_on(pages) == {}


def test_enrollment_backup_codes_and_remind_later(pseudo, user, policy, email_and_passkeys):
    EnrollmentDeadline.objects.create(
        user=user,
        starts_at=timezone.now() - timedelta(days=1),
        due_at=timezone.now() + timedelta(5),
    )
    sign_in(pseudo, user.email)
    enroll = reverse("twofactor:signin-enroll")
    page = pseudo.get(enroll)
    pages = {"enroll": page, "enroll: wrong code": pseudo.post(enroll, {"code": "12"})}
    pages["remind later"] = pseudo.post(reverse("twofactor:signin-remind-later"))
    pseudo.post(reverse("twofactor:signout"))
    sign_in(pseudo, user.email)
    page = pseudo.get(enroll)
    done = pseudo.post(enroll, {"code": current_code(manual_key(page))}, follow=True)
    pages["backup codes shown"] = done
    assert english_on(pages) == {}


def test_the_personal_page_and_its_confirmation_dialogs(pseudo, enrolled, email_and_passkeys):
    pseudo.force_login(enrolled.user)
    names = [
        "account",
        "account-regenerate",
        "account-app",
        "account-password",
        "account-enroll",
        "account-passkey-new",
        "account-confirm",
    ]
    pages = {name: pseudo.get(reverse(f"twofactor:{name}")) for name in names}
    pages["password: wrong"] = pseudo.post(
        reverse("twofactor:account-password"), {"old_password": "x", "new_password1": "y"}
    )
    pages["regenerate: wrong code"] = pseudo.post(
        reverse("twofactor:account-regenerate"), {"code": wrong_code(enrolled.secret)}
    )
    assert english_on(pages) == {}


def test_the_setup_tabs_and_the_demo_pages(pseudo, admin_user, enrolled, make_user, policy):
    make_user("pat@example.com", name="Pat Pending")
    pseudo.force_login(admin_user)
    pages = {name: pseudo.get(reverse(name)) for name in SETUP_PAGES}
    subject = enrolled.user.pk
    pages["user"] = pseudo.get(reverse("twofactor:setup-user", kwargs={"pk": subject}))
    pages["demo user"] = pseudo.get(reverse("accounts:setup-user-edit", kwargs={"pk": subject}))
    role = SecurityRole.objects.first().pk
    pages["demo role"] = pseudo.get(reverse("accounts:setup-role-edit", kwargs={"pk": role}))
    users = reverse("twofactor:setup-users")
    for state in ("enrolled", "pending", "not_started", "locked"):
        pages[f"users: {state}"] = pseudo.get(users + f"?state={state}")
    pages["users: search"] = pseudo.get(users + "?q=nobody")
    overview = reverse("twofactor:setup-overview")
    for name in ("not-started", "pending", "enrolled", "locked", "roles-without-2fa"):
        pages[f"overview: all {name}"] = pseudo.get(f"{overview}{name}/")
    pages["reset: confirm"] = pseudo.get(reverse("twofactor:setup-reset") + f"?user={subject}")
    pages["audit: filtered"] = pseudo.get(reverse("twofactor:audit-log") + "?action=nothing")
    pages["settings: refused"] = pseudo.post(reverse("twofactor:setup-settings"), {"x": "1"})
    assert english_on(pages) == {}


def test_the_per_user_panels(pseudo, admin_user, enrolled, user, policy):
    EnrollmentDeadline.objects.create(
        user=user,
        starts_at=timezone.now() - timedelta(days=1),
        due_at=timezone.now() + timedelta(5),
    )
    pseudo.force_login(admin_user)
    page = reverse("twofactor:setup-user", kwargs={"pk": user.pk})
    pages = {"user": pseudo.get(page)}
    pages["extend"] = pseudo.post(reverse("twofactor:setup-user-extend", kwargs={"pk": user.pk}))
    pages["remind"] = pseudo.post(
        reverse("twofactor:setup-user-remind", kwargs={"pk": user.pk}), follow=True
    )
    pages["pass issued"] = pseudo.post(
        reverse("twofactor:setup-pass-issue"), {"user": user.pk}, follow=True
    )
    assert english_on(pages) == {}


def test_the_error_pages(pseudo, user, settings):
    pages = {"404": pseudo.get("/no/such/page/")}
    pages["405"] = pseudo.put(reverse("twofactor:signin"))
    pseudo.force_login(user)
    pages["403"] = pseudo.get(reverse("twofactor:setup-settings"))
    pages["400"] = pseudo.get(reverse("twofactor:setup-users") + "?page=%00")
    csrf = in_pseudo(Client(enforce_csrf_checks=True))
    pages["csrf"] = csrf.post(reverse("twofactor:signin"), {"email": "a@example.com"})
    assert english_on(pages) == {}


def test_the_500_page(pseudo, settings):
    from django.test import RequestFactory
    from django.utils import translation

    from portal2fa.twofactor.views.errors import server_error

    with translation.override(PSEUDO):
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert page_english(response.content.decode()) == []


def mail_english(message) -> list[str]:
    runs = english_runs(message.subject, data=data()) + english_runs(message.body, data=data())
    for content, _kind in getattr(message, "alternatives", []):
        runs += page_english(content, data=data())
    return runs


def test_every_e_mail(user, enroll, admin_user, make_user, policy):
    user.language = PSEUDO
    user.save(update_fields=["language"])
    now = timezone.now()
    notices.send_reset_notice(user=user, at=now)
    notices.send_code_guessing_notice(user=user, at=now, locked=True)
    notices.send_code_guessing_notice(user=user, at=now, locked=False)
    notices.send_password_changed_notice(user=user, at=now)
    notices.send_access_pass_notice(user=user, at=now, expires_at=now + timedelta(hours=1))
    TwoFactorSettings.objects.filter(pk=1).update(email_codes_allowed=True)
    enroll(user)
    token = challenge_issue(user=user, at=now)
    challenge = SignInChallenge.objects.get(token_digest=keys.token_digest(token))
    assert email_code_send(challenge=challenge, at=now).ok
    due = make_user("dana@example.com", name="Dana Due")
    EnrollmentDeadline.objects.create(
        user=due, starts_at=now - timedelta(days=1), due_at=now + timedelta(days=5)
    )
    due.language = PSEUDO
    due.save(update_fields=["language"])
    reminder_send(actor=admin_user, user=due, at=now)
    assert len(mail.outbox) == 7
    found = {message.subject: mail_english(message) for message in mail.outbox}
    assert {subject: runs for subject, runs in found.items() if runs} == {}
