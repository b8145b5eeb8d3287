from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TwoFactorConfig(AppConfig):
    name = "portal2fa.twofactor"
    label = "twofactor"
    verbose_name = _("Two-factor authentication")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

        from ..audit.models import CHANGE_LABELS, Action
        from . import checks  # noqa: F401  (registers the system checks)
        from .models import setting_labels

        CHANGE_LABELS[Action.SETTINGS_CHANGED] = setting_labels
        from .models import Authenticator
        from .signals import (
            follow_group_membership,
            follow_password_change,
            forget_deleted_authenticator,
            forget_deleted_user,
            hold_new_login,
            remember_user_active,
            sync_user_active,
        )

        user_model = settings.AUTH_USER_MODEL
        pre_save.connect(remember_user_active, sender=user_model, dispatch_uid="p2fa")
        post_save.connect(sync_user_active, sender=user_model, dispatch_uid="p2fa")
        post_save.connect(follow_password_change, sender=user_model, dispatch_uid="p2fa-password")
        post_delete.connect(forget_deleted_user, sender=user_model, dispatch_uid="p2fa")
        post_delete.connect(forget_deleted_authenticator, sender=Authenticator, dispatch_uid="p2fa")
        user_logged_in.connect(hold_new_login, dispatch_uid="portal2fa-hold-new-login")
        groups = getattr(get_user_model(), "groups", None)  # a user model with Django's Groups
        if groups is not None and hasattr(groups, "through"):
            m2m_changed.connect(follow_group_membership, sender=groups.through, dispatch_uid="p2fa")
