"""The personal page for a user enrolled with a passkey alone, and "Confirm with a passkey" for
every user with keys: the page tells the truth (no app), a passkey confirmation allows one change
without a code (a new set of backup codes, a new key, starting an app's setup) within 5 minutes,
and an authenticator app can be added later. Through the test client (host "testserver")."""

import re
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor import backup_codes as backup_code_format
from portal2fa.twofactor import counters, keys
from portal2fa.twofactor.models import (
    Authenticator,
    BackupCode,
    CodeGuessBudget,
    StepUpGrant,
    TwoFactorSettings,
    WebAuthnCredential,
)
from portal2fa.twofactor.web import step_up
from tests.soft_authenticator import SoftAuthenticator

from .helpers import (
    assert_no_inline_script,
    backup_codes,
    current_code,
    manual_key,
    sign_in,
    text,
    twin_runs_first,
    wrong_code,
)

ACCOUNT = reverse("twofactor:account")
CODES = reverse("twofactor:account-codes")
REGENERATE = reverse("twofactor:account-regenerate")
CONFIRM_OPTIONS = reverse("twofactor:account-confirm-options")
CONFIRM = reverse("twofactor:account-confirm")
APP = reverse("twofactor:account-app")
KEY_OPTIONS = reverse("twofactor:account-passkey-options")
KEY_ADD = reverse("twofactor:account-passkey-add")
APP_TEXT = "a current code from your authenticator app"


@pytest.fixture(autouse=True)
def passkeys_switched_on(policy):
    TwoFactorSettings.objects.filter(pk=1).update(passkeys_allowed=True)


def post_json(client, url, body: str):
    return client.post(url, body, content_type="application/json")


@pytest.fixture
def key_only(client, user):
    """Enrolled at the sign-in's enrollment step with a key alone; signed in; codes saved."""
    sign_in(client, user.email)
    started = client.post(reverse("twofactor:signin-enroll-passkey-options"), {"name": "Phone"})
    key = SoftAuthenticator()
    done = post_json(
        client, reverse("twofactor:signin-enroll-passkey"), key.register(started.json()["options"])
    )
    assert done.status_code == HTTPStatus.OK, done.content
    codes = backup_codes(client.get(CODES))
    client.post(CODES)  # "I have saved my codes"
    return key, codes


def confirm(client, key, **assertion):
    options = client.post(CONFIRM_OPTIONS)
    assert options.status_code == HTTPStatus.OK, options.content
    return post_json(client, CONFIRM, key.assert_(options.json()["options"], **assertion))


def failures(user) -> int:
    budget = CodeGuessBudget.objects.filter(pk=user.pk).first()
    return budget.consecutive_failures if budget else 0


def test_the_page_tells_a_key_only_user_the_truth(client, user, key_only):
    response = client.get(ACCOUNT)
    page = text(response)
    assert re.search(r'data-testid="app-state"[^>]*>Not set up<', page)
    assert re.search(r'data-testid="state"[^>]*>Enrolled<', page)
    assert "Set up authenticator app" in page and 'id="app_code"' not in page  # asked in the dialog
    assert 'data-passkey="confirm"' in page and "Confirm with a passkey" in page
    assert APP_TEXT not in page and "code from your authenticator app" not in page
    assert 'href="' + reverse("twofactor:account-passkey-new") + '"' in page
    assert "Confirm with your passkey above first." in page
    assert 'action="' + REGENERATE + '"' not in page  # no code could do: the passkey first
    assert_no_inline_script(response)


def test_an_app_user_with_a_key_is_offered_the_passkey_beside_the_seed_text(client, user, enrolled):
    client.force_login(user)
    page = text(client.get(ACCOUNT))
    assert "Confirm with a passkey" not in page  # no key yet
    WebAuthnCredential.objects.create(
        user=user, name="K", credential_id=b"k" * 32, public_key=b"-", created_at=timezone.now()
    )
    page = text(client.get(ACCOUNT))
    assert "Confirm with a passkey" in page and 'data-testid="app-state"' not in page
    assert "You confirm it’s you in the next step." in page  # the code in the dialog


