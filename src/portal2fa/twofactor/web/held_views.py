"""Which of the host's views a held session may reach (TwoFactorMiddleware asks): the ways out
(its login page, where a new sign-in starts over; its logout views) and what a held page loads
(static files, the JavaScript catalogue, what PORTAL2FA_HELD_PAGES_MAY_LOAD adds). None of them
may return the user's data: the session has not passed the second factor."""

from django.contrib.auth.views import LoginView, LogoutView

from ..conf import setting

STATIC_VIEWS = {"django.views.static.serve", "django.contrib.staticfiles.views.serve"}


def is_login_page(request, view_func) -> bool:
    """The host's login page: a Django LoginView (or subclass) or a URL name in
    PORTAL2FA_LOGIN_VIEWS (the admin's, django-allauth's). Portal 2FA's own sign-in page handles a
    held session itself."""
    match = request.resolver_match
    if match is None or match.namespace == "twofactor":
        return False
    return match.view_name in setting("PORTAL2FA_LOGIN_VIEWS") or _is_subclass_view(
        view_func, LoginView
    )


def is_logout_view(request, view_func) -> bool:
    match = request.resolver_match
    if match and match.view_name in setting("PORTAL2FA_LOGOUT_VIEWS"):
        return True
    return _is_subclass_view(view_func, LogoutView)


def may_load(request, view_func) -> bool:
    """Static files and the views or path prefixes PORTAL2FA_HELD_PAGES_MAY_LOAD names."""
    names = _dotted_names(view_func)
    if names & STATIC_VIEWS:
        return True
    match = request.resolver_match
    for entry in setting("PORTAL2FA_HELD_PAGES_MAY_LOAD"):
        if entry.startswith("/"):
            if request.path_info.startswith(entry):
                return True
        elif entry in names or (match and entry == match.view_name):
            return True
    return False


def _is_subclass_view(view_func, base) -> bool:
    return issubclass(getattr(view_func, "view_class", type(None)), base)


def _dotted_names(view_func) -> set[str]:
    """The view function's dotted name, and for a class-based view its class and base classes'
    (so a subclass of an allowed view is allowed)."""
    names = {f"{view_func.__module__}.{view_func.__name__}"}
    view_class = getattr(view_func, "view_class", None)
    if view_class is not None:
        names |= {f"{cls.__module__}.{cls.__qualname__}" for cls in view_class.__mro__}
    return names
