"""{% load portal2fa %}: what the library's templates need to know about the host, so a host
adds no context processor."""

from django import template
from django.conf import settings
from django.shortcuts import resolve_url

from .. import formats
from ..adapter import get_adapter
from ..conf import setting
from ..deadlines import local_day
from ..web.session import is_held

register = template.Library()


@register.filter
def due_day(due_at):
    """The day a due moment closes ("by 11 March" is due at 12 March 00:00): the date to show."""
    return local_day(due_at) if due_at else None


@register.simple_tag
def site_name() -> str:
    return setting("PORTAL2FA_SITE_NAME")


@register.simple_tag
def login_url() -> str:
    """The host's login page: where "Start a new sign-in" leads."""
    return resolve_url(settings.LOGIN_URL)


@register.simple_tag
def setup_home_url() -> str:
    return resolve_url(setting("PORTAL2FA_SETUP_HOME"))


@register.filter
def display_name(user) -> str:
    return get_adapter().display_name(user) if user else ""


@register.filter
def user_email(user) -> str:
    return get_adapter().email(user) if user else ""


@register.filter
def can_administer(user) -> bool:
    return bool(user) and get_adapter().can_administer(user)


@register.filter
def second_factor_passed(request) -> bool:
    """Signed in and past the second factor (a held session sees no navigation). A request
    refused before the authentication middleware ran (a Host not allowed) has no user."""
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated and not is_held(request))


def _error_id(field, index: int) -> str:
    base = f"{field.auto_id}-error"
    return base if index == 0 else f"{base}-{index + 1}"


@register.filter
def error_ids(field) -> list[tuple[str, str]]:
    """(id, message) of each error of a bound field; the ids the widget's aria-describedby names."""
    return [(_error_id(field, i), str(error)) for i, error in enumerate(field.errors)]


@register.filter
def errors_id(form) -> str:
    """The id of the form's own errors (portal2fa/_form_errors.html)."""
    return f"{form.prefix or 'form'}-errors"


@register.filter
def describedby(field) -> str:
    """The ids of the form's own errors (e.g. "The email or password is incorrect." concerns each
    field), the field's hint (`<auto_id>_helptext`) and its errors, for aria-describedby."""
    ids = [errors_id(field.form)] if field.form.non_field_errors() else []
    ids += [f"{field.auto_id}_helptext"] if field.help_text else []
    ids += [_error_id(field, i) for i in range(len(field.errors))]
    return " ".join(ids)


@register.filter
def described_widget(field):
    """The widget with aria-describedby naming exactly the hint and error elements that
    portal2fa/_field.html renders (Django's own default names a hint id we may not render),
    marked invalid when the form as a whole was refused."""
    attrs = {"aria-describedby": describedby(field)}
    if field.form.non_field_errors():
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs={k: v for k, v in attrs.items() if v})


@register.filter
def described_by(field, ids: str):
    """The widget with aria-describedby="<ids>" plus its own hint and errors: {{ f|described_by:"x" }}."""
    own = describedby(field)
    return field.as_widget(attrs={"aria-describedby": " ".join(filter(None, [ids, own]))})


@register.inclusion_tag("portal2fa/setup/_send_refusals.html")
def code_send_refusals(user_pk):
    """The per-user 2FA view's list of refused email and SMS code sends (services/send_limits.py)."""
    from ..selectors.user_detail import send_refusals

    return {"refusals": send_refusals(user_pk)}


@register.filter(expects_localtime=True)
def local_date(value, kind: str) -> str:
    """A date or moment in the reader's language: {{ at|local_date:"minute" }} (formats.KINDS)."""
    return formats.local_date(value, kind)


@register.filter
def percent(value) -> str:
    return formats.percent(value)
