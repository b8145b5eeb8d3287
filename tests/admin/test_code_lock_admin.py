"""The account's code budget for administrators: the Overview's "Locked by invalid codes" list,
its Unlock button and `portal2fa enrollment unlock`."""

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.cli import main
from portal2fa.twofactor.models import CodeGuessBudget

from .helpers import messages_of, table_rows, text

OVERVIEW = "twofactor:setup-overview"
UNLOCK = "twofactor:setup-unlock"


@pytest.fixture
def locked(user, enroll, policy):
    """Alice, enrolled, her second factor locked by invalid codes an hour ago."""
    enroll(user)
    CodeGuessBudget.objects.create(
        user=user, consecutive_failures=100, locked_at=timezone.now() - timezone.timedelta(hours=1)
    )
    return user


def test_the_overview_lists_locked_users_with_an_unlock_button(admin_client, locked):
    response = admin_client.get(reverse(OVERVIEW))
    assert response.status_code == HTTPStatus.OK
    assert "Locked by invalid codes" in text(response)
    rows = table_rows(response, "list-code-locked")
    assert [row[:2] for row in rows] == [["Alice Example", "alice@example.com"]]
    assert f'action="{reverse(UNLOCK)}"' in response.content.decode()


def test_no_list_when_nobody_is_locked(admin_client, policy):
    assert "Locked by invalid codes" not in text(admin_client.get(reverse(OVERVIEW)))


def test_unlock_posts_audits_and_empties_the_list(admin_client, admin_user, locked):
    response = admin_client.post(reverse(UNLOCK), {"user": locked.pk}, follow=True)
    assert messages_of(response) == [
        "Two-factor authentication for Alice Example <alice@example.com> is unlocked."
    ]
    assert not CodeGuessBudget.objects.filter(pk=locked.pk).exists()
    event = AuditEvent.objects.get(action=Action.CODE_UNLOCKED)
    assert (event.actor, event.target) == (admin_user, locked)
    assert "Locked by invalid codes" not in text(response)
    again = admin_client.post(reverse(UNLOCK), {"user": locked.pk}, follow=True)
    assert messages_of(again) == ["Two-factor authentication for Alice Example is not locked."]


def test_unlock_refuses_get_non_admins_and_missing_csrf(client, make_user, admin_user, locked):
    assert Client().post(reverse(UNLOCK), {"user": locked.pk}).status_code == HTTPStatus.FOUND
    client.force_login(make_user("bob@example.com"))
    assert client.post(reverse(UNLOCK), {"user": locked.pk}).status_code == HTTPStatus.FORBIDDEN
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user)
    assert strict.post(reverse(UNLOCK), {"user": locked.pk}).status_code == HTTPStatus.FORBIDDEN
    admin = Client()
    admin.force_login(admin_user)
    assert admin.get(reverse(UNLOCK)).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert CodeGuessBudget.objects.get(pk=locked.pk).locked_at is not None


def test_csv_export_of_the_locked_list(admin_client, locked):
    response = admin_client.get(reverse("twofactor:setup-export", args=["code-locked"]))
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0] == "Name,Email,Locked Since"
    assert "alice@example.com" in body


def test_cli_unlock(capsys, locked):
    assert main(["enrollment", "unlock", "alice@example.com"]) == 2
    assert "--yes" in capsys.readouterr().err
    assert CodeGuessBudget.objects.get(pk=locked.pk).locked_at is not None
    assert main(["overview"]) == 0
    assert "Locked by invalid codes  1" in capsys.readouterr().out
    assert main(["enrollment", "unlock", "ALICE@example.com", "--yes"]) == 0
    assert "is unlocked" in capsys.readouterr().out
    assert not CodeGuessBudget.objects.filter(pk=locked.pk).exists()
    assert AuditEvent.objects.filter(action=Action.CODE_UNLOCKED, actor=None).count() == 1
    assert main(["enrollment", "unlock", "alice@example.com", "--yes"]) == 2
    assert "is not locked" in capsys.readouterr().err
