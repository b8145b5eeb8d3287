"""The Overview's Methods widget, and the JSON / CLI carrying it with adoption per role and the
trend: users enrolled through the real services (an app, a passkey alone, both), pending and
inactive ones, and the counters still equal a full recount."""

import json
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from portal2fa.accounts.models import RoleType
from portal2fa.cli import main
from portal2fa.twofactor.adapter import get_adapter
from portal2fa.twofactor.machinery import counters
from portal2fa.twofactor.machinery.policy import current_policy
from portal2fa.twofactor.models import TwoFactorSettings
from portal2fa.twofactor.passkeys import services, verification
from portal2fa.twofactor.selectors.overview import Overview, overview_data
from portal2fa.twofactor.services.enrollment import enrollment_begin
from tests.services.test_passkey_enrollment import enroll_with_key as enroll_with_a_key
from tests.soft_authenticator import SoftAuthenticator

from .helpers import plain, table_rows, text

RP = verification.RelyingParty(id="testserver", name="Portal", origin="http://testserver")
CODES_NOTE = "Email and SMS codes are sent to the account's own address"


def enroll_with_key(user, *, at):
    """Enrollment with a passkey alone, as the enrollment page does it."""
    attempt, _, _ = enroll_with_a_key(user, at=at, begin=False)
    assert attempt.ok


def add_key(enrolled, *, at):
    """An app user adds a passkey on their page: step up with a code, then register."""
    assert services.passkey_step_up(user=enrolled.user, code=enrolled.code(at), at=at).ok
    options, challenge = verification.registration_options(user=enrolled.user, rp=RP)
    services.passkey_register(
        user=enrolled.user,
        name="Key",
        response=SoftAuthenticator().register(options),
        expected_challenge=challenge,
        rp=RP,
        at=at,
    )


@pytest.fixture
def mix(policy, admin_user, make_user, make_role, enroll):
    """Active: the admin and Nina (not started), Pete (pending), three app-only users, two
    passkey-only users, one with both. Inactive users of each enrolled kind count nowhere."""
    TwoFactorSettings.objects.filter(pk=1).update(passkeys_allowed=True)
    staff = make_role("Staff", RoleType.EMPLOYEE, requires_2fa=True)
    partners = make_role("Partners", RoleType.PARTNER, requires_2fa=False)
    now = timezone.now()
    make_user("nina@example.com", role=staff)
    enrollment_begin(user=make_user("pete@example.com", role=staff), at=now)
    for n, days in enumerate([1, 20, 60]):
        enroll(make_user(f"app{n}@example.com", role=staff), at=now - timedelta(days=days))
    for n in range(2):
        enroll_with_key(make_user(f"key{n}@example.com", role=partners), at=now)
    both = enroll(make_user("both@example.com", role=staff), at=now - timedelta(days=2))
    add_key(both, at=now)
    # Inactive users of each enrolled kind: enrolled first, then deactivated.
    gone_app = enroll(make_user("gone-app@example.com", role=staff)).user
    gone_key = make_user("gone-key@example.com", role=partners)
    enroll_with_key(gone_key, at=now)
    gone_both = enroll(make_user("gone-both@example.com", role=staff))
    add_key(gone_both, at=now)
    for gone in (gone_app, gone_key, gone_both.user):
        gone.is_active = False
        gone.save()
    return SimpleNamespace(now=now)


EXPECTED_METHODS = [
    {"method": "totp", "label": "Authenticator App", "users": 4, "percent": 66.7},
    {"method": "passkey", "label": "Passkey / security key", "users": 3, "percent": 50.0},
]


def test_the_counters_hold_the_mix_and_equal_a_recount(mix, capsys):
    assert counters.drift() == {}
    assert main(["overview", "--verify"]) == 0
    assert capsys.readouterr().out == "Overview counters verified: no drift.\n"
    data = overview_data(current_policy(), now=timezone.now())
    assert data["enrollment_rate"] == {"enrolled": 6, "active": 9, "percent": 66.7}
    assert data["status_breakdown"] == {"enrolled": 6, "pending": 1, "not_started": 2}
    assert data["enrollment_methods"] == {
        "enrolled": 6,
        "methods": EXPECTED_METHODS,
        "optional_methods_on": ["passkey"],
    }


