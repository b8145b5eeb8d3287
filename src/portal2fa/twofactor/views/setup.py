"""Setup -> Two-Factor Authentication: the Settings, Overview and Reset Enrollment tabs.

Administrators only (403 for anyone else). Thin: parse, call one service or selector, render.
"""

from datetime import date, datetime

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import DataError
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import formats
from ..adapter import Role, get_adapter
from ..conf import setting
from ..core.charts import stacked_bar, trend_chart
from ..core.methods import LABELS
from ..forms import ExtendDeadlineForm, ResetForm, SettingsForm, UserSearchForm
from ..machinery.local_days import local_day
from ..machinery.policy import current_policy
from ..models import EnrollmentState
from ..selectors import exports, users
from ..selectors.deadlines import user_deadline
from ..selectors.overdue import DUE_SOON_DAYS, capped
from ..selectors.overview import RECENT_DAYS, Overview
from ..selectors.reminders import user_reminders
from ..selectors.trusted import TRUSTED_SIGNIN_DAYS, trusted_signins
from ..selectors.user_detail import user_two_factor
from ..services.code_locks import NotLocked, code_lock_clear
from ..services.deadlines import DeadlineError, deadline_extend
from ..services.enrollment import EnrollmentError, enrollment_reset
from ..services.settings import SettingsError, settings_update, stranded_passkey_users
from ..web.decorators import administrator_required
from ..web.http import client_address
from . import access_pass

WIDGET_PAGE_SIZE = 10
OVERVIEW_TOP_ROWS = 5  # the Overview shows a list's top rows; "Show all" pages through the rest
# The lists with a "Show all" page of their own (Locked by invalid codes keeps its Unlock buttons
# and its pager on the Overview).
SHOWN_IN_FULL = {
    "no-codes": _("Users with no backup codes remaining"),
    "low-codes": _("Users running low on backup codes"),
    "recent": _("Recent Enrollments"),
    "roles-without-2fa": _("Roles Without 2FA"),
    "overdue-and-due-soon": _("Overdue and due soon"),
}
# The lists' columns on the page; their CSVs keep the English header (scripts read it).
COLUMN_LABELS = {
    "Name": _("Name"),
    "Email": _("Email"),
    "Remaining": _("Remaining"),
    "Enrolled Date": _("Enrolled Date"),
    "Role Name": _("Role Name"),
    "Type": pgettext_lazy("role", "Type"),
    "Locked Since": _("Locked Since"),
    "Role": _("Role"),
    "Due": _("Due"),
    "Days overdue": _("Days overdue"),
}
SEARCH_LIMIT = 10


def _tab(request, template: str, tab: str, context: dict, status: int = 200):
    return render(request, template, {"tab": tab, **context}, status=status)


@administrator_required
@never_cache
@require_http_methods(["GET", "POST"])
def settings_tab(request):
    policy = current_policy()
    form = SettingsForm(request.POST if request.method == "POST" else None, instance=policy)
    if request.method == "POST":
        if form.is_valid():
            try:
                changed = settings_update(
                    actor=request.user,
                    changes=form.changes(),
                    at=timezone.now(),
                    client_address=client_address(request),
                    role_requirements=form.role_requirements(),
                    role_methods=form.role_methods(),
                    role_always_second_factor=form.role_always_second_factor(),
                    role_deadlines=form.role_deadlines(),
                )
            except SettingsError as error:
                for field, field_errors in error.errors.items():
                    for message in field_errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(
                    request,
                    gettext("Settings saved.") if changed else gettext("No changes to save."),
                )
                if warning := stranded_passkey_users(changed):
                    messages.warning(request, warning)
                return redirect("twofactor:setup-settings")
        return _tab(
            request, "portal2fa/setup/settings.html", "settings", {"form": form}, status=400
        )
    return _tab(request, "portal2fa/setup/settings.html", "settings", {"form": form})


