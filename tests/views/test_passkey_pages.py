"""Passkey pages and JSON endpoints through the test client (host "testserver", so the relying
party is testserver and the origin http://testserver, as the software authenticator signs)."""

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.machinery import counters
from portal2fa.twofactor.models import (
    Authenticator,
    CodeGuessBudget,
    SignInChallenge,
    WebAuthnCredential,
)
from tests.admin.test_settings_tab import form_data
from tests.soft_authenticator import SoftAuthenticator

from .helpers import (
    assert_no_inline_script,
    backup_codes,
    current_code,
    is_signed_in,
    sign_in,
    text,
    twin_runs_first,
    wrong_code,
)


@pytest.fixture(autouse=True)
def passkeys_switched_on(db):
    """Passkeys need the Settings tab's switch (off on a fresh install)."""
    from portal2fa.twofactor.models import TwoFactorSettings

    TwoFactorSettings.objects.update_or_create(pk=1, defaults={"passkeys_allowed": True})


OPTIONS = reverse("twofactor:account-passkey-options")
ADD = reverse("twofactor:account-passkey-add")
RENAME = reverse("twofactor:account-passkey-rename")
REMOVE = reverse("twofactor:account-passkey-remove")
SIGNIN_OPTIONS = reverse("twofactor:signin-passkey-options")
SIGNIN_PASSKEY = reverse("twofactor:signin-passkey")


def post_json(client, url, body: str):
    return client.post(url, body, content_type="application/json")


def register(client, enrolled, name="Laptop", key=None):
    key = key or SoftAuthenticator()
    started = client.post(OPTIONS, {"name": name, "code": current_code(enrolled.secret)})
    assert started.status_code == HTTPStatus.OK, started.content
    done = post_json(client, ADD, key.register(started.json()["options"]))
    assert done.status_code == HTTPStatus.OK, done.content
    assert done.json() == {"redirect": reverse("twofactor:account")}
    return key


def test_section_only_for_enrolled_users_and_no_inline_script(client, user, enrolled):
    client.force_login(user)
    page = client.get(reverse("twofactor:account"))
    assert "Passkeys and security keys" in text(page)
    assert "portal2fa/passkeys.js" in text(page)
    assert_no_inline_script(page)


def test_section_hidden_when_not_enrolled(client, user, policy):
    client.force_login(user)
    assert "Passkeys and security keys" not in text(client.get(reverse("twofactor:account")))


def test_register_rename_remove(client, user, enrolled):
    client.force_login(user)
    register(client, enrolled, "Work laptop")
    page = text(client.get(reverse("twofactor:account")))
    assert "The key “Work laptop” was added." in page and "Not used yet" in page
    credential = WebAuthnCredential.objects.get(user=user)
    response = client.post(RENAME, {"passkey": credential.pk, "name": "Desk key"})
    assert response.status_code == HTTPStatus.FOUND
    assert WebAuthnCredential.objects.get().name == "Desk key"
    page = text(client.get(reverse("twofactor:account")))
    assert "The key “Work laptop” is now called “Desk key”." in page  # a rename is confirmed
    # Remove asks first, naming the key, and needs a current second factor
    asked = client.post(REMOVE, {"passkey": credential.pk})
    assert asked.status_code == HTTPStatus.OK
    assert "Remove the key “Desk key”?" in text(asked) and 'role="alertdialog"' in text(asked)
    assert WebAuthnCredential.objects.exists()
    refused = client.post(REMOVE, {"passkey": credential.pk, "confirmed": "1", "code": "000000"})
    assert refused.status_code == HTTPStatus.BAD_REQUEST and "Invalid code." in text(refused)
    assert CodeGuessBudget.objects.get(user=user).consecutive_failures == 1  # counted like any
    assert WebAuthnCredential.objects.exists()
    done = client.post(
        REMOVE, {"passkey": credential.pk, "confirmed": "1", "code": enrolled.backup_codes[0]}
    )
    assert done.status_code == HTTPStatus.FOUND
    assert not WebAuthnCredential.objects.exists()
    assert "The key “Desk key” was removed." in text(client.get(reverse("twofactor:account")))


