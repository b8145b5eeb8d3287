"""The API app's deploy-time settings (Django settings named PORTAL2FA_*), each with its default;
read at call time. Documented in the README's "Admin API, webhooks and metrics"."""

from django.conf import settings

DEFAULTS = {
    # API calls per token in any sliding minute (kept in the database: every worker counts).
    "PORTAL2FA_API_CALLS_PER_MINUTE": 600,
    # Webhook delivery: attempts before a delivery is kept as failed, the wait after the first
    # failure (doubling with each further failure), the request timeout, messages claimed per
    # batch and how long a claim lasts (a worker that died: another takes the batch after it).
    "PORTAL2FA_WEBHOOK_MAX_ATTEMPTS": 8,
    "PORTAL2FA_WEBHOOK_RETRY_SECONDS": 30,
    "PORTAL2FA_WEBHOOK_TIMEOUT_SECONDS": 10,
    "PORTAL2FA_WEBHOOK_BATCH": 100,
    # Requests a `deliver` worker has in flight at once (threads sharing its connections).
    "PORTAL2FA_WEBHOOK_CONCURRENCY": 8,
    "PORTAL2FA_WEBHOOK_LEASE_SECONDS": 300,
    # Webhook URLs resolving to private, loopback, link-local or reserved addresses are refused
    # (a webhook must not become a way into the internal network); True allows them.
    "PORTAL2FA_WEBHOOK_ALLOW_PRIVATE": False,
    # /metrics: the client addresses (or networks, "10.0.0.0/8") that may scrape without a token;
    # any other scraper sends an API token with the read scope.
    "PORTAL2FA_METRICS_ALLOWED_ADDRESSES": [],
}


def setting(name: str):
    return getattr(settings, name, DEFAULTS[name])
