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
from .intake import ResignationEvent, StartRule
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
    "ResignationEvent",
    "Role",
    "Signature",
    "StartRule",
    "TemplateIndexPage",
]
