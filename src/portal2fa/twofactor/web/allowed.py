"""A method a view does not take (PUT, PATCH, DELETE...) is answered 405, with the methods it
does take, even without a CSRF token: CsrfViewMiddleware runs before the view's own method check
and would answer 403, as if the request were a forgery, when it is only the wrong method."""

from django.http import HttpResponseNotAllowed
from django.urls import Resolver404, resolve
from django.utils.log import log_response

CHECKED_BY_CSRF_ONLY = ("GET", "HEAD", "OPTIONS", "TRACE", "POST")  # left to the view itself


def allowed_methods(view) -> list[str] | None:
    """The methods a view takes: a class-based view's handlers, or the list given to Django's
    require_http_methods (require_GET, require_POST) found through the decorators' __wrapped__.
    None when the view does not say (the view then answers for itself)."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return [m.upper() for m in view_class.http_method_names if hasattr(view_class, m)]
    while view is not None:
        code = getattr(view, "__code__", None)
        if code is not None and "request_method_list" in code.co_freevars and view.__closure__:
            cell = view.__closure__[code.co_freevars.index("request_method_list")]
            return list(cell.cell_contents)
        view = getattr(view, "__wrapped__", None)
    return None


def method_refusal(request):
    """405 for a method the requested view does not take, else None."""
    if request.method in CHECKED_BY_CSRF_ONLY:
        return None
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    allowed = allowed_methods(match.func)
    if allowed is None or request.method in allowed:
        return None
    response = HttpResponseNotAllowed(allowed)
    log_response(
        "Method Not Allowed (%s): %s",
        request.method,
        request.path,
        response=response,
        request=request,
    )
    return response
