"""The 2FA user list (Setup): filters by state, role and overdue against the database, keyset
pages at a fixed query count, the CSV of the same filter, the Overview's links to it, the widget
"Overdue and due soon", the CLI's `user list` filters and the Overview JSON."""

import csv
import io
import json
import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal2fa.accounts.models import User
from portal2fa.twofactor.cli import main
from portal2fa.twofactor.machinery.local_days import end_of_day
from portal2fa.twofactor.models import Authenticator, EnrollmentDeadline, RoleType
from portal2fa.twofactor.services.enrollment import enrollment_begin
from portal2fa.twofactor.views import user_list as user_list_view

from .helpers import table_rows, text

USERS = reverse("twofactor:setup-users")
CSV = reverse("twofactor:setup-users-csv")


@pytest.fixture
def rollout(policy, make_user, make_role, enroll, admin_user):
    """Finance requires 2FA, Sales does not. Due dates set directly (the deadline rules are not
    this list's)."""
    now = timezone.now()
    finance = make_role("Finance", RoleType.EMPLOYEE, requires_2fa=True)
    sales = make_role("Sales", RoleType.PARTNER, requires_2fa=False)
    people = {
        "enrolled": enroll(make_user("en@example.com", name="Eve Enrolled", role=finance)).user,
        "pending": make_user("pe@example.com", name="Pat Pending", role=finance),
        "late": make_user("la@example.com", name="Lou Late", role=finance),
        "late_pending": make_user("lp@example.com", name="Lia LatePending", role=finance),
        "soon": make_user("so@example.com", name="Sam Soon", role=sales),
        "gone": make_user("go@example.com", name="Gus Gone", role=finance, active=False),
        "enrolled_late": enroll(make_user("el@example.com", name="Ed EnrolledLate")).user,
    }
    enrollment_begin(user=people["pending"], at=now - timedelta(days=5))
    enrollment_begin(user=people["late_pending"], at=now - timedelta(days=9))
    enrollment_begin(user=people["gone"], at=now - timedelta(days=3))
    for key, days in (("late", -3), ("late_pending", -1), ("soon", 2), ("enrolled_late", -4)):
        EnrollmentDeadline.objects.create(
            user=people[key], starts_at=now - timedelta(days=20), due_at=now + timedelta(days=days)
        )
    EnrollmentDeadline.objects.create(
        user=people["gone"], starts_at=now - timedelta(days=20), due_at=now - timedelta(days=8)
    )
    return {"finance": finance, "sales": sales, "now": now, **people}


def emails(response) -> list[str]:
    return [row[1] for row in table_rows(response, "list-users")]


def in_db(**where) -> list[str]:
    """The truth from the database: active users matching `where`, in id order."""
    return list(
        User.objects.filter(is_active=True, **where).order_by("pk").values_list("email", flat=True)
    )


def test_each_state_lists_exactly_its_active_users(rollout, admin_client):
    for state, where in (
        ("enrolled", {"authenticator__confirmed_at__isnull": False}),
        ("pending", {"authenticator__isnull": False, "authenticator__confirmed_at__isnull": True}),
        ("not_started", {"authenticator__isnull": True}),
    ):
        response = admin_client.get(USERS, {"state": state})
        assert response.status_code == HTTPStatus.OK
        assert emails(response) == in_db(**where), state
    assert "gu@example.com" not in emails(admin_client.get(USERS))  # inactive: never listed


def test_role_overdue_and_their_combination(rollout, admin_client):
    finance = rollout["finance"]
    assert emails(admin_client.get(USERS, {"role": finance.pk})) == in_db(role=finance)
    # Overdue: must enroll (not Enrolled, active) and the due date passed; the most overdue first.
    overdue = emails(admin_client.get(USERS, {"overdue": "1"}))
    assert overdue == ["la@example.com", "lp@example.com"]
    combined = admin_client.get(USERS, {"state": "pending", "role": finance.pk, "overdue": "1"})
    assert emails(combined) == ["lp@example.com"]
    assert "Pending users in Finance, overdue" in text(combined)
    row = table_rows(combined, "list-users")[0]
    since = f"{timezone.localtime(rollout['now'] - timedelta(days=9)):%Y-%m-%d}"
    assert row[:5] == ["Lia LatePending", "lp@example.com", "Finance", "Pending", since]
    assert "1 day overdue" in row[5]


