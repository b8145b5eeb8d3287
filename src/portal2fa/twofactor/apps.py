from django.apps import AppConfig


class TwoFactorConfig(AppConfig):
    name = "portal2fa.twofactor"
    label = "twofactor"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