def test_a_passkey_confirmation_removes_a_key_without_a_code_once(client, user, enrolled):
    client.force_login(user)
    key = register(client, enrolled, "Laptop")
    started = client.post(OPTIONS, {"name": "Phone", "code": enrolled.backup_codes[0]})
    added = post_json(client, ADD, SoftAuthenticator().register(started.json()["options"]))
    assert added.status_code == HTTPStatus.OK
    laptop, phone = WebAuthnCredential.objects.order_by("pk")
    options = client.post(reverse("twofactor:account-confirm-options")).json()["options"]
    confirmed = post_json(client, reverse("twofactor:account-confirm"), key.assert_(options))
    assert confirmed.status_code == HTTPStatus.OK
    asked = text(client.post(REMOVE, {"passkey": phone.pk}))
    assert "no code is needed" in asked
    assert client.post(REMOVE, {"passkey": phone.pk, "confirmed": "1"}).status_code == 302
    assert list(WebAuthnCredential.objects.values_list("name", flat=True)) == ["Laptop"]
    event = AuditEvent.objects.filter(action=Action.PASSKEY_REMOVED).get()
    assert event.detail == {"name": "Phone", "confirmed_with": "passkey"}
    # the confirmation is spent: the next removal needs a code again
    again = client.post(REMOVE, {"passkey": laptop.pk, "confirmed": "1"})
    assert again.status_code == HTTPStatus.BAD_REQUEST and "Enter a code." in text(again)
    assert WebAuthnCredential.objects.filter(pk=laptop.pk).exists()


def test_the_registration_challenge_is_single_use(client, user, enrolled):
    client.force_login(user)
    key = SoftAuthenticator()
    started = client.post(OPTIONS, {"name": "Key", "code": current_code(enrolled.secret)})
    answer = key.register(started.json()["options"])
    assert post_json(client, ADD, answer).status_code == HTTPStatus.OK
    again = post_json(client, ADD, answer)
    assert again.status_code == HTTPStatus.BAD_REQUEST and "Start again" in again.json()["error"]
    assert WebAuthnCredential.objects.count() == 1


def test_options_need_a_current_code_and_a_wrong_one_counts(client, user, enrolled):
    client.force_login(user)
    response = client.post(OPTIONS, {"name": "Key", "code": wrong_code(enrolled.secret)})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"].startswith("Invalid code.")
    assert CodeGuessBudget.objects.get(pk=user.pk).consecutive_failures == 1
    missing = client.post(OPTIONS, {"name": "", "code": current_code(enrolled.secret)})
    assert missing.status_code == HTTPStatus.BAD_REQUEST and "name" in missing.json()["error"]
    assert "portal2fa_passkey_register" not in client.session


@pytest.mark.parametrize("url", [OPTIONS, ADD, RENAME, REMOVE])
def test_endpoints_are_post_only_and_need_login(client, user, enrolled, url):
    assert client.post(url).status_code == HTTPStatus.FOUND  # to the sign-in page
    client.force_login(user)
    assert client.get(url).status_code == HTTPStatus.METHOD_NOT_ALLOWED


@pytest.mark.parametrize("url", [OPTIONS, ADD, RENAME, REMOVE, SIGNIN_OPTIONS, SIGNIN_PASSKEY])
def test_endpoints_check_csrf(user, enrolled, url):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(url, {"passkey": 1, "name": "x"}).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("body", ["", "null", "[]", '{"id": "AAAA"}', "x" * 70000])
def test_garbage_registration_answer_is_a_400(client, user, enrolled, body):
    client.force_login(user)
    client.post(OPTIONS, {"name": "Key", "code": current_code(enrolled.secret)})
    response = post_json(client, ADD, body)
    # longer than any key's answer (64 KiB): 413, before anything is read
    expected = HTTPStatus.REQUEST_ENTITY_TOO_LARGE if len(body) > 65536 else HTTPStatus.BAD_REQUEST
    assert response.status_code == expected and response.json()["error"]


def test_rename_remove_of_someone_elses_key_is_refused(client, user, enrolled, make_user):
    client.force_login(user)
    register(client, enrolled)
    credential = WebAuthnCredential.objects.get()
    other = make_user("mallory@example.com")
    client.force_login(other)
    client.post(RENAME, {"passkey": credential.pk, "name": "Mine"})
    client.post(REMOVE, {"passkey": "not a number"})
    client.post(REMOVE, {"passkey": credential.pk})
    assert WebAuthnCredential.objects.get().name == "Laptop"


def _verify_page_with_passkey(client, user, enrolled):
    client.force_login(user)
    key = register(client, enrolled)
    client.logout()
    sign_in(client, user.email)
    page = client.get(reverse("twofactor:signin-verify"))
    assert "Use a passkey or security key" in text(page)
    assert_no_inline_script(page)
    return key


