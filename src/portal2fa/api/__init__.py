"""Portal 2FA for operators (optional: `pip install portal2fa[api]`, "portal2fa.api" in
INSTALLED_APPS, `path("", include("portal2fa.api.urls"))`): the admin API under
/api/two-factor/v1/ with scoped bearer tokens, signed webhooks of the audited events, Prometheus
metrics and health checks. It sits above the library (twofactor, audit) and calls its services."""
