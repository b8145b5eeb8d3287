"""Receivers that keep the library right whatever the host does with its users and logins."""

from .models import Authenticator
from .services.sessions import sessions_end_others
from .web import session as second_factor


def sync_user_active(sender, instance, update_fields=None, **kwargs):
    """Keep Authenticator.user_active equal to the user's is_active, in the saving transaction, so
    the Overview never joins the host's user table. (A queryset .update() of users bypasses
    signals: `portal2fa overview --verify` finds such drift.)"""
    if update_fields is not None and "is_active" not in update_fields:
        return
    active = bool(getattr(instance, "is_active", True))
    Authenticator.objects.filter(user_id=instance.pk).exclude(user_active=active).update(
        user_active=active
    )
    if not active and not kwargs.get("created"):  # a deactivation ends the user's sessions
        sessions_end_others(user=instance)


def hold_new_login(sender, request, user, **kwargs):
    """Any login (the host's view, the admin's, an SSO backend) starts without a second factor."""
    if request is not None and hasattr(request, "session"):
        second_factor.forget(request)
        second_factor.record_generation(request, user)