def test_sign_in_with_a_passkey(client, user, enrolled):
    key = _verify_page_with_passkey(client, user, enrolled)
    options = client.post(SIGNIN_OPTIONS).json()["options"]
    done = post_json(client, SIGNIN_PASSKEY, key.assert_(options))
    assert done.status_code == HTTPStatus.OK and done.json()["redirect"]
    assert is_signed_in(client)
    assert WebAuthnCredential.objects.get().sign_count == 1


def test_a_refused_assertion_is_a_counted_failure(client, user, enrolled):
    key = _verify_page_with_passkey(client, user, enrolled)
    options = client.post(SIGNIN_OPTIONS).json()["options"]
    done = post_json(client, SIGNIN_PASSKEY, key.assert_(options, tamper=True))
    assert done.status_code == HTTPStatus.BAD_REQUEST
    assert done.json()["error"].startswith("The passkey or security key was not accepted.")
    assert SignInChallenge.objects.get(completed_at=None).failed_attempts == 1
    assert not is_signed_in(client)
    # the challenge was spent with the failure: replaying a good answer needs new options
    assert post_json(client, SIGNIN_PASSKEY, key.assert_(options)).status_code == 400


def test_a_cloned_key_is_refused_at_sign_in(client, user, enrolled):
    key = _verify_page_with_passkey(client, user, enrolled)
    WebAuthnCredential.objects.update(sign_count=99)
    options = client.post(SIGNIN_OPTIONS).json()["options"]
    done = post_json(client, SIGNIN_PASSKEY, key.assert_(options))
    assert done.status_code == HTTPStatus.BAD_REQUEST
    assert AuditEvent.objects.filter(action=Action.PASSKEY_CLONE_REFUSED).count() == 1


def test_verify_page_without_passkeys_offers_none(client, user, enrolled):
    sign_in(client, user.email)
    page = text(client.get(reverse("twofactor:signin-verify")))
    assert "Use a passkey or security key" not in page and "passkeys.js" not in page
    response = client.post(SIGNIN_OPTIONS)
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_signin_endpoints_without_a_sign_in_send_to_the_login_page(client, user, enrolled):
    response = client.post(SIGNIN_OPTIONS)
    assert response.status_code == HTTPStatus.CONFLICT and response.json()["redirect"]
    response = post_json(client, SIGNIN_PASSKEY, "{}")
    assert response.status_code == HTTPStatus.CONFLICT


def test_reset_dialogs_say_passkeys_go_too_below_the_seed_message(admin_client, enrolled):
    seed = (
        "This will remove the user's authenticator app enrollment and all backup codes. "
        "The user will need to enroll again."
    )
    also = (
        "Their passkeys and security keys are removed too, and the browsers they trusted are no "
        "longer trusted."
    )
    page = text(admin_client.get(reverse("twofactor:setup-reset") + f"?user={enrolled.user.pk}"))
    assert seed in page and also in page and page.index(seed) < page.index(also)


def test_a_held_session_of_a_host_login_passes_with_a_passkey(client, user, enrolled):
    client.force_login(user)
    key = register(client, enrolled)
    client.logout()
    client.force_login_held(user)
    page = client.get(reverse("twofactor:signin-verify"))
    assert "Use a passkey or security key" in text(page)
    options = client.post(SIGNIN_OPTIONS)
    assert options.status_code == HTTPStatus.OK, options.content
    done = post_json(client, SIGNIN_PASSKEY, key.assert_(options.json()["options"]))
    assert done.status_code == HTTPStatus.OK, done.content
    assert client.get(reverse("twofactor:account")).status_code == HTTPStatus.OK


# --- enrollment with a key alone ----------------------------------------------------------------

ENROLL_OPTIONS = reverse("twofactor:signin-enroll-passkey-options")
ENROLL_PASSKEY = reverse("twofactor:signin-enroll-passkey")


def _enroll_page(client, user):
    sign_in(client, user.email)
    page = client.get(reverse("twofactor:signin-enroll"))
    assert page.status_code == HTTPStatus.OK
    return page