class _CountedPaginator(Paginator):
    """A paginator told its count (from the Overview's counters) instead of counting the list."""

    def __init__(self, object_list, per_page, *, count: int | None):
        super().__init__(object_list, per_page)
        if count is not None:
            self.__dict__["count"] = count  # fills the cached_property


# Recent Enrollments pages through the newest RECENT_PAGE_CAP rows only (the CSV has them all):
# its count then costs the same whatever the number of enrollments in the window.
RECENT_PAGE_CAP = 1000


def _page(request, overview: Overview, name: str, param: str, *, size: int = WIDGET_PAGE_SIZE):
    """One page of an Overview list, its rows read through the adapter. Every count is O(1) or
    bounded: the counters for the backup-code lists, a capped count for Recent Enrollments."""
    count = overview.count(name)
    if count is None and name == "recent":
        count = overview.recent()[:RECENT_PAGE_CAP].count()
    paginator = _CountedPaginator(overview.items(name), size, count=count)
    page = paginator.get_page(request.GET.get(param) if request else 1)
    items = list(page.object_list)
    rows = overview.rows(name, items)
    # The user's id beside each row (not in the CSV or JSON): names link to their 2FA view; a
    # role's id: it links to the user list filtered to the role.
    page.object_list = [
        {
            **row,
            "user_id": getattr(item, "user_id", None),
            "role_id": item.id if isinstance(item, Role) else None,
        }
        for item, row in zip(items, rows, strict=True)
    ]
    return page


