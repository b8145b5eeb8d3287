"""The admin API over the same services as the pages: scopes, problem details, cursors, audit
under the token's name, throttling, and the OpenAPI 3.1 document."""

import json
from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from openapi_spec_validator import validate

from portal2fa.api.models import ApiCallWindow, ApiToken
from portal2fa.api.services.tokens import token_revoke
from portal2fa.audit.models import Action, AuditEvent
from portal2fa.twofactor.models import Authenticator, CodeGuessBudget, TwoFactorSettings

PROBLEM = "application/problem+json"


def problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("urn:")
    return body


def test_without_a_token_every_call_is_401_with_a_problem(api, db):
    body = problem(api(None).get("users"), 401)
    assert "Bearer" in body["detail"]


def test_a_signed_in_administrators_session_cookie_is_not_enough(admin_client, db):
    """Bearer only: a browser's session (so a third-party page riding on it) gets nowhere."""
    response = admin_client.get("/api/two-factor/v1/users")
    assert response.status_code == 401
    response = admin_client.post(
        "/api/two-factor/v1/users/1/reset", "{}", content_type="application/json"
    )
    assert response.status_code == 401


def test_wrong_revoked_and_expired_tokens_are_401(api, make_token):
    assert api("p2fa_not-a-token").get("users").status_code == 401
    expired = make_token("read", name="old", expires_at=timezone.now() + timedelta(seconds=1))
    with pytest.MonkeyPatch.context() as patch:
        later = timezone.now() + timedelta(minutes=1)
        patch.setattr(timezone, "now", lambda: later)
        assert api(expired).get("users").status_code == 401
    live = make_token("read", name="soon revoked")
    assert api(live).get("users").status_code == 200
    token_revoke(
        actor=None, token_id=ApiToken.objects.get(name="soon revoked").pk, at=timezone.now()
    )
    assert api(live).get("users").status_code == 401


def test_only_the_keyed_hash_of_a_token_is_stored(make_token):
    secret = make_token("read", name="stored")
    row = ApiToken.objects.get(name="stored")
    assert secret not in json.dumps(list(ApiToken.objects.values()), default=str)
    assert row.digest != secret and len(row.digest) == 64
    assert secret not in json.dumps(list(AuditEvent.objects.values("detail")), default=str)


def test_a_read_token_gets_403_on_every_write(api, make_token, enrolled):
    read = api(make_token("read"))
    pk = enrolled.user.pk
    for response in (
        read.post(f"users/{pk}/reset", {"reason": "x"}),
        read.post(f"users/{pk}/unlock"),
        read.patch("settings", {"max_invalid_attempts": 3}),
        read.patch("roles/Staff", {"requires_2fa": False}),
    ):
        assert "scope" in problem(response, 403)["detail"]
    assert Authenticator.objects.filter(user=enrolled.user).exists()
    assert problem(read.get("audit"), 403)


def test_reset_through_the_api_is_the_pages_reset_audited_under_the_token(
    api, make_token, enrolled, client, django_capture_on_commit_callbacks
):
    helpdesk = api(make_token("reset", name="helpdesk"))
    with django_capture_on_commit_callbacks(execute=True):
        response = helpdesk.post(f"users/{enrolled.user.pk}/reset", {"reason": "ticket 42"})
    assert response.status_code == 200, response.content
    assert response.json()["backup_codes"] == 10
    assert not Authenticator.objects.filter(user=enrolled.user).exists()
    event = AuditEvent.objects.get(action=Action.ENROLLMENT_RESET)
    assert event.actor is None and event.actor_token == "helpdesk"
    assert event.detail["reason"] == "ticket 42"
    assert len(mail.outbox) == 1 and enrolled.user.email in mail.outbox[0].to  # the notice
    again = helpdesk.post(f"users/{enrolled.user.pk}/reset")
    assert problem(again, 409)["detail"]
    assert problem(helpdesk.post("users/999999/reset"), 404)


def test_the_audit_log_page_names_the_token(api, make_token, enrolled, admin_client):
    api(make_token("reset", name="helpdesk")).post(f"users/{enrolled.user.pk}/reset")
    page = admin_client.get(reverse("twofactor:audit-log"), {"action": Action.ENROLLMENT_RESET})
    assert page.status_code == 200
    assert "API token helpdesk" in page.content.decode()
    csv = b"".join(admin_client.get(reverse("twofactor:audit-export")).streaming_content)
    assert b"API token helpdesk" in csv