def test_confirming_allows_one_new_set_of_codes_without_a_code(client, user, key_only):
    key, old = key_only
    done = confirm(client, key)
    assert done.status_code == HTTPStatus.OK and done.json() == {"redirect": ACCOUNT}
    page = text(client.get(ACCOUNT))
    assert "You confirmed with your passkey." in page and 'data-testid="confirmed"' in page
    assert WebAuthnCredential.objects.get(user=user).sign_count == 1
    response = client.post(REGENERATE)
    assert response.status_code == HTTPStatus.SEE_OTHER and response.url == CODES
    new = backup_codes(client.get(CODES))
    assert len(new) == 10 and not set(new) & set(old)
    client.post(CODES)
    event = AuditEvent.objects.get(action=Action.BACKUP_CODES_REGENERATED)
    assert event.detail["confirmed_with"] == "passkey"
    assert counters.drift() == {}
    # consumed: the next change needs another confirmation
    again = client.post(REGENERATE, {"code": "123456"})
    assert again.status_code == HTTPStatus.BAD_REQUEST
    assert AuditEvent.objects.filter(action=Action.BACKUP_CODES_REGENERATED).count() == 1
    assert failures(user) == 0  # six digits from a user without an app are no guess


def test_a_confirmation_expires(client, user, key_only):
    key, _ = key_only
    confirm(client, key)
    session = client.session
    session[step_up.STEP_UP_KEY]["until"] = 1.0  # long past
    session.save()
    assert 'data-testid="confirmed"' not in text(client.get(ACCOUNT))
    asked = client.post(REGENERATE)  # the dialog asks for a code again
    assert asked.status_code == HTTPStatus.OK and 'data-testid="confirm-dialog"' in text(asked)
    assert not AuditEvent.objects.filter(action=Action.BACKUP_CODES_REGENERATED).exists()


def test_a_confirmation_is_bound_to_its_user(client, user, key_only, make_user):
    key, _ = key_only
    confirm(client, key)
    session = client.session
    session[step_up.STEP_UP_KEY]["user"] = "someone else"
    session.save()
    asked = client.post(REGENERATE)  # the dialog asks for a code: nothing generated
    assert asked.status_code == HTTPStatus.OK and 'data-testid="confirm-dialog"' in text(asked)
    assert not AuditEvent.objects.filter(action=Action.BACKUP_CODES_REGENERATED).exists()


def test_a_refused_key_is_counted_and_confirms_nothing(client, user, key_only):
    key, _ = key_only
    refused = confirm(client, SoftAuthenticator())
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.json()["error"] == "The passkey or security key was not accepted."
    assert failures(user) == 1
    assert step_up.STEP_UP_KEY not in client.session
    WebAuthnCredential.objects.update(sign_count=99)
    cloned = confirm(client, key)
    assert cloned.status_code == HTTPStatus.BAD_REQUEST and "copied" in cloned.json()["error"]
    assert AuditEvent.objects.filter(action=Action.PASSKEY_CLONE_REFUSED).count() == 1
    assert failures(user) == 2
    # an answer with no confirmation started (none, or the options' one spent) is not a guess
    late = post_json(client, CONFIRM, key.assert_(client.post(CONFIRM_OPTIONS).json()["options"]))
    assert late.status_code == HTTPStatus.BAD_REQUEST  # (still the clone: counted)
    spent = post_json(client, CONFIRM, "{}")
    assert spent.status_code == HTTPStatus.BAD_REQUEST and "Start again" in spent.json()["error"]
    assert failures(user) == 3


def test_locked_accounts_cannot_confirm(client, user, key_only):
    key, _ = key_only
    CodeGuessBudget.objects.create(
        user_id=user.pk, locked_at=Authenticator.objects.get().created_at
    )
    response = client.post(CONFIRM_OPTIONS)
    assert response.status_code == HTTPStatus.FORBIDDEN and response.json()["locked"]


