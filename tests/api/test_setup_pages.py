"""Setup → API tokens and Setup → Webhooks: administrators only; a new token or secret shown once;
revoke, remove and replay audited; the CLI does the same."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from portal2fa.api.models import ApiToken, DeliveryStatus, WebhookMessage
from portal2fa.audit.models import Action, AuditEvent

from ..admin.helpers import table_rows

TOKENS = reverse("portal2fa_api:setup-tokens")
WEBHOOKS = reverse("portal2fa_api:setup-webhooks")


@pytest.mark.parametrize("url", [TOKENS, WEBHOOKS])
def test_only_administrators(client, user, url):
    assert client.get(url).status_code == 302  # to sign in
    client.force_login(user)
    assert client.get(url).status_code == 403


def test_a_token_is_shown_once_then_listed_with_its_last_use(admin_client, admin_user, api):
    response = admin_client.post(
        TOKENS, {"create": "1", "name": "helpdesk", "scopes": ["read", "reset"]}, follow=True
    )
    page = response.content.decode()
    secret = page.split('data-role="secret">')[1].split("<")[0]
    assert secret.startswith("p2fa_")
    assert secret not in admin_client.get(TOKENS).content.decode()  # once
    assert api(secret).get("settings").status_code == 200
    rows = table_rows(admin_client.get(TOKENS), "tokens-table")
    assert rows[0][0] == "helpdesk" and rows[0][2] == "read, reset" and rows[0][4] != "Never"
    created = AuditEvent.objects.get(action=Action.API_TOKEN_CREATED)
    assert created.actor == admin_user and secret not in str(created.detail)


def test_bad_token_input_gets_a_message_not_a_token(admin_client):
    response = admin_client.post(TOKENS, {"create": "1", "name": "", "scopes": []})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not ApiToken.objects.exists()
    admin_client.post(TOKENS, {"create": "1", "name": "twice", "scopes": ["read"]})
    again = admin_client.post(TOKENS, {"create": "1", "name": "twice", "scopes": ["read"]})
    assert "exists" in again.content.decode() and ApiToken.objects.count() == 1


def test_revoke(admin_client, make_token, api):
    secret = make_token("read", name="old")
    token = ApiToken.objects.get(name="old")
    response = admin_client.post(TOKENS, {"revoke": token.pk}, follow=True)
    assert "The token old has been revoked." in response.content.decode()
    assert api(secret).get("settings").status_code == 401
    assert AuditEvent.objects.filter(action=Action.API_TOKEN_REVOKED).exists()
    again = admin_client.post(TOKENS, {"revoke": token.pk}, follow=True)
    assert "already revoked" in again.content.decode()


def test_an_endpoint_is_added_with_its_secret_shown_once(admin_client, settings):
    settings.PORTAL2FA_WEBHOOK_ALLOW_PRIVATE = True
    response = admin_client.post(
        WEBHOOKS,
        {
            "add": "1",
            "name": "siem",
            "url": "http://127.0.0.1:9/hook",
            "event_types": ["enrollment.reset"],
        },
        follow=True,
    )
    assert "whsec_" in response.content.decode()
    assert "whsec_" not in admin_client.get(WEBHOOKS).content.decode()
    rows = table_rows(admin_client.get(WEBHOOKS), "endpoints-table")
    assert rows[0][:3] == ["siem", "http://127.0.0.1:9/hook", "enrollment.reset"]


def test_an_internal_url_is_refused_on_the_page(admin_client):
    response = admin_client.post(
        WEBHOOKS, {"add": "1", "name": "x", "url": "http://169.254.169.254/"}
    )
    assert response.status_code == 400
    assert "link-local" in response.content.decode()


def test_failed_deliveries_are_listed_and_replayed(admin_client, receiver, enrolled):
    from django.utils import timezone

    from portal2fa.api.services.webhooks import endpoint_create
    from portal2fa.twofactor.services.enrollment import enrollment_reset

    endpoint_create(
        actor=None,
        name="siem",
        url=receiver.url,
        event_types=["enrollment.reset"],
        at=timezone.now(),
    )
    enrollment_reset(actor=None, user=enrolled.user, at=timezone.now())
    WebhookMessage.objects.update(status=DeliveryStatus.FAILED, attempts=8, last_error="HTTP 503")
    rows = table_rows(admin_client.get(WEBHOOKS), "failed-table")
    assert rows[0][1:3] == ["siem", "enrollment.reset"] and rows[0][-1] == "HTTP 503"
    response = admin_client.post(WEBHOOKS, {"replay": "1"}, follow=True)
    assert "1 failed delivery queued again." in response.content.decode()
    assert WebhookMessage.objects.get().status == DeliveryStatus.PENDING
    assert AuditEvent.objects.get(action=Action.WEBHOOK_REPLAYED).detail == {"deliveries": 1}


def test_the_cli_creates_lists_and_revokes_tokens(db, capsys, api):
    call_command("portal2fa", "token", "create", "ci", "--scope", "read", "--expires-days", "30")
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("p2fa_") and api(secret).get("settings").status_code == 200
    call_command("portal2fa", "token", "list")
    listed = capsys.readouterr().out
    assert "ci" in listed and secret not in listed
    with pytest.raises(CommandError):
        call_command("portal2fa", "token", "create", "bad", "--scope", "everything")
    assert "unknown scope 'everything'" in capsys.readouterr().err
    call_command("portal2fa", "token", "revoke", "ci")
    assert api(secret).get("settings").status_code == 401
    with pytest.raises(CommandError):
        call_command("portal2fa", "token", "revoke", "ci")