def test_every_call_is_audited_with_the_tokens_name(api, make_token, db):
    caller = api(make_token("read", name="dashboard"))
    caller.get("overview")
    caller.get("settings")
    calls = AuditEvent.objects.filter(action=Action.API_CALL).order_by("id")
    assert [(e.actor_token, e.detail) for e in calls] == [
        ("dashboard", {"method": "GET", "path": "/api/two-factor/v1/overview"}),
        ("dashboard", {"method": "GET", "path": "/api/two-factor/v1/settings"}),
    ]
    # a refused call is audited too
    assert caller.post(f"users/{calls[0].pk}/reset").status_code == 403
    assert AuditEvent.objects.filter(action=Action.API_CALL).count() == 3
    # the name ends with the call: a later event outside the API names no token
    from portal2fa.audit.services import record

    assert record(Action.SETTINGS_CHANGED).actor_token == ""


def test_the_users_list_filters_by_state_and_role_and_pages_by_cursor(
    api, make_token, make_user, make_role, enroll, policy
):
    from portal2fa.twofactor.services.enrollment import enrollment_begin

    finance, staff = make_role("Finance"), make_role("Staff")
    pending = [make_user(f"p{n}@example.com", role=finance) for n in range(5)]
    for user in pending:
        enrollment_begin(user=user, at=timezone.now())
    enroll(make_user("e@example.com", role=finance))
    make_user("n@example.com", role=finance)
    enrollment_begin(user=make_user("other@example.com", role=staff), at=timezone.now())
    reader = api(make_token("read"))
    seen, cursor = [], ""
    while True:
        page = reader.get("users", state="pending", role="finance", limit=2, cursor=cursor).json()
        assert len(page["users"]) <= 2
        seen += [row["email"] for row in page["users"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [u.email for u in pending]
    assert {r["state"] for r in reader.get("users", role="Finance").json()["users"]} == {
        "pending",
        "enrolled",
        "not_started",
    }
    assert [r["email"] for r in reader.get("users", method="totp").json()["users"]] == [
        "e@example.com"
    ]
    assert "The state is enrolled" in problem(reader.get("users", state="bogus"), 400)["detail"]
    assert "No Security Role" in problem(reader.get("users", role="Nope"), 400)["detail"]
    assert "The method is" in problem(reader.get("users", method="sms"), 400)["detail"]
    assert "damaged" in problem(reader.get("users", cursor="!!"), 400)["detail"]
    assert problem(reader.get("users", limit="many"), 422)["errors"]


def test_the_overview_is_the_pages_json(api, make_token, enrolled, admin_client):
    from_api = api(make_token("read")).get("overview").json()
    from_page = admin_client.get(reverse("twofactor:setup-overview-json")).json()
    assert from_api == from_page


def test_one_users_detail(api, make_token, enrolled):
    reader = api(make_token("read"))
    detail = reader.get(f"users/{enrolled.user.pk}").json()
    assert detail["email"] == enrolled.user.email and detail["state"] == "enrolled"
    assert detail["codes_remaining"] == 10
    assert problem(reader.get("users/nobody"), 404)


def test_settings_and_roles_change_through_the_settings_service(api, make_token, make_role, policy):
    make_role("Finance", requires_2fa=False)
    admin = api(make_token("settings", "read", name="ops"))
    response = admin.patch("settings", {"max_invalid_attempts": 3})
    assert response.status_code == 200, response.content
    assert response.json()["changes"] == {"max_invalid_attempts": [5, 3]}
    assert TwoFactorSettings.objects.get().max_invalid_attempts == 3
    bad = problem(admin.patch("settings", {"max_invalid_attempts": 99}), 422)
    assert "max_invalid_attempts" in bad["errors"]
    assert problem(admin.patch("settings", {"nonsense": 1}), 422)
    role = admin.patch("roles/Finance", {"requires_2fa": True}).json()
    assert role["requires_2fa"] is True
    assert {r["name"]: r["requires_2fa"] for r in admin.get("roles").json()}["Finance"] is True
    changes = [
        e.detail["changes"]
        for e in AuditEvent.objects.filter(action=Action.SETTINGS_CHANGED).order_by("id")
    ]
    assert changes == [
        {"max_invalid_attempts": [5, 3]},
        {"role:Finance": ["not required", "required"]},
    ]
    assert all(
        e.actor_token == "ops" for e in AuditEvent.objects.filter(action=Action.SETTINGS_CHANGED)
    )
    assert problem(admin.patch("roles/Nope", {"requires_2fa": True}), 404)


def test_unlock_through_the_api(api, make_token, enrolled):
    helpdesk = api(make_token("reset"))
    assert problem(helpdesk.post(f"users/{enrolled.user.pk}/unlock"), 409)
    CodeGuessBudget.objects.create(
        user=enrolled.user, consecutive_failures=100, locked_at=timezone.now()
    )
    response = helpdesk.post(f"users/{enrolled.user.pk}/unlock")
    assert response.status_code == 200, response.content
    assert not CodeGuessBudget.objects.filter(user=enrolled.user).exists()
    assert AuditEvent.objects.get(action=Action.CODE_UNLOCKED).actor_token == "reset"


def test_the_audit_log_filters_and_pages(api, make_token, enrolled):
    auditor = api(make_token("audit"))
    first = auditor.get("audit", limit=1).json()
    assert len(first["events"]) == 1 and first["next_cursor"]
    rest = auditor.get("audit", limit=100, cursor=first["next_cursor"]).json()
    assert first["events"][0]["id"] > rest["events"][0]["id"]
    started = auditor.get("audit", action="2fa.enrollment_started").json()["events"]
    assert [e["action"] for e in started] == ["2fa.enrollment_started"]
    assert started[0]["target"] == enrolled.user.email


def test_calls_are_throttled_per_token_in_the_database(api, make_token, settings, db):
    settings.PORTAL2FA_API_CALLS_PER_MINUTE = 3
    busy, other = api(make_token("read", name="busy")), api(make_token("read", name="other"))
    start = timezone.now().replace(second=10, microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        assert [busy.get("settings").status_code for _ in range(3)] == [200, 200, 200]
        refused = busy.get("settings")
        assert problem(refused, 429) and refused["Retry-After"] == "51"  # the minute's end
        assert other.get("settings").status_code == 200
        clock.shift(timedelta(seconds=50))  # the next minute
        assert busy.get("settings").status_code == 200
    assert ApiCallWindow.objects.filter(token__name="busy").count() == 1  # older minutes go


def test_the_openapi_document_is_valid_openapi_3_1(api, make_token, client, db):
    response = client.get("/api/two-factor/v1/openapi.json")
    assert response.status_code == HTTPStatus.OK
    document = response.json()
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on any schema error
    paths = document["paths"]
    for path in (
        "/api/two-factor/v1/users",
        "/api/two-factor/v1/users/{pk}/reset",
        "/api/two-factor/v1/audit",
    ):
        assert path in paths
    assert document["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    reset = paths["/api/two-factor/v1/users/{pk}/reset"]["post"]
    assert list(reset["responses"]["403"]["content"]) == ["application/problem+json"]
    assert list(reset["responses"]["200"]["content"]) == ["application/json"]


def test_a_reset_needs_no_body(api, make_token, enrolled, client):
    """`curl -X POST …/reset` sends none: the reason is then empty."""
    response = client.post(
        f"/api/two-factor/v1/users/{enrolled.user.pk}/reset",
        "",
        content_type="application/json",
        headers={"Authorization": f"Bearer {make_token('reset')}"},
    )
    assert response.status_code == 200, response.content
    assert AuditEvent.objects.get(action=Action.ENROLLMENT_RESET).detail["reason"] == ""


def test_an_api_reset_ends_the_users_sessions_as_the_page_does(api, make_token, enrolled, settings):
    from tests.views.test_sessions_follow_changes import _browser, is_signed_in

    settings.PORTAL2FA_SESSION_CHECK_SECONDS = 0  # the session notices at its next request

    phone = _browser(enrolled.user)
    api(make_token("reset")).post(f"users/{enrolled.user.pk}/reset")
    assert not is_signed_in(phone)
