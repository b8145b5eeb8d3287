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
from portal2fa.audit.models import AuditEvent
from portal2fa.twofactor.machinery import keys, notices
from portal2fa.twofactor.models import (
    EnrollmentDeadline,
    EnrollmentState,
    SignInChallenge,
    TrustedBrowser,
    TwoFactorSettings,
    WebAuthnCredential,
)
from portal2fa.twofactor.services.access_passes import access_pass_issue
from portal2fa.twofactor.services.challenge import challenge_issue
from portal2fa.twofactor.services.email_codes import email_code_send
from portal2fa.twofactor.services.enrollment import enrollment_reset
from portal2fa.twofactor.services.reminders import reminder_send
from portal2fa.twofactor.sms import LocmemSmsProvider
from portal2fa.twofactor.views.setup import SHOWN_IN_FULL
from portal2fa.twofactor.views.user_list import NOT_ENROLLED
from tests.pseudo_text import PSEUDO, english_runs, page_english

from .helpers import current_code, manual_key, sign_in, wrong_code
from .test_personal_page_key_only import key_only  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

SHOWN = {200, 400, 403, 404, 405}
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
    roles += TrustedBrowser.objects.values_list("name", flat=True)  # what the browser said
    roles += WebAuthnCredential.objects.values_list("name", flat=True)  # what the user typed
    languages = [name for code, name in django_settings.LANGUAGES if code != PSEUDO]
    languages += [
        LANG_INFO[code]["name_local"] for code, _ in django_settings.LANGUAGES if code in LANG_INFO
    ]
    return (*names, *roles, *languages)


