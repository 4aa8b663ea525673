from .audit import AuditChainCheckpoint, AuditDatabaseCheckpoint
from .employees import Employee
from .handovers import (
    Attachment,
    AuditEvent,
    Certificate,
    Comment,
    Handover,
    HandoverGroupObjectPermission,
    HandoverUserObjectPermission,
    Item,
    ItemVersion,
    Participant,
    ParticipantRole,
    Signature,
)
from .pages import ChecklistTemplatePage, TemplateIndexPage
from .snippets import Department, Role

__all__ = [
    "Attachment",
    "AuditChainCheckpoint",
    "AuditDatabaseCheckpoint",
    "AuditEvent",
    "Certificate",
    "ChecklistTemplatePage",
    "Comment",
    "Department",
    "Employee",
    "Handover",
    "HandoverGroupObjectPermission",
    "HandoverUserObjectPermission",
    "Item",
    "ItemVersion",
    "Participant",
    "ParticipantRole",
    "Role",
    "Signature",
    "TemplateIndexPage",
]
