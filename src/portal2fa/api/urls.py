"""`path("", include("portal2fa.api.urls"))` in a host's urls.py: the admin API, /metrics,
/healthz and /readyz, and the Setup pages for API tokens and webhooks."""

import contextvars
from functools import wraps

from django.urls import URLPattern, include, path
from django.views.decorators.http import require_safe

from . import health, metrics_view, setup_views
from .v1.api import api

PREFIX = "api/two-factor/v1/"


def _own_context(view):
    """Each API call runs in its own copy of the context: the token name set by the
    authentication (v1/auth.py) ends with the call."""

    @wraps(view)
    def call(request, *args, **kwargs):
        return contextvars.copy_context().run(view, request, *args, **kwargs)

    return call


def _api_patterns():
    """django-ninja's patterns, each in its own context; one per path (ninja adds a pattern per
    operation, but the first one's view serves every method of its path); the OpenAPI document
    and ninja's root (kept for its reverse(), a 404) answer GET (and HEAD) only."""
    patterns, _, _ = api.urls
    kept, seen = [], set()
    for pattern in patterns:
        assert isinstance(pattern, URLPattern)  # ninja's routes are views, no includes
        if str(pattern.pattern) in seen:
            continue
        seen.add(str(pattern.pattern))
        read_only = pattern.name in ("openapi-json", "api-root")
        view = require_safe(pattern.callback) if read_only else pattern.callback
        pattern.callback = _own_context(view)
        kept.append(pattern)
    return kept, "v1"


app_name = "portal2fa_api"

urlpatterns = [
    path(PREFIX, include(_api_patterns(), namespace="v1")),
    path("metrics", metrics_view.metrics, name="metrics"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("setup/two-factor/api-tokens/", setup_views.tokens, name="setup-tokens"),
    path("setup/two-factor/webhooks/", setup_views.webhooks, name="setup-webhooks"),
]