def test_the_methods_widget_shows_each_method_and_its_share(mix, admin_client):
    response = admin_client.get(reverse("twofactor:setup-overview"))
    page = text(response)
    section = re.search(r'data-testid="widget-methods".*?</section>', page, re.S).group(0)
    # The label is the row's header cell, then the users and the share of enrolled users.
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", section, re.S)
    assert [plain(label) for label, _ in rows] == ["Authenticator App", "Passkey / security key"]
    assert table_rows(response, "list-methods") == [["4", "66.7%"], ["3", "50.0%"]]
    assert '<th scope="col">Share of enrolled</th>' in section
    assert "A user with both counts in both" in plain(section)
    assert "How many of the 6 enrolled users hold each method" in plain(section)
    assert CODES_NOTE in plain(section)
    assert "Optional methods switched on in Settings: Passkey / security key." in plain(section)
    # After the five seed widgets, never among them.
    titles = re.findall(r"<h2[^>]*>(.*?)</h2>", page)
    assert titles.index("Methods") >= 5


def test_the_widget_names_the_optional_methods_switched_on(mix, admin_client):
    TwoFactorSettings.objects.filter(pk=1).update(
        email_codes_allowed=True, sms_codes_allowed=True, passkeys_allowed=False
    )
    response = admin_client.get(reverse("twofactor:setup-overview"))
    note = plain(re.search(r'data-testid="methods-codes">(.*?)</p>', text(response), re.S)[1])
    assert note.endswith("Optional methods switched on in Settings: Email code, SMS code.")
    # Switching passkeys off does not hide the users who hold one; email/SMS are never counted.
    assert table_rows(response, "list-methods") == [["4", "66.7%"], ["3", "50.0%"]]
    data = admin_client.get(reverse("twofactor:setup-overview-json")).json()
    assert [m["method"] for m in data["enrollment_methods"]["methods"]] == ["totp", "passkey"]
    assert data["enrollment_methods"]["optional_methods_on"] == ["email", "sms"]
    TwoFactorSettings.objects.filter(pk=1).update(
        email_codes_allowed=False, sms_codes_allowed=False
    )
    response = admin_client.get(reverse("twofactor:setup-overview"))
    assert "No optional method is switched on in Settings." in text(response)


def test_no_enrolled_user_shows_a_dash_not_a_share(policy, admin_client):
    response = admin_client.get(reverse("twofactor:setup-overview"))
    assert table_rows(response, "list-methods") == [["0", "—"], ["0", "—"]]
    data = overview_data(current_policy(), now=timezone.now())["enrollment_methods"]
    assert [(m["users"], m["percent"]) for m in data["methods"]] == [(0, 0.0), (0, 0.0)]


def test_the_breakdown_is_read_from_the_counters_without_a_query(mix, django_assert_num_queries):
    overview = Overview(current_policy(), now=timezone.now())
    overview.counts  # noqa: B018  (the one read of the counter rows)
    with django_assert_num_queries(0):
        found = [(m.method, m.users, m.percent) for m in overview.method_adoption()]
    assert found == [("totp", 4, 66.7), ("passkey", 3, 50.0)]


