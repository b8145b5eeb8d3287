"""Pages speak the reader's language and formats; what scripts read does not.

The Setup pages show dates, times and shares in the reader's locale (German: 28.11.2026,
"50,0%"), while the Overview JSON and every CSV keep ISO 8601, plain numbers, and English
headers and labels, whatever the language of the request."""

import re
from datetime import datetime

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from portal2fa.audit.models import Action
from portal2fa.audit.services import record
from portal2fa.twofactor import formats

from .helpers import csv_of, plain, text

ISO_MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$")
AT = datetime(2026, 11, 28, 14, 5, 9, tzinfo=timezone.get_fixed_timezone(0))


@pytest.fixture
def german():
    """A request in German: the language active (as LocaleMiddleware leaves it) and asked for."""
    with override_settings(USE_I18N=True):
        # Django picks its translation functions once, on first use: pick them again for
        # USE_I18N on (a project with it on already has them), and back after the test.
        translation._trans.__dict__.clear()
        try:
            with translation.override("de"):
                yield {"HTTP_ACCEPT_LANGUAGE": "de"}
        finally:
            translation._trans.__dict__.clear()


@pytest.fixture
def history(policy, admin_user, enrolled):
    record(Action.ENROLLMENT_RESET, actor=admin_user, target=enrolled.user, at=AT, reason="lost")
    return enrolled


def test_english_keeps_the_iso_forms_the_pages_always_showed():
    with translation.override("en"):
        assert formats.local_date(AT, "day") == "2026-11-28"
        assert formats.local_date(AT, "second") == "2026-11-28 14:05:09 UTC"
        assert formats.local_date(AT, "month_day") == "Nov 28"
        assert formats.percent(50.3) == "50.3%"


def test_other_languages_take_django_s_local_formats(german):
    assert formats.local_date(AT, "day") == "28.11.2026"
    assert formats.local_date(AT, "minute") == "28.11.2026 14:05 UTC"
    assert formats.local_date(AT, "second") == "28.11.2026 14:05:09 UTC"
    assert formats.percent(50.3).startswith("50,3")
    with translation.override("ja"):
        assert formats.local_date(AT, "day") == "2026/11/28"


def test_an_unknown_kind_of_date_is_refused():
    with pytest.raises(ValueError, match="Unknown kind"):
        formats.local_date(AT, "fortnight")


def test_the_audit_log_page_shows_local_times_in_german(history, admin_client, german):
    page = plain(text(admin_client.get(reverse("twofactor:audit-log"), **german)))
    assert "28.11.2026 14:05:09 UTC" in page
    assert "2026-11-28 14:05:09" not in page


def test_the_audit_csv_keeps_iso_and_english_in_german(history, admin_client, german):
    rows = csv_of(admin_client.get(reverse("twofactor:audit-export"), **german))
    assert rows[0] == ["Time", "Action", "Actor", "Target", "Client address", "Detail"]
    reset = next(row for row in rows[1:] if row[1] == "Enrollment reset")
    assert ISO_MOMENT.match(reset[0]) and reset[0].startswith("2026-11-28T14:05:09")
    assert reset[5] == "reason: lost"


def test_the_overview_json_keeps_iso_and_plain_numbers_in_german(
    policy, admin_client, enrolled, german
):
    data = admin_client.get(reverse("twofactor:setup-overview-json"), **german).json()
    recent = data["recent_enrollments"]
    assert recent and all(ISO_MOMENT.match(row["enrolled_at"]) for row in recent)
    methods = data["enrollment_methods"]["methods"]
    numbers = [data["enrollment_rate"]["percent"], *(m["percent"] for m in methods)]
    assert all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in numbers)
    assert {m["label"] for m in methods} <= {"Authenticator App", "Passkey / security key"}


def test_the_overview_csv_keeps_iso_and_english_headers_in_german(
    policy, admin_client, enrolled, german
):
    response = admin_client.get(reverse("twofactor:setup-export", args=["recent"]), **german)
    rows = csv_of(response)
    assert rows[0] == ["Name", "Email", "Enrolled Date"]
    assert ISO_MOMENT.match(rows[1][2])


def test_the_user_list_csv_keeps_english_states_in_german(policy, admin_client, enrolled, german):
    rows = csv_of(admin_client.get(reverse("twofactor:setup-users-csv"), **german))
    assert rows[0] == ["Name", "Email", "Role", "2FA", "Pending since", "Due", "Days overdue"]
    assert {row[3] for row in rows[1:]} <= {"Enrolled", "Pending", "Not Started"}


def test_the_overview_page_shows_shares_the_german_way(policy, admin_client, enrolled, german):
    page = plain(text(admin_client.get(reverse("twofactor:setup-overview"), **german)))
    # the share's decimal comma; the chart's coordinates stay numbers an SVG reads
    assert re.search(r"\d+,\d\s?%", page)  # "50,3 %": German puts a space before the sign
    raw = admin_client.get(reverse("twofactor:setup-overview"), **german).content.decode()
    assert not re.search(r'(width|x)="\d+,\d+"', raw)


def test_a_request_s_language_does_not_outlive_the_csv(history, admin_client, german):
    response = admin_client.get(reverse("twofactor:audit-export"), **german)
    b"".join(response.streaming_content)
    assert translation.get_language() == "de"
