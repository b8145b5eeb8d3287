"""Setup -> Users and Security Roles. Administrators only; writes go through accounts.services."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ..twofactor.web.decorators import administrator_required
from ..twofactor.web.http import client_address
from .forms import ListSearchForm, NewRoleForm, NewUserForm, RoleForm, UserForm
from .models import SecurityRole, User
from .selectors import users_with_state
from .services import AccountError, role_create, role_update, user_create, user_update

PAGE_SIZE = 50


def _search_term(request) -> tuple[ListSearchForm, str]:
    form = ListSearchForm(request.GET)
    return form, (form.cleaned_data["q"] if form.is_valid() else "")


@administrator_required
@require_safe
def user_list(request):
    form, query = _search_term(request)
    page = Paginator(users_with_state(search=query), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "query": query, "page": page, "search_query": urlencode({"q": query})}
    return render(request, "accounts/setup/user_list.html", context)


def _save(
    request,
    form,
    action,
    success: str,
    redirect_to: str | Callable[[dict], str],
    template: str,
    context: dict,
):
    """Shared POST handling: valid form -> service -> redirect; else the form with its messages."""
    if request.method == "POST" and form.is_valid():
        try:
            action(form.cleaned_data, at=timezone.now(), client_address=client_address(request))
        except AccountError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, success)
            return redirect(
                redirect_to(form.cleaned_data) if callable(redirect_to) else redirect_to
            )
    status = 400 if request.method == "POST" else 200
    return render(request, template, {"form": form, **context}, status=status)


@administrator_required
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def user_new(request):
    form = NewUserForm(request.POST if request.method == "POST" else None)

    def create(data, **where):
        user_create(
            actor=request.user,
            email=data["email"],
            full_name=data["full_name"],
            role=data["role"],
            password=data["password"] or None,
            is_active=data["is_active"],
            **where,
        )

    return _save(
        request,
        form,
        create,
        gettext("User created."),
        # The list filtered to the new user: on page 1 of a long list they would not be visible.
        lambda data: f"{reverse('accounts:setup-users')}?{urlencode({'q': data['email']})}",
        "accounts/setup/user_form.html",
        {"creating": True},
    )


@administrator_required
@require_POST
def user_set_active(request, pk: int):
    """The Deactivate / Reactivate button of the user page."""
    user = get_object_or_404(User.objects.select_related("role"), pk=pk)
    wanted = request.POST.get("active") == "1"
    try:
        user_update(
            actor=request.user,
            user=user,
            email=user.email,
            full_name=user.full_name,
            role=user.role,
            is_active=wanted,
            at=timezone.now(),
            client_address=client_address(request),
        )
    except AccountError as error:
        messages.error(request, str(error))
    else:
        done = gettext("%(name)s reactivated.") if wanted else gettext("%(name)s deactivated.")
        messages.success(request, done % {"name": user.full_name})
    return redirect("accounts:setup-user-edit", pk=user.pk)


@administrator_required
@require_http_methods(["GET", "POST"])
def user_edit(request, pk: int):
    user = get_object_or_404(users_with_state(), pk=pk)
    initial = {
        "full_name": user.full_name,
        "email": user.email,
        "role": user.role,
        "is_active": user.is_active,
    }
    form = UserForm(request.POST if request.method == "POST" else None, initial=initial)

    def update(data, **where):
        user_update(
            actor=request.user,
            user=user,
            email=data["email"],
            full_name=data["full_name"],
            role=data["role"],
            is_active=data["is_active"],
            **where,
        )

    return _save(
        request,
        form,
        update,
        gettext("User saved."),
        "accounts:setup-users",
        "accounts/setup/user_form.html",
        {"subject": user},
    )


@administrator_required
@require_safe
def role_list(request):
    form, query = _search_term(request)
    roles = SecurityRole.objects.annotate(user_count=Count("users")).order_by("name")
    if query:
        roles = roles.filter(name__icontains=query)
    page = Paginator(roles, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "query": query, "page": page}
    return render(request, "accounts/setup/role_list.html", context)


@administrator_required
@require_http_methods(["GET", "POST"])
def role_new(request):
    form = NewRoleForm(request.POST if request.method == "POST" else None)

    def create(data, **where):
        role_create(
            actor=request.user,
            name=data["name"],
            type=data["type"],
            requires_2fa=data["requires_2fa"],
            **where,
        )

    return _save(
        request,
        form,
        create,
        gettext("Security Role created."),
        "accounts:setup-roles",
        "accounts/setup/role_form.html",
        {"creating": True},
    )


@administrator_required
@require_http_methods(["GET", "POST"])
def role_edit(request, pk: int):
    role = get_object_or_404(SecurityRole, pk=pk)
    form = RoleForm(
        request.POST if request.method == "POST" else None,
        initial={"name": role.name, "type": role.type},
    )

    def update(data, **where):
        role_update(actor=request.user, role=role, name=data["name"], type=data["type"], **where)

    return _save(
        request,
        form,
        update,
        gettext("Security Role saved."),
        "accounts:setup-roles",
        "accounts/setup/role_form.html",
        {"subject": role},
    )