def test_enroll_page_offers_a_key_and_a_key_alone_enrolls_and_shows_the_codes(client, user, policy):
    page = _enroll_page(client, user)
    assert "Or use a passkey or security key" in text(page) and "passkeys.js" in text(page)
    assert_no_inline_script(page)
    started = client.post(ENROLL_OPTIONS, {"name": "Phone"})
    assert started.status_code == HTTPStatus.OK, started.content
    key = SoftAuthenticator()
    done = post_json(client, ENROLL_PASSKEY, key.register(started.json()["options"]))
    assert done.status_code == HTTPStatus.OK, done.content
    assert done.json() == {"redirect": reverse("twofactor:account-codes")}
    assert is_signed_in(client)
    codes_page = client.get(reverse("twofactor:account-codes"))
    assert len(backup_codes(codes_page)) == 10
    # the same answer again (a double click, a retried request): the same codes, not a second key
    assert post_json(client, ENROLL_PASSKEY, key.register(started.json()["options"])).json()[
        "redirect"
    ] == reverse("twofactor:account-codes")
    assert WebAuthnCredential.objects.filter(user=user).count() == 1
    # the next sign-in leads with the key (a backup code under "Try another way"), no code field
    client.logout()
    sign_in(client, user.email)
    verify = text(client.get(reverse("twofactor:signin-verify")))
    assert "Use your passkey or security key." in verify and 'name="code"' not in verify
    assert "autofocus" not in verify  # no keyboard opened on a phone
    assert 'href="?method=backup">Use a backup code</a>' in verify
    options = client.post(SIGNIN_OPTIONS).json()["options"]
    assert post_json(client, SIGNIN_PASSKEY, key.assert_(options)).status_code == HTTPStatus.OK
    assert is_signed_in(client)


def test_a_parallel_key_enrollment_that_loses_does_not_erase_the_shown_codes(
    client, user, policy, monkeypatch
):
    """The enrollment step's answer twice in flight (a replay, a retried request): the loser read
    the session before the winner moved it to its signed-in id with the codes; the loser's refusal
    must not save the stale copy and send the browser back to it. Forced interleaving: the winner
    runs, whole, inside the loser's service call."""
    from portal2fa.twofactor.passkeys import views

    _enroll_page(client, user)
    started = client.post(ENROLL_OPTIONS, {"name": "Phone"})
    answer = SoftAuthenticator().register(started.json()["options"])
    won = twin_runs_first(
        monkeypatch,
        views,
        "passkey_enroll",
        client,
        lambda twin: post_json(twin, ENROLL_PASSKEY, answer),
    )
    lost = post_json(client, ENROLL_PASSKEY, answer)
    assert won[0].json() == {"redirect": reverse("twofactor:account-codes")}
    assert lost.status_code == HTTPStatus.BAD_REQUEST
    assert is_signed_in(client)
    assert len(backup_codes(client.get(reverse("twofactor:account-codes")))) == 10


def test_enroll_page_without_passkeys_for_the_role_offers_none(client, user, policy):
    user.role.second_factor_methods = ["email"]
    user.role.save()
    page = text(_enroll_page(client, user))
    assert "Or use a passkey" not in page and "passkeys.js" not in page
    refused = client.post(ENROLL_OPTIONS, {"name": "Phone"})
    assert (
        refused.status_code == HTTPStatus.BAD_REQUEST and "not allowed" in refused.json()["error"]
    )


def test_enroll_endpoints_need_the_enrollment_step(client, user, enrolled):
    assert client.post(ENROLL_OPTIONS, {"name": "K"}).status_code == HTTPStatus.CONFLICT
    sign_in(client, user.email)  # enrolled: their step is verify, not enrollment
    response = client.post(ENROLL_OPTIONS, {"name": "K"})
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["redirect"] == reverse("twofactor:signin-verify")


@pytest.mark.parametrize("name", ["", "x" * 65, "tab\there\x00"])
def test_enroll_options_refuse_bad_names(client, user, policy, name):
    _enroll_page(client, user)
    response = client.post(ENROLL_OPTIONS, {"name": name})
    assert response.status_code == HTTPStatus.BAD_REQUEST and response.json()["error"]


@pytest.mark.parametrize("body", ["", "{}", "not json", '{"id": 5}'])
def test_enroll_garbage_answers_are_a_400_and_change_nothing(client, user, policy, body):
    _enroll_page(client, user)
    client.post(ENROLL_OPTIONS, {"name": "Phone"})
    response = post_json(client, ENROLL_PASSKEY, body)
    assert response.status_code == HTTPStatus.BAD_REQUEST and response.json()["error"]
    assert not WebAuthnCredential.objects.exists() and not is_signed_in(client)


def test_the_only_key_cannot_be_removed_from_the_personal_page(client, user, policy):
    _enroll_page(client, user)
    started = client.post(ENROLL_OPTIONS, {"name": "Phone"})
    post_json(client, ENROLL_PASSKEY, SoftAuthenticator().register(started.json()["options"]))
    credential = WebAuthnCredential.objects.get(user=user)
    response = client.post(REMOVE, {"passkey": credential.pk}, follow=True)
    assert "This is your only passkey or security key" in text(response)
    assert WebAuthnCredential.objects.filter(pk=credential.pk).exists()