def test_a_user_without_keys_cannot_confirm(client, user, enrolled):
    client.force_login(user)
    response = client.post(CONFIRM_OPTIONS)
    assert response.status_code == HTTPStatus.BAD_REQUEST and response.json()["error"]


@pytest.mark.parametrize("url", [CONFIRM_OPTIONS, CONFIRM, APP])
def test_new_endpoints_need_login_and_check_csrf(user, key_only, url):
    anonymous = Client()
    assert anonymous.post(url).status_code == HTTPStatus.FOUND
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post(url, {"start": "1"}).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("url", [CONFIRM_OPTIONS, CONFIRM])
def test_confirm_endpoints_are_post_only(client, user, key_only, url):
    assert client.get(url).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_a_confirmation_adds_a_key_without_a_code(client, user, key_only):
    key, _ = key_only
    assert client.post(KEY_OPTIONS, {"name": "Desk"}).status_code == HTTPStatus.BAD_REQUEST
    confirm(client, key)
    page = text(client.get(ACCOUNT))
    assert 'id="passkey-code"' not in page
    # Review finding: starting the ceremony spent it, so a cancelled browser prompt lost it.
    cancelled = client.post(KEY_OPTIONS, {"name": "Desk"})
    assert cancelled.status_code == HTTPStatus.OK, cancelled.content
    assert 'data-testid="confirmed"' in text(client.get(ACCOUNT))  # still confirmed
    started = client.post(KEY_OPTIONS, {"name": "Desk"})
    assert started.status_code == HTTPStatus.OK, started.content
    done = post_json(client, KEY_ADD, SoftAuthenticator().register(started.json()["options"]))
    assert done.status_code == HTTPStatus.OK
    assert Authenticator.objects.get(user=user).passkeys == 2 and counters.drift() == {}
    assert not StepUpGrant.objects.filter(user=user).exists()  # spent with the key
    assert client.post(KEY_OPTIONS, {"name": "More"}).status_code == HTTPStatus.BAD_REQUEST


def test_a_confirmation_spent_elsewhere_meanwhile_adds_no_key(client, user, key_only):
    """The key ceremony started on a confirmation that another change of the session then used:
    the key is refused at its end, nothing stored."""
    key, _ = key_only
    confirm(client, key)
    started = client.post(KEY_OPTIONS, {"name": "Desk"})
    assert started.status_code == HTTPStatus.OK, started.content
    assert client.post(REGENERATE).url == CODES  # spends the confirmation
    done = post_json(client, KEY_ADD, SoftAuthenticator().register(started.json()["options"]))
    assert done.status_code == HTTPStatus.BAD_REQUEST
    assert done.json()["error"] == "That confirmation was used or has expired. Confirm again."
    assert Authenticator.objects.get(user=user).passkeys == 1


# --- adding an authenticator app ----------------------------------------------------------------------


def _set_up_app(client, response):
    assert response.status_code == HTTPStatus.SEE_OTHER and response.url == APP
    page = client.get(APP)
    assert page.status_code == HTTPStatus.OK and "<svg" in page.content.decode()
    assert_no_inline_script(page)
    return manual_key(page)


