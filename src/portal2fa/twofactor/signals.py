"""Receivers that keep the library right whatever the host does with its users and logins."""

from django.contrib.auth.hashers import get_hasher, identify_hasher
from django.db import connection, transaction
from django.utils import timezone

from .machinery import counters
from .machinery.session_generation import sessions_end_others, signins_end
from .models import Authenticator
from .services.deadlines import deadlines_refresh, user_deadline_refresh
from .services.trusted_browsers import trusted_browsers_revoke_all
from .web import second_factor


def _is_active(user) -> bool:
    return bool(getattr(user, "is_active", True))


def remember_user_active(sender, instance, update_fields=None, raw=False, **kwargs):
    """Before a user's UPDATE: the is_active and the password hash it replaces (one read), for the
    "active" count and to notice a new password (follow_password_change). Inside a transaction
    the row is locked (NO KEY UPDATE, as the save's own UPDATE will), so two concurrent
    (de)activations of one user count once."""
    instance._p2fa_was_active = None
    instance._p2fa_old_password = None
    if raw or instance._state.adding or instance.pk is None:
        return
    stored = {field.attname for field in instance._meta.concrete_fields}
    fields = [
        name
        for name in ("is_active", "password")
        if name in stored and (update_fields is None or name in update_fields)
    ]
    if not fields:
        return
    rows = type(instance)._base_manager.filter(pk=instance.pk)
    if connection.in_atomic_block:
        rows = rows.select_for_update(no_key=True)
    found = rows.values(*fields).first() or {}
    instance._p2fa_was_active = found.get("is_active")
    instance._p2fa_old_password = found.get("password")


def follow_password_change(sender, instance, created=False, raw=False, **kwargs):
    """Any change of the password hash, wherever it comes from (a host's password reset, the CLI,
    the admin, set_password() and save()): the user's sign-ins in progress end and every browser
    they trusted is revoked, in the saving transaction. (Django itself ends their sessions: each
    holds a hash of the old password.)"""
    old = getattr(instance, "_p2fa_old_password", None)
    if raw or created or old is None or old == getattr(instance, "password", old):
        return
    if _upgraded_hash(instance, old):
        return
    with transaction.atomic():
        signins_end(user=instance)
        trusted_browsers_revoke_all(
            user=instance, actor=None, at=timezone.now(), reason="password changed"
        )


def _upgraded_hash(instance, old: str) -> bool:
    """Django storing the same password anew (check_password() after the hashers or their
    parameters changed): not a new password. set_password() keeps the new password on
    `_password` until the save; the upgrade clears it first, and replaces only a hash that the
    preferred hasher would not make now."""
    if getattr(instance, "_password", None) is not None:
        return False
    try:
        hasher = identify_hasher(old)
    except ValueError:  # unusable or unknown: no upgrade of it
        return False
    preferred = get_hasher("default")
    return hasher.algorithm != preferred.algorithm or preferred.must_update(old)


def sync_user_active(sender, instance, created=False, update_fields=None, raw=False, **kwargs):
    """Keep Authenticator.user_active equal to the user's is_active, and the Overview counters
    ("active", and the authenticator's buckets), in the saving transaction, so the Overview never
    joins the host's user table. (A queryset .update() of users bypasses signals:
    `portal2fa overview --verify` finds such drift and `--fix` repairs it.)"""
    if raw:
        return
    active = _is_active(instance)
    before: list[str] = []
    after: list[str] = []
    if created:
        after += [counters.ACTIVE] if active else []
        counters.move(before, after)
        # An account created in a role that requires 2FA: its due date starts now.
        user_deadline_refresh(user=instance, at=timezone.now(), new=True)
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    was = getattr(instance, "_p2fa_was_active", None)
    if was is not None and bool(was) != active:
        (after if active else before).append(counters.ACTIVE)
    with transaction.atomic():  # the save's own transaction when it has one
        found = counters.locked_state(user_id=instance.pk)
        if found is not None and found[1].user_active != active:
            pk, state = found
            Authenticator.objects.filter(pk=pk).update(user_active=active)
            before += state.buckets()
            after += state.replace(user_active=active).buckets()
        counters.move(before, after)
        if not active:  # a deactivation ends the user's sessions and revokes their trust
            sessions_end_others(user=instance)
            trusted_browsers_revoke_all(
                user=instance, actor=None, at=timezone.now(), reason="account deactivated"
            )


def follow_group_membership(sender, instance, action, reverse, model, pk_set, **kwargs):
    """A user who joins or leaves a Group (the default adapter's Security Roles): their due date
    follows, from either side of the relation (user.groups.add, group.user_set.add)."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        users = type(instance)._default_manager.filter(pk=instance.pk)
    elif action == "post_clear":
        return  # the group's users are unknown after a clear; their next change catches up
    else:
        users = model._default_manager.filter(pk__in=pk_set)
    deadlines_refresh(users=users, at=timezone.now())


def forget_deleted_user(sender, instance, **kwargs):
    if _is_active(instance):
        counters.move((counters.ACTIVE,), ())


def forget_deleted_authenticator(sender, instance, **kwargs):
    """A reset, or the user's deletion cascading: its buckets lose one."""
    counters.move(counters.counted_state(instance).buckets(), ())


def hold_new_login(sender, request, user, **kwargs):
    """Any login (the host's view, the admin's, an SSO backend) starts without a second factor."""
    if request is not None and hasattr(request, "session"):
        second_factor.forget(request)
        second_factor.record_generation(request, user)