def test_a_held_session_of_a_host_login_can_enroll_with_a_key(client, user, policy):
    client.force_login_held(user)
    assert client.get(reverse("twofactor:signin-enroll")).status_code == HTTPStatus.OK
    started = client.post(ENROLL_OPTIONS, {"name": "Phone"})
    assert started.status_code == HTTPStatus.OK, started.content
    done = post_json(
        client, ENROLL_PASSKEY, SoftAuthenticator().register(started.json()["options"])
    )
    assert done.status_code == HTTPStatus.OK, done.content
    assert client.get(reverse("twofactor:account")).status_code == HTTPStatus.OK


def test_the_admin_user_view_names_the_methods_a_reset_removes(admin_client, user, policy):
    browser = Client()  # the user's own browser
    _enroll_page(browser, user)
    started = browser.post(ENROLL_OPTIONS, {"name": "Phone"})
    post_json(browser, ENROLL_PASSKEY, SoftAuthenticator().register(started.json()["options"]))
    page = text(admin_client.get(reverse("twofactor:setup-user", args=[user.pk])))
    assert 'data-testid="state">Enrolled<' in page
    assert 'data-testid="methods">Passkey / security key (1)<' in page
    assert 'data-testid="codes-remaining">10 of 10<' in page
    events = AuditEvent.objects.filter(target_id=user.pk, action=Action.PASSKEY_ADDED)
    assert events.count() == 1 and "Passkey added" in page


def test_switching_passkeys_off_warns_of_users_who_have_nothing_else(
    admin_client, user, policy, capsys
):
    from portal2fa.cli import main
    from portal2fa.twofactor.models import TwoFactorSettings

    browser = Client()
    _enroll_page(browser, user)
    started = browser.post(ENROLL_OPTIONS, {"name": "Phone"})
    post_json(browser, ENROLL_PASSKEY, SoftAuthenticator().register(started.json()["options"]))
    warning = (
        "1 user enrolled with a passkey alone can no longer use it: they sign in with a backup "
        "code, which lets them set up an authenticator app."
    )
    assert main(["settings", "set", "passkeys", "false"]) == 0
    assert warning in capsys.readouterr().err
    TwoFactorSettings.objects.filter(pk=1).update(passkeys_allowed=True)
    # the Settings tab: the Methods section posted without the passkey switch (turned off)
    saved = admin_client.post(
        reverse("twofactor:setup-settings"), form_data(methods_shown="1"), follow=True
    )
    assert "Settings saved." in text(saved) and warning in text(saved)
    assert not TwoFactorSettings.objects.get(pk=1).passkeys_allowed


def test_a_role_that_stops_counting_passkeys_warns_of_its_users_who_have_nothing_else(
    admin_client, make_user, make_role, policy
):
    """Review leftover: the site switch warned, the per-role column did not."""
    from portal2fa.accounts.models import SecurityRole

    staff = make_role("Staff", requires_2fa=True)
    make_role("Contractors", requires_2fa=True)
    browser = Client()
    _enroll_page(browser, make_user("kim@example.com", role=staff))
    started = browser.post(ENROLL_OPTIONS, {"name": "Phone"})
    post_json(browser, ENROLL_PASSKEY, SoftAuthenticator().register(started.json()["options"]))
    everyone_else = [
        str(pk) for pk in SecurityRole.objects.exclude(pk=staff.pk).values_list("pk", flat=True)
    ]
    saved = admin_client.post(
        reverse("twofactor:setup-settings"),
        form_data(methods_shown="1", passkeys_allowed="on", roles_allowing_passkey=everyone_else),
        follow=True,
    )
    assert "Settings saved." in text(saved)
    assert (
        "1 user enrolled with a passkey alone in Staff may no longer use it: they sign in with a "
        "backup code, which lets them set up an authenticator app." in text(saved)
    )
    # a role none of whose users has only a key: no warning
    nobody = [
        pk for pk in everyone_else if pk != str(SecurityRole.objects.get(name="Contractors").pk)
    ]
    saved = admin_client.post(
        reverse("twofactor:setup-settings"),
        form_data(methods_shown="1", passkeys_allowed="on", roles_allowing_passkey=nobody),
        follow=True,
    )
    assert "Settings saved." in text(saved) and "may no longer use it" not in text(saved)