def test_an_app_is_added_after_a_backup_code(client, user, key_only):
    _, codes = key_only
    key = _set_up_app(client, client.post(APP, {"start": "1", "code": codes[0]}))
    assert not Authenticator.objects.get(user=user).has_app  # nothing stored before the code
    assert "portal2fa_app_setup" in client.session
    wrong = client.post(APP, {"code": wrong_code(key)})
    assert wrong.status_code == HTTPStatus.BAD_REQUEST and "Invalid code." in text(wrong)
    assert failures(user) == 1
    assert manual_key(wrong) == key  # the same secret, to try again
    done = client.post(APP, {"code": current_code(key)})
    assert done.status_code == HTTPStatus.SEE_OTHER and done.url == ACCOUNT
    page = text(client.get(ACCOUNT))
    assert "Your authenticator app is set up." in page
    assert 'data-testid="app-state"' not in page and re.search(
        r'data-testid="state"[^>]*>Enrolled<', page
    )
    assert 'action="' + REGENERATE + '"' in page  # now it has a code to confirm with
    assert Authenticator.objects.get(user=user).has_app and failures(user) == 0
    assert AuditEvent.objects.filter(action=Action.APP_ADDED).count() == 1
    assert "portal2fa_app_setup" not in client.session
    assert counters.totals()[counters.METHOD_APP] == 1 and counters.drift() == {}
    again = client.get(APP, follow=True)
    assert "Your authenticator app is already set up." in text(again)


def test_an_app_is_added_after_a_passkey_confirmation(client, user, key_only):
    key, _ = key_only
    confirm(client, key)
    secret = _set_up_app(client, client.post(APP, {"start": "1"}))
    assert step_up.STEP_UP_KEY not in client.session  # consumed by the start
    assert client.post(APP, {"code": current_code(secret)}).status_code == HTTPStatus.SEE_OTHER
    assert Authenticator.objects.get(user=user).has_app and counters.drift() == {}


def test_the_start_needs_a_backup_code_and_a_wrong_one_counts(client, user, key_only):
    refused = client.post(APP, {"start": "1", "code": "ABCD-EFGH"})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "Invalid code." in text(refused) and failures(user) == 1
    asked = client.post(APP, {"start": "1"})  # no code: the dialog asks for one
    assert asked.status_code == HTTPStatus.OK and 'data-testid="confirm-dialog"' in text(asked)
    empty = client.post(APP, {"start": "1", "code": ""})
    assert empty.status_code == HTTPStatus.BAD_REQUEST and "Enter a code." in text(empty)
    assert "portal2fa_app_setup" not in client.session
    no_setup = client.get(APP, follow=True)
    assert "Setting up the app took too long. Start again." in text(no_setup)


def test_an_app_user_and_a_user_not_enrolled_are_sent_back(client, user, enrolled, make_user):
    client.force_login(user)
    page = client.post(APP, {"start": "1", "code": enrolled.backup_codes[0]}, follow=True)
    assert "Your authenticator app is already set up." in text(page)
    assert "portal2fa_app_setup" not in client.session
    client.force_login(make_user("new@example.com"))
    assert client.get(APP).url == ACCOUNT


def test_the_old_enroll_page_sends_a_key_only_user_to_the_page_without_a_false_message(
    client, user, key_only
):
    response = client.get(reverse("twofactor:account-enroll"), follow=True)
    assert response.redirect_chain[-1][0] == ACCOUNT
    assert "already set up" not in text(response)


def test_a_key_only_user_whose_passkeys_are_forbidden_can_still_set_up_an_app(
    client, user, key_only
):
    """Review finding: with passkeys forbidden and the backup codes used up, nothing could confirm
    the app's setup. A sign-in with a backup code, when nothing else may be used, confirms it."""
    _, codes = key_only
    TwoFactorSettings.objects.filter(pk=1).update(passkeys_allowed=False)
    Authenticator.objects.filter(user=user).update(backup_codes_remaining=1)  # the last one
    BackupCode.objects.filter(authenticator__user=user).exclude(
        digest=keys.backup_code_digest(backup_code_format.normalise(codes[0]))
    ).update(used_at=timezone.now())
    counters.rebuild()  # the shortcut above bypassed the services
    client.post(reverse("twofactor:signout"))
    sign_in(client, user.email)
    verify = text(client.get(reverse("twofactor:signin-verify")))
    assert "Passkeys are not allowed for your account now" in verify
    done = client.post(reverse("twofactor:signin-verify"), {"code": codes[0]})
    assert done.status_code == HTTPStatus.FOUND
    page = text(client.get(ACCOUNT))
    assert "Passkeys are no longer allowed for your account" in page
    # the keys are listed, said not to sign in, and no new one is offered (review finding)
    assert "the keys below do not sign you in" in page
    assert "Add passkey or security key" not in page and "Use a passkey or a security" not in page
    started = client.post(APP, {"start": "1"})  # no code: the sign-in confirmed it
    assert started.status_code == HTTPStatus.SEE_OTHER and started.url == APP
    secret = manual_key(client.get(APP)).replace(" ", "")
    confirmed = client.post(APP, {"code": current_code(secret)})
    assert confirmed.status_code in (HTTPStatus.FOUND, HTTPStatus.SEE_OTHER)
    assert Authenticator.objects.get(user=user).has_app
    assert counters.drift() == {}