def test_an_empty_filter_says_so(rollout, admin_client):
    response = admin_client.get(USERS, {"state": "enrolled", "overdue": "1"})
    assert response.status_code == HTTPStatus.OK
    assert "No users match this filter." in text(response)


def test_bad_filters_are_refused_with_a_reason(rollout, admin_client):
    response = admin_client.get(USERS, {"state": "sleeping"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Select a valid choice" in text(response)
    response = admin_client.get(USERS, {"after": "not-a-cursor"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "This page link is damaged" in text(response)
    response = admin_client.get(USERS, {"overdue": "1", "after": "2026-13-01~x"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    response = admin_client.get(CSV, {"role": "999999"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"Invalid filter" in response.content


def _walk(client, params) -> tuple[list[str], list[int]]:
    """Every page of the list, following its Next links; the emails and queries per page."""
    seen, queries = [], []
    url = f"{USERS}?{params}"
    while url:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == HTTPStatus.OK
        queries.append(len(captured))
        seen += emails(response)
        following = re.search(r'<a href="\?([^"]+)" rel="next">', response.content.decode())
        url = f"{USERS}?{following.group(1).replace('&amp;', '&')}" if following else None
    return seen, queries


def test_keyset_pages_cover_the_list_once_at_a_fixed_cost(
    rollout, admin_client, make_user, monkeypatch
):
    for n in range(7):
        make_user(f"more{n}@example.com", role=rollout["finance"])
    monkeypatch.setattr(user_list_view, "PAGE_SIZE", 2)
    seen, queries = _walk(admin_client, "")
    assert seen == in_db()
    assert len(queries) == -(-len(seen) // 2) and len(set(queries)) == 1  # each page costs the same
    now = timezone.now()
    for n in range(3):  # overdue pages walk (due date, id)
        late = make_user(f"late{n}@example.com", role=rollout["finance"])
        EnrollmentDeadline.objects.create(user=late, starts_at=now, due_at=now - timedelta(days=2))
    seen, _ = _walk(admin_client, "overdue=1")
    truth = (
        EnrollmentDeadline.objects.filter(due_at__lt=now, user__is_active=True)
        .exclude(user__authenticator__confirmed_at__isnull=False)
        .order_by("due_at", "user_id")
        .values_list("user__email", flat=True)
    )
    assert seen == list(truth)


def test_the_csv_has_the_same_filter(rollout, admin_client):
    response = admin_client.get(CSV, {"role": rollout["finance"].pk, "overdue": "1"})
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["Name", "Email", "Role", "2FA", "Pending since", "Due", "Days overdue"]
    assert [row[1] for row in rows[1:]] == ["la@example.com", "lp@example.com"]
    late = rows[1]
    assert late[3] == "Not Started" and late[4] == "" and late[6] == "3"
    due = EnrollmentDeadline.objects.get(user=rollout["late"]).due_at
    assert late[5] == due.isoformat()


def test_the_overview_links_every_state_and_role_to_the_list(rollout, admin_client):
    page = text(admin_client.get(reverse("twofactor:setup-overview")))
    for key, state in (
        ("enrolled", "enrolled"),
        ("pending", "pending"),
        ("not-started", "not_started"),
    ):
        assert f'href="{USERS}?state={state}" data-testid="link-{key}"' in page
    finance, sales = rollout["finance"], rollout["sales"]
    # Adoption per Security Role: every role; Roles Without 2FA: Sales (and Administrator).
    adoption = page[page.index('data-testid="widget-role-adoption"') :]
    for role in (finance, sales):
        assert f'<a href="{USERS}?role={role.pk}">{role.name}</a>' in adoption
    without = page[page.index('data-testid="widget-roles-without-2fa"') :]
    without = without[: without.index("</section>")]
    assert f'<a href="{USERS}?role={sales.pk}">Sales</a>' in without
    assert "Finance" not in without
    # Following a link lists what its count says.
    pending = emails(admin_client.get(USERS, {"state": "pending"}))
    assert len(pending) == int(re.search(r'data-testid="count-pending">(\d+)<', page).group(1))


def test_the_overdue_widget_lists_overdue_then_due_soon(rollout, admin_client):
    response = admin_client.get(reverse("twofactor:setup-overview"))
    rows = table_rows(response, "list-overdue")
    assert [row[1] for row in rows] == ["la@example.com", "lp@example.com", "so@example.com"]
    assert rows[0][2] == "Finance" and rows[0][4] == "3"
    assert rows[2][2] == "Sales" and rows[2][4] == "—"  # due in 2 days: not overdue
    page = text(response)
    assert 'data-testid="overdue-count">2<' in page
    assert 'data-testid="due-soon-count">1<' in page
    assert f'href="{USERS}?overdue=1"' in page
    exported = admin_client.get(reverse("twofactor:setup-export", args=["overdue-and-due-soon"]))
    lines = b"".join(exported.streaming_content).decode().splitlines()
    assert lines[0] == "Name,Email,Role,Due,Days overdue"
    assert len(lines) == 4


def test_a_by_date_shows_as_its_own_day_and_counts_overdue_from_it(
    make_user, make_role, admin_client, policy
):
    """ "By a date" is due at the first moment of the next day: the list, the widget and the CLI
    name the date itself (as the user's 2FA view and the enrollment step do), and a user past it
    since this midnight is one day overdue."""
    finance = make_role("Finance", RoleType.EMPLOYEE, requires_2fa=True)
    today = timezone.localdate()
    for email, day in (
        ("late@example.com", today - timedelta(days=1)),
        ("soon@example.com", today),
    ):
        EnrollmentDeadline.objects.create(
            user=make_user(email, role=finance),
            starts_at=timezone.now() - timedelta(days=20),
            due_at=end_of_day(day),
        )
    days = {r[1]: r[5] for r in table_rows(admin_client.get(USERS), "list-users")}
    assert days["late@example.com"] == f"{today - timedelta(days=1):%Y-%m-%d} (1 day overdue)"
    assert days["soon@example.com"] == f"{today:%Y-%m-%d}"
    widget = table_rows(admin_client.get(reverse("twofactor:setup-overview")), "list-overdue")
    assert [row[3:] for row in widget] == [
        [f"{today - timedelta(days=1):%Y-%m-%d}", "1"],
        [f"{today:%Y-%m-%d}", "—"],
    ]


def test_the_overview_json_carries_the_links_and_the_overdue(rollout, admin_client):
    data = admin_client.get(reverse("twofactor:setup-overview-json")).json()
    lists = data["user_lists"]
    assert lists["by_state"]["pending"] == {
        "filter": {"state": "pending", "role": None, "overdue": False},
        "url": f"{USERS}?state=pending",
    }
    by_role = {entry["role"]: entry for entry in lists["by_role"]}
    assert by_role["Finance"]["url"] == f"{USERS}?role={rollout['finance'].pk}"
    assert lists["overdue"]["url"] == f"{USERS}?overdue=1"
    widget = data["overdue_and_due_soon"]
    assert (widget["overdue_count"], widget["due_soon_count"]) == (2, 1)
    assert [u["email"] for u in widget["users"]] == [
        "la@example.com",
        "lp@example.com",
        "so@example.com",
    ]


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_user_list_filters_as_json_csv_and_text(rollout, capsys):
    status, out, err = run(
        capsys, "user", "list", "--state", "pending", "--role", "finance", "--overdue", "--json"
    )
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert data["filter"] == {"state": "pending", "role": "Finance", "overdue": True}
    assert [u["email"] for u in data["users"]] == ["lp@example.com"]
    assert data["users"][0]["days_overdue"] == 1 and data["users"][0]["pending_since"]

    status, out, _ = run(capsys, "user", "list", "--state", "not-started", "--csv")
    assert status == 0
    listed = [row[1] for row in csv.reader(io.StringIO(out))][1:]
    assert listed == in_db(authenticator__isnull=True)

    status, out, _ = run(capsys, "user", "list", "--overdue")
    assert status == 0 and "la@example.com" in out and "3 days overdue" in out

    status, _, err = run(capsys, "user", "list", "--role", "Nobody", "--json")
    assert status == 2 and "no Security Role named 'Nobody'" in err
    status, _, err = run(capsys, "user", "list", "--state", "asleep")
    assert status == 2


def test_a_page_of_the_list_is_one_query_whatever_the_filter(rollout, admin_client):
    """The list reads its rows in one query (plus the session, the user and the roles of the
    form); the role filter, the state and the overdue add joins, never a query per row."""
    counts = []
    for params in ({}, {"state": "pending"}, {"role": rollout["finance"].pk}, {"overdue": "1"}):
        with CaptureQueriesContext(connection) as captured:
            admin_client.get(USERS, params)
        counts.append(len(captured))
    assert Authenticator.objects.count() >= 3
    # The unfiltered and the state lists show their count from the Overview counters (one more).
    # session, the session's generation (checked on every request by default), administrator and
    # role, the form's roles, the rows; a count from the counters (for no filter or a state
    # alone): the policy and the counters
    assert counts == [8, 8, 6, 6]


def test_the_overdue_widget_costs_the_same_for_more_rows(rollout, admin_client, make_user):
    def overview_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            admin_client.get(reverse("twofactor:setup-overview"))
        return len(captured)

    before = overview_queries()
    now = timezone.now()
    for n in range(8):
        late = make_user(f"row{n}@example.com", role=rollout["finance"])
        EnrollmentDeadline.objects.create(user=late, starts_at=now, due_at=now - timedelta(days=n))
    assert overview_queries() == before


def test_cli_overview_text_shows_overdue_and_due_soon(rollout, capsys):
    status, out, _ = run(capsys, "overview")
    assert status == 0
    section = out[out.index("Overdue and due soon") :]
    assert section.startswith("Overdue and due soon  2 overdue, 1 due within 7 days")
    lines = section.splitlines()[1:4]
    assert "la@example.com" in lines[0] and "3 days overdue" in lines[0]
    assert "so@example.com" in lines[2] and "overdue" not in lines[2]


def test_everyone_not_enrolled_in_one_click_from_the_overview(rollout, admin_client, capsys):
    """Pending and Not Started together: the Overview's one link, the list, its CSV and the CLI
    list exactly the active users without a confirmed enrollment."""
    overview = admin_client.get(reverse("twofactor:setup-overview"))
    link = re.search(r'href="([^"]*)" data-testid="link-not-enrolled"', text(overview))
    assert link and link.group(1).endswith("?state=not_enrolled")
    truth = sorted(set(in_db()) - set(in_db(authenticator__confirmed_at__isnull=False)))
    response = admin_client.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == HTTPStatus.OK
    assert sorted(emails(response)) == truth and "pe@example.com" in truth
    assert "Users not enrolled" in text(response)
    listed = [
        row[1]
        for row in csv.reader(
            io.StringIO(
                b"".join(
                    admin_client.get(CSV, {"state": "not_enrolled"}).streaming_content
                ).decode()
            )
        )
    ][1:]
    assert sorted(listed) == truth
    status, out, _ = run(capsys, "user", "list", "--state", "not-enrolled", "--json")
    assert status == 0 and sorted(u["email"] for u in json.loads(out)["users"]) == truth