# --- voluntary enrollment with a key from the personal page ---------------------------------------

ACCOUNT_ENROLL_OPTIONS = reverse("twofactor:account-enroll-passkey-options")
ACCOUNT_ENROLL = reverse("twofactor:account-enroll-passkey")


def test_a_user_without_2fa_enrolls_with_a_key_from_the_personal_page(
    client, make_user, make_role, policy
):
    """Walkthrough finding: a role without 2FA that allows passkeys (Olly) could only add an app."""
    olly = make_user("olly@example.com", role=make_role("Customers", requires_2fa=False))
    client.force_login(olly)
    page = text(client.get(reverse("twofactor:account")))
    assert "Or use a passkey or security key" in page
    started = client.post(ACCOUNT_ENROLL_OPTIONS, {"name": "Laptop"})
    assert started.status_code == HTTPStatus.OK, started.content
    key = SoftAuthenticator()
    answer = key.register(started.json()["options"])
    done = post_json(client, ACCOUNT_ENROLL, answer)
    assert done.status_code == HTTPStatus.OK, done.content
    assert done.json() == {"redirect": reverse("twofactor:account-codes")}
    assert len(backup_codes(client.get(reverse("twofactor:account-codes")))) == 10
    # the same answer again (a lost response, a second click): the same codes, not a second key
    again = post_json(client, ACCOUNT_ENROLL, answer)
    assert again.json() == {"redirect": reverse("twofactor:account-codes")}
    enrollment = Authenticator.objects.get(user=olly)
    assert enrollment.confirmed_at and not enrollment.has_app and enrollment.passkeys == 1
    assert WebAuthnCredential.objects.filter(user=olly).count() == 1
    assert counters.drift() == {}
    # from now on the key is asked at sign-in
    client.logout()
    sign_in(client, olly.email)
    options = client.post(SIGNIN_OPTIONS).json()["options"]
    assert post_json(client, SIGNIN_PASSKEY, key.assert_(options)).status_code == HTTPStatus.OK


def test_voluntary_key_enrollment_is_refused_when_enrolled_or_not_allowed(
    client, user, enrolled, make_user, make_role
):
    client.force_login(user)  # enrolled with the app: refused before the browser makes a key
    started = client.post(ACCOUNT_ENROLL_OPTIONS, {"name": "Laptop"})
    assert started.status_code == HTTPStatus.BAD_REQUEST
    assert started.json()["error"] == "You have already set up two-factor authentication."
    assert "portal2fa_passkey_account_enroll" not in client.session
    assert not WebAuthnCredential.objects.exists()
    role = make_role("No keys", requires_2fa=False)
    role.second_factor_methods = []
    role.save()
    other = Client()
    other.force_login(make_user("nokeys@example.com", role=role))
    assert "Or use a passkey" not in text(other.get(reverse("twofactor:account")))
    refused = other.post(ACCOUNT_ENROLL_OPTIONS, {"name": "Laptop"})
    assert (
        refused.status_code == HTTPStatus.BAD_REQUEST and "not allowed" in refused.json()["error"]
    )
    assert other.post(ACCOUNT_ENROLL, "{}", content_type="application/json").status_code == 400


def test_a_replayed_answer_that_loses_the_race_does_not_erase_the_shown_codes(
    client, make_user, make_role, policy, monkeypatch
):
    """Two requests with one answer in flight at once (a replay, a retried request): the one that
    loses reads the session before the winner saves its codes there. Its refusal must not save
    that stale session over the winner's, or the codes the user must keep are gone. The
    interleaving is forced: the winner runs, whole, inside the loser's service call."""
    from portal2fa.twofactor.passkeys import views

    olly = make_user("olly@example.com", role=make_role("Customers", requires_2fa=False))
    client.force_login(olly)
    started = client.post(ACCOUNT_ENROLL_OPTIONS, {"name": "Laptop"})
    answer = SoftAuthenticator().register(started.json()["options"])
    won = twin_runs_first(
        monkeypatch,
        views,
        "passkey_enroll_signed_in",
        client,
        lambda twin: post_json(twin, ACCOUNT_ENROLL, answer),
    )
    loser = post_json(client, ACCOUNT_ENROLL, answer)
    assert won[0].json() == {"redirect": reverse("twofactor:account-codes")}
    assert loser.status_code == HTTPStatus.BAD_REQUEST
    assert loser.json()["error"] == "You have already set up two-factor authentication."
    assert len(backup_codes(client.get(reverse("twofactor:account-codes")))) == 10
