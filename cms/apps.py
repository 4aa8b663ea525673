from django.apps import AppConfig


class CmsConfig(AppConfig):
    verbose_name = "Baton"
    name = "cms"

    def ready(self):
        from . import checks, tasks  # noqa: F401 - checks registers the deploy checks
        from .auth import signals as auth_signals
        from .observability import huey_signals
        from .signals import handover_event

        handover_event.connect(
            tasks.queue_notification, dispatch_uid="cms.tasks.queue_notification"
        )
        auth_signals.connect()
        huey_signals.connect()
