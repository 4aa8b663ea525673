"""The data classes retention and erasure work on."""

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["PERSON_RECORD", "DataClass"]


class DataClass(models.TextChoices):
    HANDOVER_CONTENT = "handover_content", _("Handover content")
    ATTACHMENTS = "attachments", _("Attachments")
    COMMENTS = "comments", _("Comments and questions")
    CONNECTOR_SNAPSHOTS = "connector_snapshots", _("Connector snapshots")
    SIGNATURE_METADATA = (
        "signature_metadata",
        _("Signature metadata (IP address, browser)"),
    )
    AUDIT_EVENTS = "audit_events", _("Personal data in audit events")
    CERTIFICATES = "certificates", _("Certificate PDFs")
    NOTIFICATION_LOGS = "notification_logs", _("Notification logs")


# Not a class of handover data: the person's own Employee record and user
# account. ``erase_person`` anonymises them unless ``keep`` names this key.
PERSON_RECORD = "person_record"