def english_on(pages: dict[str, object], *, extra: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """{page: its English runs} for the pages that show any (`extra`: data gone by now)."""
    found = {}
    for name, response in pages.items():
        # the state itself, not a redirect away from it (an empty page would show no English)
        assert response.status_code in SHOWN, f"{name}: {response.status_code}"
        if response.status_code != HTTPStatus.METHOD_NOT_ALLOWED:  # Django's 405 has no body
            assert "[" in response.content.decode(), f"{name}: no translated text at all"
        runs = page_english(response.content.decode(), data=(*data(), *extra))
        if runs:
            found[name] = runs
    return found


@pytest.fixture
def pseudo(client):
    return in_pseudo(client)


@pytest.fixture
def phones(settings):
    """Every user has a phone number (the demo's do not); texts are kept in memory."""
    settings.PORTAL2FA_ADAPTER = "tests.services.test_sms_codes.PhoneAdapter"
    settings.PORTAL2FA_SMS_PROVIDER = "portal2fa.twofactor.sms.LocmemSmsProvider"
    LocmemSmsProvider.outbox.clear()


@pytest.fixture
def email_and_passkeys(policy):
    TwoFactorSettings.objects.filter(pk=1).update(
        email_codes_allowed=True,
        sms_codes_allowed=True,
        passkeys_allowed=True,
        reset_needs_access_pass=True,
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


def test_sign_in_and_every_second_factor_step(pseudo, enrolled, email_and_passkeys, phones):
    user = enrolled.user
    user.language = PSEUDO  # the e-mailed and texted codes are written in it
    user.save(update_fields=["language"])
    pages = {"sign-in": pseudo.get(reverse("twofactor:signin"))}
    pages["wrong password"] = sign_in(pseudo, user.email, "not the password")
    sign_in(pseudo, user.email)
    verify = reverse("twofactor:signin-verify")
    pages["verify: app"] = pseudo.get(verify)
    pages["verify: wrong code"] = pseudo.post(verify, {"code": wrong_code(enrolled.secret)})
    pages["verify: backup"] = pseudo.get(verify + "?method=backup")
    pages["verify: bad backup"] = pseudo.post(verify + "?method=backup", {"code": "ABCDE-FGHJK"})
    pages["pass"] = pseudo.get(reverse("twofactor:signin-pass"))
    pages["pass: wrong"] = pseudo.post(
        reverse("twofactor:signin-pass"), {"access_pass": "2222-2222-2222"}
    )
    sms = reverse("twofactor:signin-verify-sms")
    pages["sms: send"] = pseudo.post(sms, {"send": "1"}, follow=True)
    pages["sms"] = pseudo.get(sms)
    pages["sms: wrong"] = pseudo.post(sms, {"code": "000000"})
    email = reverse("twofactor:signin-verify-email")
    pages["email code: send"] = pseudo.post(email, {"send": "1"}, follow=True)
    pages["email code"] = pseudo.get(email)
    pages["email code: wrong"] = pseudo.post(email, {"code": "000000"})
    for _ in range(5):
        pseudo.post(verify, {"code": wrong_code(enrolled.secret)})
    pages["verify: locked"] = pseudo.get(verify)
    assert english_on(pages) == {}
    (text,) = LocmemSmsProvider.outbox  # one send per sign-in and minute: the SMS came first
    assert "[" in text.body and english_runs(text.body) == []


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
    pages["remind later"] = pseudo.post(reverse("twofactor:signin-remind-later"), follow=True)
    pseudo.post(reverse("twofactor:signout"))
    sign_in(pseudo, user.email)
    page = pseudo.get(enroll)
    done = pseudo.post(enroll, {"code": current_code(manual_key(page))}, follow=True)
    pages["backup codes shown"] = done
    assert english_on(pages) == {}


def test_the_personal_page_and_its_confirmation_dialogs(pseudo, enrolled, email_and_passkeys):
    pseudo.force_login(enrolled.user)
    now = timezone.now()
    browser = TrustedBrowser.objects.create(
        user=enrolled.user,
        name="Safari on iPhone",
        token_digest=keys.trusted_browser_digest("t"),
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(days=30),
    )
    account = reverse("twofactor:account")
    pages = {"account": pseudo.get(account)}
    for name in ("account-password", "account-passkey-new"):
        pages[name] = pseudo.get(reverse(f"twofactor:{name}"))
    regenerate = reverse("twofactor:account-regenerate")
    pages["new codes: dialog"] = pseudo.post(regenerate)
    pages["new codes: wrong code"] = pseudo.post(
        regenerate, {"confirmed": "1", "code": wrong_code(enrolled.secret)}
    )
    pages["new codes shown"] = pseudo.post(
        regenerate, {"confirmed": "1", "code": current_code(enrolled.secret)}, follow=True
    )
    revoke = reverse("twofactor:trusted-revoke", args=[browser.pk])
    pages["trusted browser: dialog"] = pseudo.post(revoke)
    pages["password: refused"] = pseudo.post(
        reverse("twofactor:account-password"), {"current_password": "x", "new_password1": "y"}
    )
    pages["sign out everywhere"] = pseudo.post(
        reverse("twofactor:sign-out-everywhere"), follow=True
    )
    assert english_on(pages, extra=(browser.name,)) == {}  # revoked by signing out everywhere


def test_a_temporary_access_pass_leads_into_enrollment(pseudo, admin_user, enrolled, policy):
    issued = access_pass_issue(actor=admin_user, user=enrolled.user, at=timezone.now())
    sign_in(pseudo, enrolled.user.email)
    passed = reverse("twofactor:signin-pass")
    pages = {
        "enroll after a pass": pseudo.post(passed, {"access_pass": issued.display}, follow=True)
    }
    assert english_on(pages) == {}


def test_a_key_only_user_and_the_app_dialog(pseudo, user, email_and_passkeys, key_only):  # noqa: F811
    pages = {"account, key only": pseudo.get(reverse("twofactor:account"))}
    pages["app: dialog"] = pseudo.post(reverse("twofactor:account-app"), {"start": "1"})
    pages["passkey: dialog"] = pseudo.get(reverse("twofactor:account-passkey-new"))
    assert english_on(pages) == {}


def test_voluntary_enrollment_of_an_app_and_a_passkey(pseudo, user, email_and_passkeys):
    TwoFactorSettings.objects.filter(pk=1).update(enrollment_required=False)
    user.role.requires_2fa = False
    user.role.save()
    pseudo.force_login(user)
    pages = {"account": pseudo.get(reverse("twofactor:account"))}
    pseudo.post(reverse("twofactor:account-enroll"), {"start": "1"})
    pages["enroll"] = pseudo.get(reverse("twofactor:account-enroll"))
    pages["enroll: wrong"] = pseudo.post(reverse("twofactor:account-enroll"), {"code": "1"})
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
    for state in (*EnrollmentState.values, NOT_ENROLLED):
        pages[f"users: {state}"] = pseudo.get(users + f"?state={state}")
    pages["users: role, overdue"] = pseudo.get(users + f"?role={role}&overdue=on")
    pages["users: refused filter"] = pseudo.get(users + "?state=nonsense")
    overview = reverse("twofactor:setup-overview")
    for name in SHOWN_IN_FULL:
        pages[f"overview: all {name}"] = pseudo.get(f"{overview}{name}/")
    pages["reset: confirm"] = pseudo.get(reverse("twofactor:setup-reset") + f"?user={subject}")
    pages["audit: filtered"] = pseudo.get(reverse("twofactor:audit-log") + "?action=nothing")
    pages["settings: refused"] = pseudo.post(reverse("twofactor:setup-settings"), {"x": "1"})
    assert english_on(pages) == {}


def test_the_audit_log_with_events_of_many_kinds(pseudo, admin_user, enrolled, make_user, policy):
    now = timezone.now()
    enrollment_reset(actor=admin_user, user=enrolled.user, at=now)
    other = make_user("olga@example.com", name="Olga Other")
    anonymous = in_pseudo(Client())
    sign_in(anonymous, other.email, "wrong password")
    sign_in(anonymous, "nobody@example.com", "wrong password")
    sign_in(anonymous, other.email)
    other.set_password("a-new-password-for-olga")
    other.save()  # the host's own password change
    other.is_active = False
    other.save()
    pseudo.force_login(admin_user)
    pages = {"audit log": pseudo.get(reverse("twofactor:audit-log"))}
    assert AuditEvent.objects.order_by().values("action").distinct().count() >= 4
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
    extend = reverse("twofactor:setup-user-extend", kwargs={"pk": user.pk})
    pages["extend: refused"] = pseudo.post(extend)
    pages["extend: answered"] = pseudo.post(extend, {"days": "7", "reason": "Holiday"}, follow=True)
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
    pages["400"] = pseudo.get(reverse("twofactor:signin"), HTTP_HOST="not-allowed.example")
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


def test_every_e_mail_and_text_message(user, enroll, admin_user, make_user, policy, phones):
    user.language = PSEUDO
    user.save(update_fields=["language"])
    now = timezone.now()
    notices.send_reset_notice(user=user, at=now)
    notices.send_code_guessing_notice(user=user, at=now, locked=True)
    notices.send_code_guessing_notice(user=user, at=now, locked=False)
    notices.send_password_changed_notice(user=user, at=now)
    notices.send_access_pass_notice(user=user, at=now, expires_at=now + timedelta(hours=1))
    TwoFactorSettings.objects.filter(pk=1).update(email_codes_allowed=True, sms_codes_allowed=True)
    enroll(user)
    token = challenge_issue(user=user, at=now)
    challenge = SignInChallenge.objects.get(token_digest=keys.token_digest(token))
    assert email_code_send(challenge=challenge, at=now).ok
    token = challenge_issue(user=user, at=now + timedelta(minutes=5))
    challenge = SignInChallenge.objects.get(token_digest=keys.token_digest(token))
    assert email_code_send(challenge=challenge, at=now + timedelta(minutes=5), channel="sms").ok
    (text,) = LocmemSmsProvider.outbox
    assert "[" in text.body and english_runs(text.body, data=data()) == []
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
