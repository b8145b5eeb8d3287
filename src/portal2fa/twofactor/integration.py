"""System checks on how a host wired Portal 2FA in: its URLs included and reached (not shadowed by
a catch-all route such as a CMS's page view), LOGIN_URL leading to a view, the middleware after
AuthenticationMiddleware. Each error says what was found and the exact fix;
`manage.py portal2fa doctor` prints them all."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, Resolver404, get_resolver, resolve, reverse

MIDDLEWARE = "portal2fa.twofactor.middleware.TwoFactorMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
INCLUDE_LINE = 'urlpatterns.insert(0, path("", include("portal2fa.urls")))'
MIDDLEWARE_LINE = f'MIDDLEWARE.insert(MIDDLEWARE.index("{AUTH_MIDDLEWARE}") + 1, "{MIDDLEWARE}")'
CATCH_ALL_PROBE = "/portal2fa-probe/no-such-page/"
# A value for each path converter, to reverse the library's routes that take arguments.
SAMPLE_ARGUMENTS = {"IntConverter": 1, "SlugConverter": "sample", "StringConverter": "sample"}


def included() -> bool:
    return "twofactor" in get_resolver().namespace_dict


@register(Tags.urls)
def urls_wired(app_configs, **kwargs):
    if not included():
        return [
            Error(
                f"Portal 2FA's URLs are not included in ROOT_URLCONF ({settings.ROOT_URLCONF}).",
                hint=f"Add at the end of that urls.py: {INCLUDE_LINE}  (from django.urls "
                "import include, path): first, before any catch-all route.",
                id="portal2fa.E011",
            )
        ]
    return _shadowed() + _login_url()


def _shadowed() -> list[Error]:
    """The library's routes whose URL resolves to another view (an earlier catch-all route)."""
    from . import urls  # its views import models: not at app loading

    found = []
    for pattern in urls.urlpatterns:
        converters = pattern.pattern.converters.items()
        kwargs = {name: SAMPLE_ARGUMENTS[type(c).__name__] for name, c in converters}
        url = reverse(f"twofactor:{pattern.name}", kwargs=kwargs)
        try:
            match = resolve(url)
        except Resolver404:
            found.append(f"{url} resolves to no view")
            continue
        if match.func is not pattern.callback:
            found.append(f"{url} resolves to {view_name(match.func)} (route {match.route!r})")
    if not found:
        return []
    return [
        Error(
            "Portal 2FA's URLs are shadowed by earlier routes in ROOT_URLCONF "
            f"({settings.ROOT_URLCONF}): "
            + "; ".join(found[:3])
            + (f"; and {len(found) - 3} more" if len(found) > 3 else "")
            + ". Held users would be sent in a redirect loop.",
            hint=f"Put the include first: {INCLUDE_LINE}, or at least before any catch-all "
            "route (a CMS's page route).",
            id="portal2fa.E012",
        )
    ]


def _login_url() -> list[Error]:
    """LOGIN_URL is where @login_required and "Start over" lead: a 404 there locks users out."""
    value = settings.LOGIN_URL
    fix = (
        'Set LOGIN_URL to your login page (a URL name or path), or to "twofactor:signin" '
        "(Portal 2FA's own sign-in page) if the project has none."
    )
    try:
        url = resolve_url(value)
    except NoReverseMatch:
        return [
            Error(
                f"LOGIN_URL {value!r} is neither a URL name nor a path.",
                hint=fix,
                id="portal2fa.E013",
            )
        ]
    parts = urlsplit(str(url))
    if parts.netloc:  # another site signs users in (an SSO): not ours to resolve
        return []
    try:
        login_view = resolve(parts.path).func
    except Resolver404:
        return [
            Error(
                f"LOGIN_URL {value!r} resolves to no view: users sent to sign in get a 404.",
                hint=fix,
                id="portal2fa.E013",
            )
        ]
    if login_view is _catch_all_view():
        return [
            Error(
                f"LOGIN_URL {value!r} is answered by a catch-all route ({view_name(login_view)}, "
                "which answers any path): there is no login page there.",
                hint=fix,
                id="portal2fa.E013",
            )
        ]
    return []


def _catch_all_view():
    """The view answering a path no site has (a CMS's page view), or None."""
    try:
        return resolve(CATCH_ALL_PROBE).func
    except Resolver404:
        return None


def view_name(func) -> str:
    view = getattr(func, "view_class", func)
    return f"{view.__module__}.{view.__qualname__}"


@register()
def middleware_installed(app_configs, **kwargs):
    middleware = list(settings.MIDDLEWARE)
    if MIDDLEWARE not in middleware:
        found = f"{MIDDLEWARE} is not in MIDDLEWARE"
    elif AUTH_MIDDLEWARE not in middleware:
        found = f"{AUTH_MIDDLEWARE} is not in MIDDLEWARE"
    elif middleware.index(MIDDLEWARE) < middleware.index(AUTH_MIDDLEWARE):
        found = f"{MIDDLEWARE} comes before {AUTH_MIDDLEWARE}: it cannot see who is logged in"
    else:
        return []
    return [
        Error(
            f"{found}. Without it after AuthenticationMiddleware a login elsewhere than Portal "
            "2FA's own page skips the second factor.",
            hint=f"Remove it from the list and add after MIDDLEWARE in settings.py: {MIDDLEWARE_LINE}",
            id="portal2fa.E005",
        )
    ]
