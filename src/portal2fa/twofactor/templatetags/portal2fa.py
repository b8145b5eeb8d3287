"""{% load portal2fa %}: what the library's templates need to know about the host, so a host
adds no context processor."""

from django import template
from django.conf import settings
from django.shortcuts import resolve_url

from ..adapter import get_adapter
from ..conf import setting
from ..web.session import is_held

register = template.Library()


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
    """Signed in and past the second factor (a held session sees no navigation)."""
    return bool(request) and request.user.is_authenticated and not is_held(request)
