"""/metrics (Prometheus text, from the database, behind a token or an address allow-list) and
the health checks."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from portal2fa.api.models import MetricCounter
from portal2fa.api.services.metrics import observe_verify_duration
from portal2fa.twofactor.services.enrollment import enrollment_begin, enrollment_reset

from ..conftest import PASSWORD


def scrape(client, token=None, **extra):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get("/metrics", headers=headers, **extra)


def samples(response) -> dict:
    assert response.status_code == 200, response.content
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_need_a_read_token_or_an_allowed_address(client, make_token, settings, db):
    assert scrape(client).status_code == 401
    assert scrape(client, "p2fa_wrong").status_code == 401
    assert scrape(client, make_token("reset")).status_code == 401  # no read scope
    assert scrape(client, make_token("read")).status_code == 200
    settings.PORTAL2FA_METRICS_ALLOWED_ADDRESSES = ["10.0.0.0/8"]
    assert scrape(client, REMOTE_ADDR="10.1.2.3").status_code == 200
    assert scrape(client, REMOTE_ADDR="192.0.2.1").status_code == 401


def test_gauges_equal_the_overview_and_counters_follow_the_events(
    client, make_token, make_user, enroll, enrolled, admin_client
):
    token = make_token("read")
    enrollment_begin(user=make_user("pending@example.com"), at=timezone.now())
    enroll(make_user("other@example.com"))
    enrollment_reset(actor=None, user=enrolled.user, at=timezone.now())
    found = samples(scrape(client, token))
    overview = admin_client.get("/setup/two-factor/overview.json").json()
    status = overview["status_breakdown"]
    assert found[("portal2fa_users", (("state", "enrolled"),))] == status["enrolled"]
    assert found[("portal2fa_users", (("state", "pending"),))] == status["pending"]
    assert found[("portal2fa_users", (("state", "not_started"),))] == status["not_started"]
    assert found[("portal2fa_active_users", ())] == overview["enrollment_rate"]["active"]
    assert found[("portal2fa_resets_total", ())] == 1
    assert found[("portal2fa_enrollments_total", (("method", "totp"),))] == 2
    assert found[("portal2fa_events_total", (("event", "2fa.enrollment_reset"),))] == 1


def test_verifications_by_method_and_result_and_the_duration_histogram(
    client, make_token, enrolled
):
    client.post("/signin/", {"email": enrolled.user.email, "password": PASSWORD})
    client.post("/signin/verify/", {"code": "000000"})
    client.post("/signin/verify/", {"code": enrolled.code(timezone.now())})
    found = samples(scrape(client, make_token("read")))
    assert (
        found[("portal2fa_verifications_total", (("method", "code"), ("result", "failure")))] == 1
    )
    assert (
        found[("portal2fa_verifications_total", (("method", "totp"), ("result", "success")))] == 1
    )
    assert found[("portal2fa_verify_duration_seconds_count", ())] == 2
    assert found[("portal2fa_verify_duration_seconds_bucket", (("le", "+Inf"),))] == 2


def test_the_histogram_buckets_are_cumulative(client, make_token, db):
    for seconds in (0.004, 0.2, 3.0, 30.0):
        observe_verify_duration(seconds)
    found = samples(scrape(client, make_token("read")))

    def bucket(le):
        return found[("portal2fa_verify_duration_seconds_bucket", (("le", le),))]

    assert (bucket("0.005"), bucket("0.25"), bucket("5.0"), bucket("10.0"), bucket("+Inf")) == (
        1,
        2,
        3,
        3,
        4,
    )
    assert found[("portal2fa_verify_duration_seconds_sum", ())] == pytest.approx(33.204)


def test_no_email_or_user_id_in_the_metrics(client, make_token, enrolled):
    enrollment_reset(actor=None, user=enrolled.user, at=timezone.now())
    text = scrape(client, make_token("read")).content.decode()
    assert enrolled.user.email not in text and "Alice" not in text
    labels = {
        key
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        for key in sample.labels
    }
    assert labels <= {"state", "method", "result", "event", "health", "le"}


def test_a_scrape_costs_a_fixed_number_of_queries(client, make_token, make_user, enroll, db):
    token = make_token("read")
    scrape(client, token)
    counts = []
    for n in range(2):
        for i in range(5):
            enroll(make_user(f"u{n}-{i}@example.com"))
        with CaptureQueriesContext(connection) as captured:
            scrape(client, token)
        counts.append(len(captured))
    assert counts == [2, 2], captured.captured_queries  # the token; the rest in one UNION ALL


def test_counters_are_shared_rows_not_process_memory(db):
    observe_verify_duration(0.01)
    assert MetricCounter.objects.filter(name="verify_seconds_count").exists()


def test_healthz_and_readyz(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "keys": "ok"},
    }


def test_readyz_names_what_is_not_ready(client, db, settings):
    settings.PORTAL2FA_ENCRYPTION_KEYS = ["not-a-fernet-key"]
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["keys"] != "ok"
    assert ready.json()["checks"]["database"] == "ok"


def test_readyz_sees_unapplied_migrations(client, db, monkeypatch):
    """A migration the database has not recorded (as after deploying new code before migrate)."""
    from django.db.migrations.recorder import MigrationRecorder

    from portal2fa.api import health

    monkeypatch.setattr(health, "_migrated", False)
    MigrationRecorder(connection).record_unapplied("portal2fa_api", "0001_initial")
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "not applied" in ready.json()["checks"]["migrations"]
