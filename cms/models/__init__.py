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
from .retention import LegalHold, RetentionErasure, RetentionPolicy, RetentionRun
from .signatures import Signature
from .signing_pins import SigningPin
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
    "LegalHold",
    "Notification",
    "NotificationPreference",
    "NotificationSettings",
    "Participant",
    "ParticipantRole",
    "ResignationEvent",
    "RetentionErasure",
    "RetentionPolicy",
    "RetentionRun",
    "Role",
    "Signature",
    "SigningPin",
    "StartRule",
    "TemplateIndexPage",
]
