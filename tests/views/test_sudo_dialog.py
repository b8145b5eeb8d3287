"""Sudo mode without JavaScript: an action of the personal page that needs the current second factor
answers its first post with the confirmation dialog (a page) and changes nothing; the dialog's own
form, with the right code, performs it; a wrong code is refused in the dialog."""

import re
from http import HTTPStatus

from django.urls import reverse
from django.utils import timezone

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor import keys
from portal2fa.twofactor.models import Authenticator, BackupCode, TrustedBrowser
from portal2fa.twofactor.views.passkeys import REGISTER_KEY
from portal2fa.twofactor.web import step_up

from .helpers import assert_no_inline_script, current_code, text, wrong_code
from .test_personal_page_key_only import (  # noqa: F401 (fixtures)
    key_only,
    passkeys_switched_on,
)

ACCOUNT = reverse("twofactor:account")
CODES = reverse("twofactor:account-codes")
REGENERATE = reverse("twofactor:account-regenerate")
APP = reverse("twofactor:account-app")
KEY_NEW = reverse("twofactor:account-passkey-new")
KEY_OPTIONS = reverse("twofactor:account-passkey-options")
DIALOG = 'role="alertdialog"'


def _hashes(user) -> set[int]:
    return set(BackupCode.objects.filter(authenticator__user=user).values_list("pk", flat=True))


def test_new_codes_are_asked_for_in_the_dialog_and_made_by_its_form(client, enrolled):
    client.force_login(enrolled.user)
    page = text(client.get(ACCOUNT))
    assert 'id="id_code"' not in page  # the page asks for no code itself
    before = _hashes(enrolled.user)
    asked = client.post(REGENERATE)
    assert asked.status_code == HTTPStatus.OK and DIALOG in text(asked)
    assert "Generate new backup codes?" in text(asked)
    assert re.search(r'<form method="post" action="' + REGENERATE, text(asked))  # no script
    assert 'name="confirmed"' in text(asked)
    assert_no_inline_script(asked)
    assert _hashes(enrolled.user) == before  # never performed without the factor
    assert not AuditEvent.objects.filter(action=Action.BACKUP_CODES_REGENERATED).exists()
    wrong = client.post(REGENERATE, {"confirmed": "1", "code": wrong_code(enrolled.secret)})
    assert wrong.status_code == HTTPStatus.BAD_REQUEST
    assert DIALOG in text(wrong) and "Invalid code." in text(wrong)
    assert _hashes(enrolled.user) == before
    done = client.post(REGENERATE, {"confirmed": "1", "code": current_code(enrolled.secret)})
    assert done.status_code == HTTPStatus.SEE_OTHER and done.url == CODES
    assert _hashes(enrolled.user) != before


def test_an_app_is_asked_for_in_the_dialog_and_started_by_its_form(client, user, key_only):  # noqa: F811
    _, codes = key_only
    asked = client.post(APP, {"start": "1"})
    assert asked.status_code == HTTPStatus.OK and DIALOG in text(asked)
    assert "Set up an authenticator app?" in text(asked)
    assert step_up.APP_KEY not in client.session  # no secret made
    started = client.post(APP, {"start": "1", "confirmed": "1", "code": codes[0]})
    assert started.status_code == HTTPStatus.SEE_OTHER and started.url == APP
    assert step_up.APP_KEY in client.session


def test_a_new_key_is_asked_for_in_the_dialog_and_refused_without_a_code(client, enrolled):
    client.force_login(enrolled.user)
    dialog = client.get(KEY_NEW)
    assert dialog.status_code == HTTPStatus.OK and DIALOG in text(dialog)
    assert 'id="passkey-code"' in text(dialog) and 'id="passkey-new-name"' in text(dialog)
    assert_no_inline_script(dialog)
    refused = client.post(KEY_OPTIONS, {"name": "Desk"})  # the ceremony without the factor
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert REGISTER_KEY not in client.session  # no challenge: no key can follow


def test_the_key_dialog_is_for_an_enrolled_user_only(client, user, policy):
    client.force_login(user)
    assert client.get(KEY_NEW).url == ACCOUNT


def test_a_trusted_browser_goes_only_with_the_factor(client, enrolled):
    client.force_login(enrolled.user)
    now = timezone.now()
    row = TrustedBrowser.objects.create(
        user=enrolled.user,
        name="Safari on iPhone",
        token_digest=keys.token_digest("t"),
        created_at=now,
        last_used_at=now,
        expires_at=now + timezone.timedelta(days=30),
    )
    url = reverse("twofactor:trusted-revoke", args=[row.pk])
    asked = client.post(url)
    assert asked.status_code == HTTPStatus.OK and "Stop trusting “Safari on iPhone”?" in text(asked)
    wrong = client.post(url, {"confirmed": "1", "code": wrong_code(enrolled.secret)})
    assert wrong.status_code == HTTPStatus.BAD_REQUEST and "Invalid code." in text(wrong)
    assert TrustedBrowser.objects.filter(pk=row.pk).exists()
    all_asked = client.post(reverse("twofactor:trusted-revoke-all"))
    assert "Stop trusting 1 browser?" in text(all_asked)
    assert TrustedBrowser.objects.filter(pk=row.pk).exists()
    done = client.post(url, {"confirmed": "1", "code": current_code(enrolled.secret)})
    assert done.status_code == HTTPStatus.FOUND and not TrustedBrowser.objects.exists()
    assert Authenticator.objects.get(user=enrolled.user).backup_codes_remaining == 10