@administrator_required
@require_GET
def overview_tab(request):
    overview = Overview(current_policy(), now=timezone.now())
    counts = overview.counts
    trend = overview.enrollment_trend()
    context = {
        "status_segments": stacked_bar(
            [
                ("enrolled", str(EnrollmentState.ENROLLED.label), counts.enrolled),
                ("pending", str(EnrollmentState.PENDING.label), counts.pending),
                ("not-started", str(EnrollmentState.NOT_STARTED.label), counts.not_started),
            ]
        ),
        "adoption": overview.role_adoption(),
        "trend": trend,
        # kept counts (PORTAL2FA_DASHBOARD_SECONDS): say when, if not on this load
        "counted_at": overview.counted_at,
        "counted_before": overview.counted_at is not None and overview.counted_at < overview.now,
        "counted_every": max(1, setting("PORTAL2FA_DASHBOARD_SECONDS") // 60),
        "trend_total": overview.trend_total(trend),
        "method_adoption": overview.method_adoption(),
        "optional_methods_on": [gettext(LABELS[m]) for m in overview.optional_methods_on()],
        **_trend_context(trend, enrolled=counts.enrolled, target=counts.active),
        "counts": counts,
        "policy": overview.policy,
        "recent_days": RECENT_DAYS,
        "no_codes": _top(overview, "no-codes"),
        "low_codes": _top(overview, "low-codes"),
        "recent": _top(overview, "recent"),
        "roles": _top(overview, "roles-without-2fa"),
        "code_locked": _locked_page(request, overview),
        "overdue": _top(overview, "overdue-and-due-soon"),
        "overdue_counts": {k: capped(v) for k, v in overview.overdue_counts.items()},
        "due_soon_days": DUE_SOON_DAYS,
        "user_lists": overview.user_lists(),
        "trusted_signins": trusted_signins(now=overview.now),
        "trusted_signin_days": TRUSTED_SIGNIN_DAYS,
    }
    return _tab(request, "portal2fa/setup/overview.html", "overview", context)


def _top(overview: Overview, name: str):
    """The first rows of an Overview list; its "Show all" link pages through the rest."""
    return _page(None, overview, name, "", size=OVERVIEW_TOP_ROWS)


@administrator_required
@never_cache
@require_GET
def overview_list(request, name: str):
    """One Overview list in full, a page at a time (the widget's "Show all")."""
    if name not in SHOWN_IN_FULL:
        raise Http404("No such list.")
    overview = Overview(current_policy(), now=timezone.now())
    page = _page(request, overview, name, "page")
    header = overview.lists[name].header
    labels = [COLUMN_LABELS.get(label, label) for label in header]
    rows = [
        {
            "user_id": row.pop("user_id"),
            "role_id": row.pop("role_id"),
            "cells": list(zip(labels, map(_cell, row.values()), strict=True)),
        }
        for row in page.object_list
    ]
    context = {"name": name, "title": SHOWN_IN_FULL[name], "header": labels, "page": page}
    return _tab(request, "portal2fa/setup/overview_list.html", "overview", context | {"rows": rows})


def _cell(value) -> str:
    if isinstance(value, datetime):
        return formats.local_date(timezone.localtime(value), "minute")
    if isinstance(value, date):
        return formats.local_date(value, "day")
    return "—" if value is None else str(value)


def _trend_context(trend, *, enrolled: int, target: int) -> dict:
    """The trend as the administrator asks it: enrolled users at the end of each week (the
    newest is today's count), against the target of every active user enrolled."""
    later, totals = 0, []
    for week in reversed(trend):
        totals.append(max(0, enrolled - later))
        later += week.enrolled
    rows = list(zip(trend, reversed(totals), strict=True))
    return {
        "trend_rows": rows,
        "trend_chart": trend_chart(
            [(formats.local_date(week.end, "month_day"), total) for week, total in rows],
            target=target,
        ),
    }


def _locked_page(request, overview: Overview):
    """Locked by invalid codes: the rows carry the user's id for the Unlock button."""
    name = "code-locked"
    page = Paginator(overview.items(name), WIDGET_PAGE_SIZE).get_page(
        request.GET.get("locked_page")
    )
    page.object_list = [
        {**overview.lists[name].row(budget), "user_id": budget.user_id}
        for budget in page.object_list
    ]
    return page


@administrator_required
@require_POST
def unlock(request):
    """Unlock a second factor locked by invalid codes (the Overview's Unlock button)."""
    selected = _selected(request.POST.get("user"))
    if selected is None:
        messages.error(request, gettext("Select a user first."))
        return redirect("twofactor:setup-overview")
    try:
        code_lock_clear(
            actor=request.user,
            user=get_adapter().users().get(pk=selected.pk),
            at=timezone.now(),
            client_address=client_address(request),
        )
    except NotLocked as error:
        messages.info(request, str(error))
    else:
        messages.success(
            request,
            gettext("Two-factor authentication for %(name)s <%(email)s> is unlocked.")
            % {"name": selected.name, "email": selected.email},
        )
    return redirect("twofactor:setup-overview")


@administrator_required
@require_GET
def overview_json(request):
    with translation.override(None):  # scripts read it: English labels, ISO times, plain numbers
        data = Overview(current_policy(), now=timezone.now()).data()
    return JsonResponse(data)


@administrator_required
@require_GET
def export(request, name: str):
    if name not in exports.OVERVIEW_LISTS:
        raise Http404("No such list.")
    response = StreamingHttpResponse(
        exports.overview_csv(name), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@administrator_required
@never_cache
@require_GET
def user_detail(request, pk: int):
    """One user's two-factor view: state, dates, codes, sign-ins, failures, events, Reset."""
    detail = user_two_factor(pk, now=timezone.now())
    if detail is None:
        raise Http404("No such user.")
    return _tab(request, "portal2fa/setup/user.html", "", _user_context(detail))


def _user_context(detail, extend_form=None) -> dict:
    return {
        "detail": detail,
        # the enrollment due date and its extension (setup/_user_deadline.html)
        "deadline": user_deadline(detail.pk, now=timezone.now()),
        "extend_form": extend_form or ExtendDeadlineForm(),
        "reminders": user_reminders(detail.pk),  # the last one sent (setup/_user_reminders.html)
    }


@administrator_required
@never_cache
@require_POST
def extend_deadline(request, pk: int):
    """Give one user more time to enroll, with a reason (audited)."""
    user = get_adapter().users().filter(pk=pk).first()
    if user is None:
        raise Http404("No such user.")
    form = ExtendDeadlineForm(request.POST)
    if form.is_valid():
        try:
            row = deadline_extend(
                actor=request.user,
                user=user,
                days=form.cleaned_data["days"],
                until=form.cleaned_data["until"],
                reason=form.cleaned_data["reason"],
                at=timezone.now(),
                client_address=client_address(request),
            )
        except DeadlineError as error:
            form.add_error(None, str(error))
        else:
            day = formats.local_date(local_day(row.due_at), "day")
            name = get_adapter().display_name(user)
            messages.success(
                request, gettext("%(name)s is now due %(day)s.") % {"name": name, "day": day}
            )
            return redirect("twofactor:setup-user", pk=pk)
    detail = user_two_factor(pk, now=timezone.now())
    return _tab(request, "portal2fa/setup/user.html", "", _user_context(detail, form), status=400)


@administrator_required
@require_GET
def user_search(request):
    """Typeahead for the User field: name or email contains the query; a few matches as JSON."""
    form = UserSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    if len(query) < 2:
        return JsonResponse({"results": []})
    matches = users.search_active(query, limit=SEARCH_LIMIT)
    return JsonResponse({"results": [row.as_json() for row in matches]})


def _selected(user_id) -> users.UserRow | None:
    text = str(user_id or "")
    # Printable ASCII and short, then whatever the user model's primary key accepts (an integer,
    # a UUID…): junk selects nobody instead of raising.
    if not text or len(text) > 64 or not (text.isascii() and text.isprintable()):
        return None
    try:
        pk = get_user_model()._meta.pk.to_python(text)
        return users.user_row(pk)
    except (ValidationError, ValueError, TypeError, OverflowError, DataError):
        return None


@administrator_required
@never_cache
@require_http_methods(["GET", "POST"])
def reset_tab(request):
    if request.method == "POST":
        return _reset_post(request)
    search = UserSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    matches = users.search_active(query, limit=SEARCH_LIMIT) if len(query) >= 2 else None
    return _tab(
        request,
        "portal2fa/setup/reset.html",
        "reset",
        {
            "search": search,
            "query": query,
            "matches": matches,
            "selected": _selected(request.GET.get("user")),
            "form": ResetForm(),
        },
    )


def _reset_post(request):
    form = ResetForm(request.POST)
    selected = _selected(request.POST.get("user"))
    if selected is None:
        messages.error(request, gettext("Select a user first."))
        return redirect("twofactor:setup-reset")
    if not form.is_valid():  # the user is fine, so the reason is not: say so, keep the selection
        messages.error(
            request, gettext("The reason must be printable text of at most 500 characters.")
        )
        return redirect(f"{reverse('twofactor:setup-reset')}?user={selected.pk}")
    if not selected.resettable:
        messages.info(
            request,
            gettext("%(name)s has not enrolled: there is nothing to reset.")
            % {"name": selected.name},
        )
        return redirect(f"{reverse('twofactor:setup-reset')}?user={selected.pk}")
    if not form.cleaned_data[
        "confirmed"
    ]:  # the server-rendered confirmation step (works without JS)
        return _tab(
            request,
            "portal2fa/setup/reset_confirm.html",
            "reset",
            {"selected": selected, "form": form},
        )
    user = get_adapter().users().get(pk=selected.pk)
    try:
        enrollment_reset(
            actor=request.user,
            user=user,
            at=timezone.now(),
            client_address=client_address(request),
            reason=form.cleaned_data["reason"],
        )
    except EnrollmentError as error:
        messages.error(request, str(error))
        return redirect(f"{reverse('twofactor:setup-reset')}?user={selected.pk}")
    messages.success(
        request,
        gettext("Two-factor enrollment for %(name)s <%(email)s> has been reset.")
        % {"name": selected.name, "email": selected.email},
    )
    if request.POST.get("issue_pass") and current_policy().reset_needs_access_pass:
        access_pass.issue_and_keep(request, user)  # shown on the Reset tab, the user selected
        return redirect(f"{reverse('twofactor:setup-reset')}?user={selected.pk}")
    return redirect("twofactor:setup-reset")
