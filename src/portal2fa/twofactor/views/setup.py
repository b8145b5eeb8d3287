"""Setup -> Two-Factor Authentication: the Settings, Overview and Reset Enrollment tabs.

Administrators only (403 for anyone else). Thin: parse, call one service or selector, render.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from ... import exports
from ...accounts.decorators import administrator_required
from ...accounts.http import client_address
from ...accounts.models import User
from ...accounts.selectors import users_with_state
from ..forms import ResetForm, SettingsForm, UserSearchForm
from ..policy import get_settings
from ..selectors import overview as widgets
from ..services.enrollment import EnrollmentError, enrollment_reset
from ..services.settings import SettingsError, settings_update

WIDGET_PAGE_SIZE = 10
SEARCH_LIMIT = 10


def _tab(request, template: str, tab: str, context: dict, status: int = 200):
    return render(request, template, {"tab": tab, **context}, status=status)


@administrator_required
@never_cache
@require_http_methods(["GET", "POST"])
def settings_tab(request):
    policy = get_settings()
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
                )
            except SettingsError as error:
                for field, field_errors in error.errors.items():
                    for message in field_errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, "Settings saved." if changed else "No changes to save.")
                return redirect("twofactor:setup-settings")
        return _tab(
            request, "twofactor/setup/settings.html", "settings", {"form": form}, status=400
        )
    return _tab(request, "twofactor/setup/settings.html", "settings", {"form": form})


def _page(request, queryset, name: str):
    return Paginator(queryset, WIDGET_PAGE_SIZE).get_page(request.GET.get(f"{name}_page"))


@administrator_required
@require_GET
def overview_tab(request):
    policy, now = get_settings(), timezone.now()
    context = {
        "counts": widgets.enrollment_counts(),
        "policy": policy,
        "recent_days": widgets.RECENT_DAYS,
        "no_codes": _page(request, widgets.users_without_codes(), "no_codes"),
        "low_codes": _page(
            request, widgets.users_low_on_codes(policy.low_codes_threshold), "low_codes"
        ),
        "recent": _page(request, widgets.recent_enrollments(now=now), "recent"),
        "roles": _page(request, widgets.roles_without_2fa(policy), "roles"),
    }
    return _tab(request, "twofactor/setup/overview.html", "overview", context)


@administrator_required
@require_GET
def overview_json(request):
    data = widgets.overview_data(get_settings(), now=timezone.now())
    return JsonResponse(data)


@administrator_required
@require_GET
def export(request, name: str):
    if name not in exports.EXPORTS or name == "audit":
        raise Http404("No such list.")
    response = StreamingHttpResponse(
        exports.export_csv(name), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@administrator_required
@require_GET
def user_search(request):
    """Typeahead for the User field: name or email contains the query; a few matches as JSON."""
    form = UserSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    if len(query) < 2:
        return JsonResponse({"results": []})
    rows = users_with_state(search=query).filter(is_active=True)[:SEARCH_LIMIT]
    return JsonResponse(
        {
            "results": [
                {"id": u.pk, "name": u.full_name, "email": u.email, "state": u.state_label}
                for u in rows
            ]
        }
    )


def _selected(user_id) -> User | None:
    text = str(user_id or "")
    # ASCII digits only, and short: int() refuses "²" and strings of more than 4300 digits.
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    return users_with_state().filter(pk=int(text)).first()


@administrator_required
@never_cache
@require_http_methods(["GET", "POST"])
def reset_tab(request):
    if request.method == "POST":
        return _reset_post(request)
    search = UserSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    matches = (
        users_with_state(search=query).filter(is_active=True)[:SEARCH_LIMIT]
        if len(query) >= 2
        else None
    )
    return _tab(
        request,
        "twofactor/setup/reset.html",
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
        messages.error(request, "Select a user first.")
        return redirect("twofactor:setup-reset")
    if not form.is_valid():  # the user is fine, so the reason is not: say so, keep the selection
        messages.error(request, "The reason must be printable text of at most 500 characters.")
        return redirect(f"{reverse('twofactor:setup-reset')}?user={selected.pk}")
    if selected.state_label == "Not Started":
        messages.info(request, f"{selected.full_name} has not enrolled: there is nothing to reset.")
        return redirect(f"{reverse('twofactor:setup-reset')}?user={selected.pk}")
    if not form.cleaned_data[
        "confirmed"
    ]:  # the server-rendered confirmation step (works without JS)
        return _tab(
            request,
            "twofactor/setup/reset_confirm.html",
            "reset",
            {"selected": selected, "form": form},
        )
    try:
        enrollment_reset(
            actor=request.user,
            user=get_object_or_404(User, pk=selected.pk),
            at=timezone.now(),
            client_address=client_address(request),
            reason=form.cleaned_data["reason"],
        )
    except EnrollmentError as error:
        messages.error(request, str(error))
        return redirect(f"{reverse('twofactor:setup-reset')}?user={selected.pk}")
    messages.success(
        request,
        f"Two-factor enrollment for {selected.full_name} <{selected.email}> has been reset.",
    )
    return redirect("twofactor:setup-reset")
