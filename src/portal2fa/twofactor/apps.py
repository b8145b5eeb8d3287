from django.apps import AppConfig


class TwoFactorConfig(AppConfig):
    name = "portal2fa.twofactor"
    label = "twofactor"
    verbose_name = "Two-factor authentication"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.conf import settings
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_save

        from . import checks  # noqa: F401  (registers the system checks)
        from .signals import hold_new_login, sync_user_active

        post_save.connect(sync_user_active, sender=settings.AUTH_USER_MODEL, dispatch_uid="p2fa")
        user_logged_in.connect(hold_new_login, dispatch_uid="portal2fa-hold-new-login")
