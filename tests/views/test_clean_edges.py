"""Clean edges: own error pages, CSRF failure page, bad charsets, 405s,
no-store on Setup/JSON/CSV, one-line 403 logs."""

import logging
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .helpers import sign_in, text

ADMIN_GETS = [
    ("twofactor:setup-settings", {}),
    ("twofactor:setup-overview", {}),
    ("twofactor:setup-overview-json", {}),
    ("twofactor:setup-export", {"name": "recent"}),
    ("twofactor:setup-reset", {}),
    ("twofactor:setup-user-search", {}),
    ("twofactor:audit-log", {}),
    ("twofactor:audit-export", {}),
    ("accounts:setup", {}),
    ("accounts:setup-users", {}),
    ("accounts:setup-user-new", {}),
    ("accounts:setup-roles", {}),
    ("accounts:setup-role-new", {}),
]


def _every_url(admin_user, admin_role) -> list[str]:
    """Every URL pattern of the demo, with an existing object for its converters."""
    urls = []

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                route = route.replace("<int:pk>", str(admin_user.pk)).replace(
                    "<slug:name>", "recent"
                )
                urls.append("/" + route.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns)
    return urls


# The admin API's writes by these methods (the rest of the API answers 405 like the pages).
API_TAKES = {
    "patch": ("/api/two-factor/v1/settings", "/api/two-factor/v1/roles/"),
    "delete": ("/api/two-factor/v1/users/<pk>/access-pass",),
}


@pytest.mark.parametrize("method", ["put", "patch", "delete", "trace"])
def test_every_page_answers_methods_it_does_not_take_with_405(
    admin_user, admin_role, policy, method
):
    """Without a CSRF token too, as a browser or a script sends them: 405, never CSRF's 403."""
    admin_client = Client(enforce_csrf_checks=True)
    admin_client.force_login(admin_user)
    for url in _every_url(admin_user, admin_role):
        if url.startswith("/static/"):
            continue
        if url.startswith(API_TAKES.get(method, ())):
            continue
        response = getattr(admin_client, method)(url)
        assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED, (method, url)
        assert response.has_header("Allow"), url


@pytest.mark.parametrize(("name", "kwargs"), ADMIN_GETS)
def test_setup_pages_json_and_csv_are_not_stored(admin_client, policy, name, kwargs):
    response = admin_client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == HTTPStatus.OK
    assert "no-store" in response.get("Cache-Control", ""), name


# --- error pages ------------------------------------------------------------------------------------


def test_the_404_page_is_the_portals_own_with_a_way_back(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "Page not found" in text(response)
    assert 'href="/"' in response.content.decode()
    assert 'class="p2fa"' in response.content.decode()


def test_the_403_page_is_the_portals_own_and_logged_as_one_line(client, user, policy, settings):
    """The demo's console handler, with its filter, shows an expected 403 as one line."""
    import io

    from django.utils.module_loading import import_string

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    for name in settings.LOGGING["handlers"]["console"]["filters"]:
        handler.addFilter(import_string(settings.LOGGING["filters"][name]["()"])())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        client.force_login(user)
        response = client.get(reverse("twofactor:setup-settings"))
    finally:
        logger.removeHandler(handler)
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "You do not have access to this page" in text(response)
    logged = stream.getvalue()
    assert "Forbidden" in logged
    assert "Traceback" not in logged and len(logged.strip().splitlines()) == 1


def test_the_500_page_is_the_portals_own(client, db, monkeypatch):
    from portal2fa.twofactor.views import signin

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(signin, "SignInForm", boom)
    client.raise_request_exception = False
    response = client.get(reverse("twofactor:signin"))
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert "Something went wrong" in text(response)
    assert "boom" not in text(response)


def test_a_stale_form_gets_the_csrf_page_with_start_again_not_djangos(user, policy):
    """Signing in from a second tab rotates the CSRF token: the first tab's form is stale."""
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.get(reverse("twofactor:signin"))
    second.cookies = first.cookies  # the same browser, another tab
    second.get(reverse("twofactor:signin"))
    token = first.cookies["csrftoken"].value
    second.post(
        reverse("twofactor:signin"),
        {"email": user.email, "password": "x", "csrfmiddlewaretoken": token},
    )
    first.cookies["csrftoken"] = "A" * 32  # rotated by the other tab's sign-in
    response = first.post(
        reverse("twofactor:signin"),
        {"email": user.email, "password": "x", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    body = text(response)
    assert "CSRF verification failed" not in body
    assert "Start again" in body
    assert f'href="{reverse("twofactor:signin")}"' in response.content.decode()


def test_reloading_the_codes_page_never_meets_a_csrf_failure(enrolled):
    client = Client(enforce_csrf_checks=True)
    client.force_login(enrolled.user)
    client.get(reverse("twofactor:account"))
    client.post(
        reverse("twofactor:account-regenerate"),
        {
            "code": enrolled.code(__import__("django.utils.timezone").utils.timezone.now()),
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
    )
    for _ in range(2):  # a reload is a GET now
        assert client.get(reverse("twofactor:account-codes")).status_code == HTTPStatus.OK


# --- bad request bodies --------------------------------------------------------------------------


@pytest.mark.parametrize("charset", ["xyz-unknown", "utf-16", "utf-32", "latin-1"])
def test_a_non_utf8_form_charset_is_a_400_without_tracebacks(db, charset, caplog):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get(reverse("twofactor:signin"))
    token = client.cookies["csrftoken"].value.encode()
    with caplog.at_level(logging.WARNING):
        response = client.generic(
            "POST",
            reverse("twofactor:signin"),
            b"email=\xff\xfe&password=x&csrfmiddlewaretoken=" + token,
            content_type=f"application/x-www-form-urlencoded; charset={charset}",
        )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


def test_raw_invalid_utf8_bytes_are_a_clean_answer(db, caplog):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get(reverse("twofactor:signin"))
    token = client.cookies["csrftoken"].value.encode()
    with caplog.at_level(logging.WARNING):
        response = client.generic(
            "POST",
            reverse("twofactor:signin"),
            b"email=\xff\xff%ff&password=\xc3&csrfmiddlewaretoken=" + token,
            content_type="application/x-www-form-urlencoded",
        )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not [r for r in caplog.records if r.exc_info]


def test_held_sessions_still_reach_only_the_signin_pages(client, enrolled):
    sign_in(client, enrolled.user.email)
    assert client.get(reverse("twofactor:account")).status_code == HTTPStatus.FOUND
