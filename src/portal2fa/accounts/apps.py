from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """The demo portal: its users and Security Roles, the Users and Roles pages, the demo seed."""

    name = "portal2fa.accounts"
    label = "accounts"
    verbose_name = _("Demo portal")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401  (registers the demo's configuration checks)
