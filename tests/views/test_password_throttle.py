"""The password step's throttle: no lockout by strangers (device cookies), one canonical email for
lookup, uniqueness and the limit, and throttle rows of unknown emails pruned. These run on SQLite
and, with DATABASE_URL, on PostgreSQL (where UPPER('ı') = 'I' made 'alıce' reach 'alice')."""

import importlib
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.apps import apps
from django.core import signing
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal2fa.accounts.models import User
from portal2fa.accounts.services import AccountError, user_create
from portal2fa.twofactor.core.canonical import canonical_identifier
from portal2fa.twofactor.machinery.throttle import RETENTION, throttle_prune
from portal2fa.twofactor.models import ThrottleEvent, ThrottleKey

from .helpers import is_signed_in, sign_in, text

INVALID = "The email or password is incorrect."
THROTTLED = "Too many failed sign-in attempts."
COOKIE = "portal2fa_device"


@pytest.fixture
def limit_3(settings):
    settings.PORTAL2FA_PASSWORD_FAILURES_PER_ACCOUNT = 3
    settings.PORTAL2FA_PASSWORD_FAILURES_PER_DEVICE = 3


# --- one canonical email -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "ALICE@example.com",
        "alıce@example.com",
        "alice@EXAMPLE.COM",
        "ａｌｉｃｅ@example.com",
        "aliｃe@example.com",
    ],
)
def test_canonical_identifier_folds_look_alikes(spelling):
    assert canonical_identifier(spelling) == "alice@example.com"


def test_long_s_and_kelvin_fold_too():
    assert canonical_identifier("ſam@example.com") == canonical_identifier("SAM@example.com")
    assert canonical_identifier("\u212aim@example.com") == "kim@example.com"


@pytest.mark.django_db
def test_look_alike_spellings_share_the_account_limit(client, user, limit_3):
    """Before: each spelling had its own limit on PostgreSQL and signed in to the same account."""
    for n, spelling in enumerate(["alıce@example.com", "ALIce@example.com", "alıce@EXAMPLE.COM"]):
        response = sign_in(Client(), spelling, "wrong", REMOTE_ADDR=f"10.0.1.{n}")
        assert INVALID in text(response)
    response = sign_in(client, "alice@example.com", REMOTE_ADDR="10.0.1.99")
    assert THROTTLED in text(response)
    # one account key, three addresses: the refused attempt leaves no row (it records nothing)
    assert ThrottleKey.objects.count() == 4


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "spelling"),
    [("alice@example.com", "alıce@EXAMPLE.com"), ("sam@example.com", "ſam@example.com")],
)
def test_a_look_alike_spelling_signs_in_to_the_one_account(client, make_user, email, spelling):
    make_user(email)
    response = sign_in(client, spelling)
    assert response.status_code == HTTPStatus.FOUND and is_signed_in(client)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "spelling",
    ["ALICE@example.com", "alıce@example.com", "ａlice@example.com"],
)
def test_a_look_alike_spelling_cannot_create_a_second_account(user, admin_user, spelling):
    with pytest.raises(AccountError):  # "already exists" (or not a valid address: fullwidth)
        user_create(
            actor=admin_user,
            email=spelling,
            full_name="Mallory",
            role=user.role,
            password=None,
            at=timezone.now(),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email=spelling, full_name="Mallory", role=user.role)
    assert User.objects.filter(full_name="Mallory").count() == 0


@pytest.mark.django_db
def test_lookup_and_bulk_create_use_the_canonical_email(make_role):
    role = make_role()
    User.objects.bulk_create([User(email="Bob@Example.com", full_name="Bob", role=role)])
    bob = User.objects.get_by_natural_key("ｂob@example.COM")
    assert bob.email_canonical == "bob@example.com"
    bob.email = "Robert@example.com"
    bob.save(update_fields=["email"])
    assert User.objects.canonical("ROBERT@example.com") == bob


@pytest.mark.django_db
def test_the_migration_names_existing_rows_that_collide(user, make_user):
    migration = importlib.import_module("portal2fa.accounts.migrations.0004_user_email_canonical")
    other = make_user("bob@example.com")
    migration.fill_canonical_emails(apps, None)  # no collision: fills, changes nothing
    assert User.objects.get(pk=other.pk).email_canonical == "bob@example.com"
    # a row written before the column existed, in a look-alike spelling of alice's email
    User.objects.filter(pk=other.pk).update(email="ａlice@example.com")
    with pytest.raises(migration.SpellingCollision, match="alice@example.com"):
        migration.fill_canonical_emails(apps, None)


