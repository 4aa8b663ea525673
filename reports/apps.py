from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self):
        from cms.signals import handover_event

        handover_event.connect(_on_handover_event, dispatch_uid="reports-certificates")


def _on_handover_event(sender, *, handover_id, event, **kwargs):
    if event == "handover.completed":
        from .tasks import issue_certificate

        issue_certificate(handover_id)