def test_json_and_cli_carry_the_dashboards_numbers(mix, admin_client, capsys):
    """The page, the endpoint and `overview --json` show the same methods, adoption and trend."""
    page = admin_client.get(reverse("twofactor:setup-overview"))
    data = admin_client.get(reverse("twofactor:setup-overview-json")).json()
    assert main(["overview", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == data
    assert data == overview_data(current_policy(), now=timezone.now())
    assert data["enrollment_methods"]["methods"] == EXPECTED_METHODS
    # Adoption per role: worst share first, as on the page (Administrator has no one enrolled).
    ids = {r["name"]: r.pop("id") for r in data["role_adoption"]}
    assert ids == {role.name: role.id for role in get_adapter().roles()}
    assert data["role_adoption"] == [
        {
            "name": "Administrator",
            "type": "System",
            "requires_2fa": False,
            "enrolled": 0,
            "active": 1,
            "percent": 0.0,
        },
        {
            "name": "Staff",
            "type": "Employee",
            "requires_2fa": True,
            "enrolled": 4,
            "active": 6,
            "percent": 66.7,
        },
        {
            "name": "Partners",
            "type": "Partner",
            "requires_2fa": False,
            "enrolled": 2,
            "active": 2,
            "percent": 100.0,
        },
    ]
    assert table_rows(page, "list-adoption") == [
        [
            "Yes" if r["requires_2fa"] else "No",
            str(r["enrolled"]),
            str(r["active"]),
            f"{r['percent']}%",
        ]
        for r in data["role_adoption"]
    ]
    # The trend: 13 weeks, oldest first; the 60-day-old enrollment is in, the inactive are not.
    trend = data["enrollment_trend"]
    assert len(trend["weeks"]) == 13 and trend["total"] == 6
    assert trend["weeks"][-1]["end"] == timezone.localdate().isoformat()
    assert sum(w["enrolled"] for w in trend["weeks"]) == 6
    assert [row[1] for row in table_rows(page, "list-trend")] == [
        str(w["enrolled"]) for w in trend["weeks"]
    ]
    assert "6 in all" in text(page)
    assert data["trusted_signins"] == {"days": 30, "count": 0}


def test_cli_text_prints_methods_adoption_and_trend(mix, capsys):
    assert main(["overview"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    # The five seed widgets keep their place: first, in order, before the dashboard's own.
    order = ["Enrollment Rate", "Status Breakdown", "Backup Codes Health", "Recent Enrollments"]
    order += ["Roles Without 2FA", "Methods", "Adoption per Security Role", "Enrollment Trend"]
    starts = [next(i for i, line in enumerate(lines) if line.startswith(t)) for t in order]
    assert starts == sorted(starts)
    assert "of 6 enrolled users (a user with both counts in both)" in out
    assert re.search(r"^  Authenticator App +4  \(66\.7%\)$", out, re.M)
    assert re.search(r"^  Passkey / security key +3  \(50\.0%\)$", out, re.M)
    assert "  Optional methods switched on in Settings: Passkey / security key\n" in out
    assert re.search(r"^  Staff +4 of 6 +66\.7%  requires 2FA$", out, re.M)
    assert re.search(r"^  Partners +2 of 2 +100\.0%  2FA optional$", out, re.M)
    assert "Enrollment Trend     6 in the last 90 days" in out
    week_lines = [line for line in lines[starts[-1] + 1 :] if line.startswith("  ")]
    assert len(week_lines) == 13


def test_roles_that_require_2fa_under_100_percent_are_marked(mix, admin_client):
    page = text(admin_client.get(reverse("twofactor:setup-overview")))
    adoption = re.search(r'data-testid="widget-role-adoption".*?</section>', page, re.S).group(0)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", adoption.split("<tbody>")[1], re.S)
    marked = {
        plain(re.search(r"<a [^>]*>(.*?)</a>", row).group(1)): "Under 100%" in row for row in rows
    }
    assert marked["Staff"] is True  # requires 2FA, 4 of 6
    assert marked["Partners"] is False  # optional, and at 100%


def test_the_trend_draws_dates_values_and_the_target(mix, admin_client):
    response = admin_client.get(reverse("twofactor:setup-overview"))
    page = text(response)
    chart = re.search(r'<svg [^>]*data-testid="trend-chart".*?</svg>', page, re.S).group(0)
    values = re.findall(r'<text class="value"[^>]*>(\d+)</text>', chart)
    dates = re.findall(r'<text class="date"[^>]*>([A-Z][a-z]{2} \d+)</text>', chart)
    totals = [row[2] for row in table_rows(response, "list-trend")]
    assert values == totals and len(values) == 13  # enrolled at each week's end
    assert values[-1] == "6" and values == sorted(values, key=int)  # a running total
    assert len(dates) == 7  # every other week, the newest included
    assert 'class="target-line"' in chart and 'role="img"' in chart
    caption = plain(re.search(r'data-testid="trend-caption">(.*?)</figcaption>', page, re.S)[1])
    active = re.search(r"(\d+) of (\d+)</strong> active users enrolled", page).group(2)
    assert caption.endswith(f"Target: all {active} active users enrolled.")
    assert "6 today" in caption
