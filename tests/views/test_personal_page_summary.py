"""The personal page leads with what the user signs in with, then one list of their methods
(the strongest first); the passkey confirmation sits in that list, folded away for users who
have a code anyway."""

import re

import pytest
from django.urls import reverse

from portal2fa.twofactor.models import TwoFactorSettings

from .helpers import text
from .test_passkey_pages import register
from .test_personal_page_key_only import key_only as key_only  # noqa: F401 - the fixture

ACCOUNT = reverse("twofactor:account")


@pytest.fixture(autouse=True)
def passkeys_switched_on(policy):
    TwoFactorSettings.objects.filter(pk=1).update(passkeys_allowed=True)


def _page(client) -> str:
    return client.get(ACCOUNT).content.decode()


def _summary(page: str) -> str:
    found = re.search(r'data-testid="summary">(.*?)</p>', page, re.S).group(1)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", "", found)).strip()


def _methods_order(page: str) -> list[str]:
    return re.findall(r'data-testid="method-([a-z-]+)"', page)


def test_a_key_only_user_reads_the_passkey_first(client, user, key_only):  # noqa: F811
    page = _page(client)
    assert _summary(page).startswith("You sign in with: passkey ×1 · 10 backup codes")
    assert _methods_order(page) == ["passkeys", "app", "backup-codes"]
    assert page.index('data-testid="summary"') < page.index('id="methods-heading"')
    # nothing to confirm with but the key: the confirmation stands open in the list
    card = page[page.index('id="methods-heading"') :]
    assert card.index('data-testid="confirm-step"') < card.index('data-testid="methods"')
    assert "<details>" not in card.split('data-testid="methods"')[0]


def test_an_app_user_with_a_key_reads_all_of_it_on_one_line(client, user, enrolled):
    client.force_login(user)
    register(client, enrolled, "Laptop")
    page = _page(client)
    assert _summary(page).startswith(
        "You sign in with: passkey ×1 · authenticator app · 10 backup codes"
    )
    assert _methods_order(page) == ["passkeys", "app", "backup-codes"]
    # a code works for every change: the passkey confirmation is offered folded away
    assert '<details><summary><span id="confirm-heading">' in page


def test_an_app_user_without_keys_reads_the_app_first(client, enrolled):
    client.force_login(enrolled.user)
    page = _page(client)
    assert _summary(page).startswith("You sign in with: authenticator app · 10 backup codes")
    assert _methods_order(page)[:2] == ["app", "backup-codes"]


def test_a_user_not_enrolled_reads_password_alone(client, user, policy):
    client.force_login(user)
    assert _summary(_page(client)) == "You sign in with: your password alone"
    assert "Set up authenticator app" in text(client.get(ACCOUNT))