def test_an_app_user_signing_in_with_a_backup_code_gets_no_free_confirmation(
    client, user, enrolled
):
    sign_in(client, user.email)
    client.post(reverse("twofactor:signin-verify"), {"code": enrolled.backup_codes[0]})
    assert step_up.STEP_UP_KEY not in client.session
    assert not StepUpGrant.objects.filter(user=user).exists()


def test_the_personal_page_opens_no_number_pad_and_tells_the_not_enrolled_the_truth(
    client, make_user, policy
):
    """Walkthrough findings: no code field takes the focus on arrival (a phone would open its
    number pad for a destructive action), and a user without 2FA is not told of a second factor."""
    nobody = make_user("nobody@example.com")
    client.force_login(nobody)
    page = text(client.get(ACCOUNT))
    assert "autofocus" not in page
    assert "No browser is trusted." in page and "asks for your second factor" not in page


def test_the_enrollment_step_does_not_promise_a_factor_at_every_sign_in(client, user, policy):
    sign_in(client, user.email)
    page = text(client.get(reverse("twofactor:signin-enroll")))
    assert (
        "Your account requires a second factor: a code from an authenticator app or a passkey."
        in page
    )
    assert "at every sign-in" not in page


def test_a_passkey_confirmation_changes_the_password_once_and_survives_a_typo(
    client, user, key_only
):
    """Review finding: the confirmation's message promised more than the password page honoured."""
    from tests.conftest import PASSWORD

    key, _ = key_only
    url = reverse("twofactor:account-password")
    assert 'name="code"' in text(client.get(url))  # no confirmation yet: a code is asked
    confirm(client, key)
    page = text(client.get(url))
    assert 'name="code"' not in page and "no code is needed" in page
    new = "an entirely new passphrase 42"
    typo = client.post(
        url, {"current_password": "wrong", "new_password1": new, "new_password2": new}
    )
    assert typo.status_code == HTTPStatus.BAD_REQUEST
    assert StepUpGrant.objects.filter(user=user).exists()  # a typo does not spend it
    done = client.post(
        url, {"current_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert done.status_code == HTTPStatus.SEE_OTHER
    user.refresh_from_db()
    assert user.check_password(new)
    assert not StepUpGrant.objects.filter(user=user).exists()
    changed = AuditEvent.objects.get(action=Action.PASSWORD_CHANGED)
    assert changed.detail == {"second_factor": True, "confirmed_with": "passkey"}
    assert 'name="code"' in text(client.get(url))  # used: the next change asks again


def _password_post(client, current):
    new = "an entirely new passphrase 42"
    return client.post(
        reverse("twofactor:account-password"),
        {"current_password": current, "new_password1": new, "new_password2": new},
    )


@pytest.mark.parametrize("meanwhile", ["confirmed-in-another-browser", "budget-locked"])
def test_a_confirmation_refused_at_the_password_change_asks_for_a_code_not_a_500(
    client, user, key_only, meanwhile
):
    """Final review: the page had dropped its code field, so the refusal crashed (and stuck)."""
    from tests.conftest import PASSWORD

    key, _ = key_only
    confirm(client, key)
    if meanwhile == "budget-locked":
        CodeGuessBudget.objects.update_or_create(
            user_id=user.pk, defaults={"locked_at": timezone.now()}
        )
    else:  # the same user confirmed elsewhere: one confirmation per user, this one superseded
        StepUpGrant.objects.filter(user=user).update(nonce_digest="0" * 64)
    response = _password_post(client, PASSWORD)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = text(response)
    assert 'name="code"' in page and "no code is needed" not in page
    assert "Confirm again" in page or "locked" in page.lower()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)  # nothing changed
    assert step_up.STEP_UP_KEY not in client.session  # not stuck: the next post asks for a code


def test_a_backup_code_confirmation_is_not_called_a_passkey(client, user, key_only):
    _, codes = key_only
    TwoFactorSettings.objects.filter(pk=1).update(passkeys_allowed=False)
    client.post(reverse("twofactor:signout"))
    sign_in(client, user.email)
    client.post(reverse("twofactor:signin-verify"), {"code": codes[0]})
    page = text(client.get(reverse("twofactor:account-password")))
    assert "You already confirmed it’s you: no code is needed." in page
    assert "with your passkey" not in page


@pytest.mark.parametrize(
    "message_storage",
    [
        "django.contrib.messages.storage.fallback.FallbackStorage",
        "django.contrib.messages.storage.session.SessionStorage",  # a message would save the session
    ],
)
def test_a_parallel_second_use_of_one_confirmation_does_not_erase_the_new_codes(
    client, user, key_only, monkeypatch, settings, message_storage
):
    """Two regenerations on one passkey confirmation in flight at once: the loser read the session
    before the winner saved the new set there; its refusal must not save over it (the old codes are
    gone, so the new set would be lost). The interleaving is forced: the winner runs, whole, inside
    the loser's service call."""
    from portal2fa.twofactor.views import account as views

    settings.MESSAGE_STORAGE = message_storage
    key, _ = key_only
    confirm(client, key)
    won = twin_runs_first(
        monkeypatch,
        views,
        "backup_codes_regenerate_confirmed",
        client,
        lambda twin: twin.post(REGENERATE),
    )
    lost = client.post(REGENERATE)
    assert won[0].status_code == HTTPStatus.SEE_OTHER and won[0].url == CODES
    assert lost.status_code == HTTPStatus.SEE_OTHER and lost.url == ACCOUNT
    new = backup_codes(client.get(CODES))
    assert len(new) == 10
    digest = keys.backup_code_digest(backup_code_format.normalise(new[0]))
    assert BackupCode.objects.filter(authenticator__user=user, digest=digest).exists()


def test_the_password_page_asks_a_key_only_user_for_a_backup_code_not_an_app_code(
    client, user, key_only
):
    """Accessibility audit: the field was labelled "Code from your authenticator app"."""
    page = text(client.get(reverse("twofactor:account-password")))
    assert "One of your backup codes" in page and "authenticator app" not in page


def test_a_confirmation_replaced_elsewhere_does_not_leave_the_page_stuck(client, user, key_only):
    """Security review: a refused confirmation was left in the session (not saved on purpose, in
    case a parallel twin was saving its codes), so every later regeneration took that path again
    and a new confirmation was never asked for. The personal page now drops one that is gone."""
    key, _ = key_only
    confirm(client, key)
    StepUpGrant.objects.filter(user=user).update(nonce_digest="0" * 64)  # another browser's now
    refused = client.post(REGENERATE)
    assert refused.status_code == HTTPStatus.SEE_OTHER and refused.url == ACCOUNT
    page = text(client.get(ACCOUNT))
    assert "That confirmation was used or has expired. Confirm again." in page
    assert step_up.STEP_UP_KEY not in client.session
    assert 'data-testid="confirmed"' not in page and "Confirm with a passkey" in page
    confirm(client, key)
    done = client.post(REGENERATE)
    assert done.status_code == HTTPStatus.SEE_OTHER and done.url == CODES
    assert len(backup_codes(client.get(CODES))) == 10
