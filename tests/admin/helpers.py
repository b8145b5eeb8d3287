"""Helpers for the administrator tests: crafted enrollment states and reading pages and CSV."""

import csv
import html
import io
import re
from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from portal2fa.twofactor.core import totp
from portal2fa.twofactor.machinery import counters, keys
from portal2fa.twofactor.machinery.code_checks import consume_backup_code
from portal2fa.twofactor.models import Authenticator
from tests.reference_totp import totp as reference_totp

_TAG = re.compile(r"<[^>]+>")


def text(response) -> str:
    """The page as text with entities decoded (tags kept)."""
    return html.unescape(response.content.decode())


def plain(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())


def role_card(page: str, role) -> str:
    """The Settings tab's card of one Security Role (its HTML)."""
    start = page.index(f'data-testid="role-{role.pk}"')
    return page[start : page.index("</fieldset>", start)]


def checkbox(card: str, name: str) -> str:
    """The checkbox of field `name` in a role card."""
    return re.search(rf'<input type="checkbox" name="{name}"[^>]*>', card).group(0)


def table_rows(response, testid: str) -> list[list[str]]:
    """The body rows of the table with data-testid=`testid`, each as a list of cell texts."""
    page = response.content.decode()
    match = re.search(rf'<table[^>]*data-testid="{testid}"[^>]*>(.*?)</table>', page, re.S)
    assert match, f"no table {testid!r} on the page"
    body = re.search(r"<tbody>(.*?)</tbody>", match.group(1), re.S).group(1)
    return [
        [plain(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def body_rows(response) -> list[list[str]]:
    """The body rows of the first table on the page."""
    body = re.search(r"<tbody>(.*?)</tbody>", response.content.decode(), re.S).group(1)
    return [
        [plain(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def errors(response) -> str:
    """Every error message on the page (field and form errors), as one string."""
    found = re.findall(r'class="error" role="alert"[^>]*>(.*?)</(?:p|div)>', text(response), re.S)
    return " ".join(plain(e) for e in found)


def has_table(response, testid: str) -> bool:
    return f'data-testid="{testid}"' in response.content.decode()


def tag_attrs(response, pattern: str) -> dict[str, str]:
    """Attributes of the first start tag matching the regex `pattern` (e.g. r'<progress\\b')."""
    match = re.search(pattern + r"[^>]*>", response.content.decode())
    assert match, f"no tag matching {pattern!r}"
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'([\w-]+)="([^"]*)"', match.group(0))
    }


def reset_button(response) -> str:
    """The start tag of the Reset button."""
    match = re.search(r'<button[^>]*data-action="reset"[^>]*>\s*Reset\s*</button>', text(response))
    assert match, "no Reset button"
    return match.group(0)


def button_disabled(tag: str) -> bool:
    """disabled, or aria-disabled="true" (focusable, and says why; the server refuses it too)."""
    start = tag[: tag.index(">") + 1]
    return (
        re.search(r"\sdisabled[\s>=]", start) is not None
        or re.search(r'\saria-disabled="true"', start) is not None
    )


def field_errors(response, field: str) -> list[str]:
    page = text(response)
    return re.findall(rf'<p class="error" role="alert" id="id_{field}-error">(.*?)</p>', page)


def messages_of(response) -> list[str]:
    page = response.content.decode()
    return [plain(m) for m in re.findall(r'<li class="message[^"]*">(.*?)</li>', page, re.S)]


def csv_of(response) -> list[list[str]]:
    content = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode("utf-8")
    return list(csv.reader(io.StringIO(content)))


def csv_text(text_: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text_)))


def use_backup_codes(enrolled, count: int) -> None:
    """Spend `count` of an enrolled user's backup codes through the service."""
    authenticator = Authenticator.objects.get(user=enrolled.user)
    for code in enrolled.backup_codes[:count]:
        assert consume_backup_code(authenticator, code, at=timezone.now()).ok


def leave_codes(enrolled, remaining: int) -> None:
    use_backup_codes(enrolled, len(enrolled.backup_codes) - remaining)
    authenticator = Authenticator.objects.get(user=enrolled.user)
    assert authenticator.backup_codes_remaining == remaining


def enrolled_without_codes(user, *, at: datetime | None = None) -> Authenticator:
    """An Enrolled authenticator that was never issued backup codes (e.g. migrated in)."""
    at = at or timezone.now() - timedelta(hours=1)
    authenticator = Authenticator.objects.create(
        user=user,
        encrypted_secret=keys.encrypt_secret(totp.new_secret()),
        created_at=at,
        confirmed_at=at,
        backup_codes_remaining=0,
        backup_codes_issued=0,
    )
    counters.move((), counters.counted_state(authenticator).buckets())  # as a migration would
    return authenticator


def wrong_code(secret: str, at: datetime | None = None, skew: int = 21) -> str:
    """A 6-digit code valid at no step within ±skew of `at`."""
    at = at or timezone.now()
    valid = {
        reference_totp(secret, (at + timedelta(seconds=30 * k)).timestamp())
        for k in range(-skew, skew + 1)
    }
    return next(c for c in (f"{n:06d}" for n in range(123456, 999999)) if c not in valid)


def new_user(**overrides) -> dict:
    """A valid Setup -> Users -> New post, with `overrides`."""
    data = {
        "full_name": "Nick New",
        "email": "nick@example.com",
        "is_active": "on",
        "password": "violet-kestrel-harbour-92",
    }
    return {**data, **overrides}


def edit(client, subject, **overrides):
    """Post the user's edit form unchanged but for `overrides` (None drops a field)."""
    data = {
        "full_name": subject.full_name,
        "email": subject.email,
        "role": subject.role.pk,
        "is_active": "on",
    }
    data.update(overrides)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(reverse("accounts:setup-user-edit", kwargs={"pk": subject.pk}), data)
