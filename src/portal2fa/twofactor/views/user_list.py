"""Setup -> Two-Factor Authentication -> Users: the 2FA user list filtered by state, Security Role
and "overdue", its CSV, and "Send a reminder now" (one user, or the filtered list). Administrators
only. Thin: parse the filter, call the selector or the service, render."""

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from ..adapter import get_adapter
from ..machinery.policy import current_policy
from ..models import EnrollmentState
from ..selectors import exports
from ..selectors.overview import Overview
from ..selectors.user_list import (
    NOT_ENROLLED,
    FilterError,
    UserFilter,
    all_users,
    parse_filter,
    user_page,
)
from ..services.reminders import ReminderError, reminder_send, reminders_send
from ..web.decorators import administrator_required
from ..web.http import client_address

PAGE_SIZE = 50


class UserListForm(forms.Form):
    state = forms.ChoiceField(
        label=_("2FA state"),
        required=False,
        choices=[
            ("", _("Any state")),
            *[(s.value, s.label) for s in EnrollmentState],
            (NOT_ENROLLED, _("Not enrolled (Pending or Not Started)")),
        ],
    )
    role = forms.ChoiceField(label=_("Security Role"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    after = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles = get_adapter().roles()
        role = cast(forms.ChoiceField, self.fields["role"])
        role.choices = [("", gettext("Any role")), *[(r.id, r.name) for r in self.roles]]

    def user_filter(self) -> UserFilter:
        data = self.cleaned_data
        return parse_filter(
            state=data["state"], role=data["role"], overdue=data["overdue"], roles=self.roles
        )


def _filter_or_errors(request, data) -> tuple[UserListForm, UserFilter | None]:
    form = UserListForm(data)
    if not form.is_valid():
        return form, None
    try:
        return form, form.user_filter()
    except FilterError as error:
        form.add_error(None, str(error))
        return form, None


def _known_count(wanted: UserFilter, *, now) -> int | None:
    """The list's size when the Overview's counters hold it (a state, or no filter); else None:
    counting a filtered million is what keyset pages avoid."""
    if wanted.role or wanted.overdue:
        return None
    counts = Overview(current_policy(), now=now).counts
    return {
        None: counts.active,
        EnrollmentState.ENROLLED: counts.enrolled,
        EnrollmentState.PENDING: counts.pending,
        EnrollmentState.NOT_STARTED: counts.not_started,
    }[wanted.state]


@administrator_required
@require_GET
def user_list(request):
    form, wanted = _filter_or_errors(request, request.GET)
    now = timezone.now()
    context: dict[str, Any] = {"form": form, "filter": wanted, "now": now}
    if wanted is None:
        return render(request, "portal2fa/setup/users.html", {**context, "tab": ""}, status=400)
    try:
        page = user_page(wanted, now=now, size=PAGE_SIZE, cursor=form.cleaned_data["after"])
    except FilterError as error:
        form.add_error(None, str(error))
        return render(request, "portal2fa/setup/users.html", {**context, "tab": ""}, status=400)
    context |= {
        "page": page,
        "first_page": bool(form.cleaned_data["after"]),
        "count": _known_count(wanted, now=now),
        "remindable": wanted.state is not EnrollmentState.ENROLLED,
    }
    return render(request, "portal2fa/setup/users.html", {**context, "tab": ""})


@administrator_required
@require_GET
def user_list_csv(request):
    form, wanted = _filter_or_errors(request, request.GET)
    if wanted is None:
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return HttpResponseBadRequest(
            gettext("Invalid filter: %(errors)s") % {"errors": errors} + "\n",
            content_type="text/plain; charset=utf-8",
        )
    response = StreamingHttpResponse(
        exports.user_list_csv(wanted, now=timezone.now()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="users.csv"'
    return response


@administrator_required
@require_POST
def remind_user(request, pk: int):
    """ "Send a reminder now" on a user's 2FA view."""
    user = get_adapter().users().filter(pk=pk).first()
    if user is None:
        messages.error(request, gettext("No such user."))
        return redirect("twofactor:setup-users")
    try:
        reminder_send(
            actor=request.user,
            user=user,
            at=timezone.now(),
            client_address=client_address(request),
        )
    except ReminderError as error:
        messages.error(request, str(error))
    else:
        email = get_adapter().email(user)
        messages.success(request, gettext("Reminder sent to %(email)s.") % {"email": email})
    return redirect("twofactor:setup-user", pk=pk)


@administrator_required
@require_POST
def remind_list(request):
    """ "Send a reminder now" to the users of the filtered list (the first of them; see
    reminders_send for the limits)."""
    form, wanted = _filter_or_errors(request, request.POST)
    if wanted is None:
        messages.error(
            request, gettext("The list's filter was damaged: reload the page and try again.")
        )
        return redirect("twofactor:setup-users")
    back = f"{reverse('twofactor:setup-users')}?{wanted.query}"
    if wanted.state is EnrollmentState.ENROLLED:
        messages.info(request, gettext("Enrolled users need no reminder."))
        return redirect(back)
    now = timezone.now()
    users = (
        get_adapter().users().get(pk=listed.pk)
        for listed in all_users(wanted, now=now)
        if listed.state is not EnrollmentState.ENROLLED
    )
    try:
        result = reminders_send(
            actor=request.user, users=users, at=now, client_address=client_address(request)
        )
    except ReminderError as error:
        messages.error(request, str(error))
        return redirect(back)
    sentences = [
        ngettext("Sent %(count)s reminder.", "Sent %(count)s reminders.", result.sent)
        % {"count": result.sent}
    ]
    if result.skipped:
        sentences.append(
            ngettext(
                "%(count)s skipped (reminded in the last day, no address, or no role requiring "
                "2FA).",
                "%(count)s skipped (reminded in the last day, no address, or no role requiring "
                "2FA).",
                result.skipped,
            )
            % {"count": result.skipped}
        )
    if result.more:
        sentences.append(gettext("More users match: send again for the next ones."))
    messages.success(request, " ".join(sentences))
    return redirect(back)
