from .audit import AuditChainCheckpoint, AuditDatabaseCheckpoint, AuditEvent
from .employees import Employee
from .handovers import (
    Certificate,
    Handover,
    HandoverGroupObjectPermission,
    HandoverUserObjectPermission,
    Participant,
    ParticipantRole,
)
from .intake import ResignationEvent, StartRule
from .items import Attachment, Comment, Item, ItemVersion
from .notifications import (
    Delivery,
    Escalation,
    Notification,
    NotificationPreference,
    NotificationSettings,
)
from .pages import ChecklistTemplatePage, TemplateIndexPage
from .signatures import Signature
from .snippets import Department, Role

__all__ = [
    "Attachment",
    "AuditChainCheckpoint",
    "AuditDatabaseCheckpoint",
    "AuditEvent",
    "Certificate",
    "ChecklistTemplatePage",
    "Comment",
    "Delivery",
    "Department",
    "Employee",
    "Escalation",
    "Handover",
    "HandoverGroupObjectPermission",
    "HandoverUserObjectPermission",
    "Item",
    "ItemVersion",
    "Notification",
    "NotificationPreference",
    "NotificationSettings",
    "Participant",
    "ParticipantRole",
    "ResignationEvent",
    "Role",
    "Signature",
    "StartRule",
    "TemplateIndexPage",
]
