from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = _("Connectors")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from checklist_blocks.registry import register_connector_catalog
        from cms.signals import handover_event, handover_started

        from . import settings_store, types  # noqa: F401 — types, sample store
        from .access.planning import plan_on_accept
        from .services import handover_started_receiver
        from .writeback import transfer_queue_on_accept

        handover_started.connect(
            handover_started_receiver, dispatch_uid="connectors-handover-fill"
        )
        handover_event.connect(
            transfer_queue_on_accept, dispatch_uid="connectors-write-back"
        )
        handover_event.connect(plan_on_accept, dispatch_uid="connectors-access-plan")
        register_connector_catalog(configured_slugs)


def configured_slugs():
    from .models import ConnectorConfig

    return set(ConnectorConfig.objects.values_list("slug", flat=True))