# --- no lockout by strangers -------------------------------------------------------------------


@pytest.mark.django_db
def test_strangers_do_not_lock_out_the_owners_known_browser(user, limit_3):
    owner, stranger = Client(), Client()
    assert sign_in(owner, user.email).status_code == HTTPStatus.FOUND  # 2FA off: signed in
    cookie = owner.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    assert "alice" not in cookie.value.lower()  # names the account by a keyed hash only
    owner.post(reverse("twofactor:signout"))  # Client.logout() drops cookies
    for n in range(10):  # strangers, from anywhere
        sign_in(Client(), user.email, "wrong", REMOTE_ADDR=f"203.0.113.{n}")
    assert THROTTLED in text(sign_in(stranger, user.email))  # untrusted: the shared budget
    response = sign_in(owner, user.email)  # the owner's browser: its own budget
    assert response.status_code == HTTPStatus.FOUND and is_signed_in(owner)


@pytest.mark.django_db
def test_the_known_browser_has_its_own_limit(user, limit_3):
    owner = Client()
    sign_in(owner, user.email)
    owner.post(reverse("twofactor:signout"))  # Client.logout() drops cookies
    for _ in range(3):
        assert INVALID in text(sign_in(owner, user.email, "wrong"))
    assert THROTTLED in text(sign_in(owner, user.email))
    assert is_signed_in(Client()) is False
    assert sign_in(Client(), user.email).status_code == HTTPStatus.FOUND  # others: unaffected


@pytest.mark.django_db
def test_a_cookie_for_another_account_or_forged_is_untrusted(user, make_user, limit_3):
    bob = make_user("bob@example.com")
    browser = Client()
    sign_in(browser, bob.email)
    browser.post(reverse("twofactor:signout"))
    for n in range(3):
        sign_in(Client(), user.email, "wrong", REMOTE_ADDR=f"203.0.113.{n}")
    assert THROTTLED in text(sign_in(browser, user.email))  # bob's cookie: not alice's browser
    forged = Client()
    forged.cookies[COOKIE] = signing.dumps({"a": "x" * 64, "d": "y" * 24}, salt="other")
    assert THROTTLED in text(sign_in(forged, user.email))


@pytest.mark.django_db
def test_the_cookie_is_secure_over_https(client, user):
    assert sign_in(client, user.email, secure=True).status_code == HTTPStatus.FOUND
    assert client.cookies[COOKIE]["secure"]


@pytest.mark.django_db
def test_the_cookie_comes_only_after_the_second_factor(client, enrolled):
    sign_in(client, enrolled.user.email)  # held at the second factor
    assert COOKIE not in client.cookies
    client.post(reverse("twofactor:signin-verify"), {"code": enrolled.code(timezone.now())})
    assert is_signed_in(client) and client.cookies[COOKIE].value


# --- pruning -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rows_of_emails_never_tried_again_are_pruned(client, settings):
    settings.PORTAL2FA_PASSWORD_FAILURES_PER_ADDRESS = 1000
    for n in range(5):
        sign_in(client, f"nobody{n}@example.com", "wrong")
    assert ThrottleEvent.objects.count() == 10 and ThrottleKey.objects.count() == 6
    old = timezone.now() - RETENTION - timedelta(minutes=1)
    ThrottleEvent.objects.update(at=old)
    ThrottleKey.objects.update(last_at=old)
    sign_in(client, "someone@example.com", "wrong", REMOTE_ADDR="10.9.9.9")  # any later hit
    assert ThrottleEvent.objects.count() == 2 and ThrottleKey.objects.count() == 2
    assert throttle_prune(at=timezone.now(), batch=10) == 0


@pytest.mark.django_db
def test_pruning_is_bounded_per_hit():
    old = timezone.now() - RETENTION - timedelta(hours=1)
    ThrottleEvent.objects.bulk_create(ThrottleEvent(key=f"k{n}", at=old) for n in range(250))
    assert throttle_prune(at=timezone.now()) == 100
    assert ThrottleEvent.objects.count() == 150
