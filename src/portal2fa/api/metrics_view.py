"""/metrics in Prometheus text format, every value read from the database at scrape time.

Why database-derived rather than prometheus-client's multiprocess mode: the events happen in the
web workers, the CLI and the `deliver` workers, on one node or several; counters kept in the
database (services/metrics.py, written in the transaction of the event) give every scrape of any
worker of any node the same exact totals, survive restarts, and need no shared directory or
gunicorn hooks. A scrape is one query over counter rows (not users), plus the token's: O(1) in
the number of users. prometheus-client formats the text (a collector of our own, on a registry of our own)."""

import ipaddress

from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from ..twofactor.machinery.policy import current_policy
from ..twofactor.models import OverviewCounter, TwoFactorSettings
from ..twofactor.selectors.overview import Overview
from ..twofactor.web.http import client_address
from .conf import setting
from .models import DeliveryStatus, MetricCounter, Scope, WebhookMessage
from .services.metrics import DURATION_BUCKETS
from .services.tokens import token_authenticate


def _labels(name: str) -> tuple[str, dict]:
    metric, *pairs = name.split("|")
    return metric, dict(pair.split("=", 1) for pair in pairs)


def _read() -> tuple[dict, dict, int, int]:
    """Everything a scrape needs in one statement: (metric counters, Overview counters, pending
    webhook messages, the low-codes threshold): the sums services.metrics and counters.totals()
    read, the outbox's partial index and the policy row, joined by UNION ALL so a scrape waits
    for the database once."""
    qn = connection.ops.quote_name

    def table(model) -> str:
        return qn(model._meta.db_table)

    name, value = qn("name"), qn("value")
    # Only quoted identifiers are formatted in; values go as parameters.
    sql = (
        f"SELECT 0, {name}, SUM({value}) FROM {table(MetricCounter)} GROUP BY {name} "  # noqa: S608
        f"UNION ALL SELECT 1, {name}, SUM({value}) FROM {table(OverviewCounter)} GROUP BY {name} "
        f"UNION ALL SELECT 2, '', COUNT(*) FROM {table(WebhookMessage)} WHERE {qn('status')} = %s "
        f"UNION ALL SELECT 3, '', {qn('low_codes_threshold')} FROM {table(TwoFactorSettings)} "
        f"WHERE {qn('id')} = 1"
    )
    found: list[dict] = [{}, {}, {}, {}]
    with connection.cursor() as cursor:
        cursor.execute(sql, [DeliveryStatus.PENDING])
        for part, key, total in cursor.fetchall():
            found[part][key] = int(total or 0)
    threshold = found[3][""] if found[3] else current_policy().low_codes_threshold
    return found[0], found[1], found[2].get("", 0), threshold


class DatabaseCollector:
    def collect(self):
        metric_totals, overview_totals, pending, threshold = _read()
        self.overview = Overview(
            TwoFactorSettings(low_codes_threshold=threshold), now=timezone.now()
        )
        self.overview.__dict__["totals"] = overview_totals  # read above: no second query
        self.pending = pending
        kept: dict[str, list[tuple[dict, int]]] = {}
        for name, value in metric_totals.items():
            metric, labels = _labels(name)
            kept.setdefault(metric, []).append((labels, value))
        counters = [
            (
                "verifications",
                "Second-factor verifications by method and result",
                ["method", "result"],
            ),
            ("lockouts", "Second-factor lockouts (per sign-in and per account)", []),
            ("enrollments", "Enrollments completed, by method", ["method"]),
            ("resets", "Enrollment resets by administrators", []),
            ("access_passes", "Temporary Access Passes by outcome", ["outcome"]),
            ("reminders", "Enrollment reminders e-mailed", []),
            ("webhook_deliveries", "Webhook delivery attempts by result", ["result"]),
            ("events", "Audited security events by type", ["event"]),
        ]
        for metric, help_text, label_names in counters:
            family = CounterMetricFamily(f"portal2fa_{metric}", help_text, labels=label_names)
            rows = kept.get(metric, [])
            if not label_names and not rows:
                rows = [({}, 0)]
            for labels, value in sorted(rows, key=lambda r: sorted(r[0].items())):
                family.add_metric([labels.get(n, "") for n in label_names], value)
            yield family
        yield self._histogram(kept)
        yield from self._gauges()

    def _histogram(self, kept):
        by_le = {labels["le"]: value for labels, value in kept.get("verify_seconds_bucket", [])}
        count = sum(v for _, v in kept.get("verify_seconds_count", []))
        total_us = sum(v for _, v in kept.get("verify_seconds_sum_us", []))
        buckets = [(str(le), by_le.get(str(le), 0)) for le in DURATION_BUCKETS]
        buckets.append(("+Inf", count))
        return HistogramMetricFamily(
            "portal2fa_verify_duration_seconds",
            "Time to answer a second-factor verification",
            buckets=buckets,
            sum_value=total_us / 1_000_000,
        )

    def _gauges(self):
        overview = self.overview
        counts = overview.counts
        users = GaugeMetricFamily(
            "portal2fa_users", "Active users by 2FA state (the Overview's counts)", labels=["state"]
        )
        users.add_metric(["enrolled"], counts.enrolled)
        users.add_metric(["pending"], counts.pending)
        users.add_metric(["not_started"], counts.not_started)
        yield users
        yield GaugeMetricFamily("portal2fa_active_users", "Active users", value=counts.active)
        methods = GaugeMetricFamily(
            "portal2fa_enrolled_users_by_method",
            "Enrolled active users holding each method",
            labels=["method"],
        )
        for row in overview.method_adoption():
            methods.add_metric([row.method], row.users)
        yield methods
        codes = GaugeMetricFamily(
            "portal2fa_backup_codes_users",
            "Enrolled users with no backup codes left, or running low",
            labels=["health"],
        )
        codes.add_metric(["none_left"], overview.no_codes_count)
        codes.add_metric(["low"], overview.low_codes_count)
        yield codes
        yield GaugeMetricFamily(
            "portal2fa_webhook_pending",
            "Webhook messages waiting to be delivered",
            value=self.pending,
        )


def _allowed(request) -> bool:
    address = client_address(request)
    if address:
        for network in setting("PORTAL2FA_METRICS_ALLOWED_ADDRESSES"):
            if ipaddress.ip_address(address) in ipaddress.ip_network(network, strict=False):
                return True
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    token = token_authenticate(secret.strip(), at=timezone.now())
    return token is not None and Scope.READ in token.scopes


@never_cache
@require_GET
def metrics(request):
    if not _allowed(request):
        response = HttpResponse(
            "Send an API token with the read scope (Authorization: Bearer …), or scrape from an "
            "address in PORTAL2FA_METRICS_ALLOWED_ADDRESSES.\n",
            status=401,
            content_type="text/plain; charset=utf-8",
        )
        response["WWW-Authenticate"] = 'Bearer realm="portal2fa"'
        return response
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
