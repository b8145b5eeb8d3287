from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "portal2fa.api"
    label = "portal2fa_api"
    verbose_name = _("Portal 2FA API, webhooks and metrics")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from ..audit.models import AuditEvent
        from ..audit.signals import event_committed, event_recorded
        from ..twofactor.services.reminders import batch_sent
        from . import checks  # noqa: F401  (registers the system checks)
        from .events import log_committed_event
        from .services.metrics import count_event, count_reminders
        from .services.outbox import enqueue_event

        event_recorded.connect(enqueue_event, sender=AuditEvent, dispatch_uid="p2fa-api-outbox")
        event_recorded.connect(count_event, sender=AuditEvent, dispatch_uid="p2fa-api-metrics")
        event_committed.connect(log_committed_event, sender=AuditEvent, dispatch_uid="p2fa-api-log")
        batch_sent.connect(count_reminders, dispatch_uid="p2fa-api-reminders")
