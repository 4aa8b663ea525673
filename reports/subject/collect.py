"""What Baton holds about one person, as plain JSON-ready rows, one list per
file of the export.

Only the person's own data: their records, what they wrote, signed or were
sent. Other people appear by role ("successor"), never by name — the export
answers one person's request and must not hand over anyone else's data.
"""

from django.db.models import Q

from cms.models import (
    Attachment,
    Certificate,
    Comment,
    Delivery,
    Employee,
    Handover,
    Item,
    ItemVersion,
    Notification,
    Participant,
    ParticipantRole,
    Signature,
)
from connectors.models import AccessAction, AccessGrant

__all__ = [
    "PersonData",
    "person_data",
]

LEAVER = ParticipantRole.LEAVER.value


def _label(choices, value) -> str:
    return str(dict(choices).get(value, value)) if value else ""


class PersonData:
    """The person's rows, read once; the export writes each list to a file."""

    def __init__(self, employee: Employee):
        self.employee = employee
        self.user = employee.user
        user_id = self.user.pk if self.user is not None else None
        self.user_id = user_id
        own = Handover.objects.filter(employee=employee)
        roles = {pk: [LEAVER] for pk in own.values_list("pk", flat=True)}
        if user_id is not None:
            for handover_id, role in Participant.objects.filter(
                user_id=user_id
            ).values_list("handover_id", "role"):
                roles.setdefault(handover_id, [])
                if role not in roles[handover_id]:
                    roles[handover_id].append(role)
        self.roles = roles
        self.handovers = list(
            Handover.objects.filter(pk__in=roles)
            .select_related("template")
            .order_by("created_at", "pk")
        )
        self.own_handover_ids = [
            handover.pk
            for handover in self.handovers
            if handover.employee_id == employee.pk
        ]

    # person.json -------------------------------------------------------------

    def person(self) -> dict:
        employee = self.employee
        record = {
            "employee_number": employee.employee_number,
            "name": employee.name,
            "department": employee.department.name if employee.department else "",
            "position": employee.position,
            "role": employee.role.name if employee.role else "",
            "hire_date": employee.hire_date,
            "status": employee.status,
            "status_label": _label(Employee.Status.choices, employee.status),
            "work_email": employee.work_email,
            "work_phone": employee.work_phone,
            "directory_id": employee.directory_id,
        }
        account = None
        if self.user is not None:
            user = self.user
            account = {
                "username": user.get_username(),
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email": user.email,
                "is_active": user.is_active,
                "date_joined": user.date_joined,
                "last_login": user.last_login,
            }
        return {"employee": record, "account": account}

    # handovers.json ----------------------------------------------------------

    def handover_rows(self) -> list[dict]:
        return [
            {
                "number": handover.number,
                "your_roles": self.roles[handover.pk],
                "your_role_labels": [
                    _label(ParticipantRole.choices, role)
                    for role in self.roles[handover.pk]
                ],
                "template": handover.template.title if handover.template else "",
                "state": handover.state,
                "state_label": _label(Handover.State.choices, handover.state),
                "language": handover.language,
                "resignation_date": handover.resignation_date,
                "last_working_day": handover.last_working_day,
                "created_at": handover.created_at,
                "started_at": handover.started_at,
                "completed_at": handover.completed_at,
                "cancelled_at": handover.cancelled_at,
            }
            for handover in self.handovers
        ]

    # items.json --------------------------------------------------------------

    def item_rows(self) -> list[dict]:
        if self.user_id is None:
            return []
        user_id = self.user_id
        versions = list(
            ItemVersion.objects.filter(actor_id=user_id)
            .order_by("item_id", "number")
            .values("item_id", "number", "action", "changes", "state", "created_at")
        )
        confirmed = set(
            Signature.objects.filter(signer_id=user_id, item__isnull=False)
            .exclude(decision=Signature.Decision.RETURN)
            .values_list("item_id", flat=True)
        )
        written = {row["item_id"] for row in versions}
        items = (
            Item.objects.filter(
                Q(assignee_id=user_id) | Q(pk__in=written) | Q(pk__in=confirmed)
            )
            .select_related("handover")
            .order_by("handover_id", "position", "pk")
        )
        by_item: dict[int, list[dict]] = {}
        for row in versions:
            by_item.setdefault(row.pop("item_id"), []).append(row)
        rows = []
        for item in items:
            yours = by_item.get(item.pk, [])
            relations = []
            if any(v["action"] != "accept" for v in yours):
                relations.append("filled")
            if item.assignee_id == user_id:
                relations.append("assigned")
            if item.pk in confirmed:
                relations.append("confirmed")
            rows.append(
                {
                    "handover": item.handover.number,
                    "section": item.section_title,
                    "label": item.label,
                    "kind": item.kind,
                    "state": item.state,
                    "state_label": _label(Item.State.choices, item.state),
                    "your_part": relations,
                    "content": item.data,
                    "not_applicable_reason": item.not_applicable_reason,
                    "due_date": item.due_date,
                    "versions_you_wrote": yours,
                }
            )
        return rows

    # comments.json -----------------------------------------------------------

    def comment_rows(self) -> list[dict]:
        if self.user_id is None:
            return []
        comments = (
            Comment.objects.filter(author_id=self.user_id)
            .select_related("item__handover")
            .order_by("created_at", "pk")
        )
        return [
            {
                "id": comment.pk,
                "handover": comment.item.handover.number,
                "item": comment.item.label,
                "kind": (
                    "question"
                    if comment.is_question
                    else "answer"
                    if comment.question_id
                    else "comment"
                ),
                "answer_to": comment.question_id,
                "text": comment.body,
                "written_at": comment.created_at,
                "resolved_at": comment.resolved_at,
            }
            for comment in comments
        ]

    # signatures.json ---------------------------------------------------------

    def signature_rows(self) -> list[dict]:
        if self.user_id is None:
            return []
        signatures = (
            Signature.objects.filter(signer_id=self.user_id)
            .select_related("handover", "item")
            .order_by("signed_at", "pk")
        )
        return [
            {
                "handover": signature.handover.number,
                "item": signature.item.label if signature.item else "",
                "item_version": signature.item_version,
                "role": signature.role,
                "decision": signature.decision,
                "decision_label": _label(
                    Signature.Decision.choices, signature.decision
                ),
                "signed_at": signature.signed_at,
                "remarks": signature.remarks,
                "statement": signature.intent_statement,
                "auth_method": signature.auth_method,
                "ip_address": signature.ip_address,
                "user_agent": signature.user_agent,
                "content_hash": signature.content_hash,
            }
            for signature in signatures
        ]

    # access.json -------------------------------------------------------------

    def access_rows(self) -> dict:
        grants = (
            AccessGrant.objects.filter(handover_id__in=self.own_handover_ids)
            .select_related("handover")
            .order_by("handover_id", "pk")
        )
        action_filter = Q(handover_id__in=self.own_handover_ids)
        if self.user_id is not None:
            action_filter |= Q(target_user_id=self.user_id)
        actions = (
            AccessAction.objects.filter(action_filter)
            .select_related("handover", "grant")
            .order_by("scheduled_for", "pk")
        )
        return {
            "accounts_and_memberships": [
                {
                    "handover": grant.handover.number,
                    "system": grant.system,
                    "kind": grant.kind,
                    "account": grant.account_label or grant.account_id,
                    "group_or_role": grant.group_label or grant.group_id,
                    "decision": grant.decision,
                    "state": grant.state,
                    "keep_reason": grant.keep_reason,
                    "keep_until": grant.keep_until,
                    "discovered_at": grant.discovered_at,
                    "suspended_at": grant.suspended_at,
                }
                for grant in grants
            ],
            "changes": [
                {
                    "handover": action.handover.number,
                    "system": action.grant.system,
                    "operation": action.operation,
                    "operation_label": _label(
                        AccessAction.Operation.choices, action.operation
                    ),
                    "you_receive_access": action.target_user_id == self.user_id,
                    "scheduled_for": action.scheduled_for,
                    "state": action.state,
                    "finished_at": action.finished_at,
                }
                for action in actions
            ],
        }

    # notifications.json ------------------------------------------------------

    def notification_rows(self) -> dict:
        if self.user_id is None:
            return {"notifications": [], "deliveries": []}
        notifications = (
            Notification.objects.filter(recipient_id=self.user_id)
            .select_related("handover", "item")
            .order_by("created_at", "pk")
        )
        deliveries = (
            Delivery.objects.filter(recipient_id=self.user_id)
            .select_related("handover")
            .order_by("created_at", "pk")
        )
        return {
            "notifications": [
                {
                    "handover": note.handover.number if note.handover else "",
                    "item": note.item.label if note.item else "",
                    "event": note.event,
                    "language": note.language,
                    "created_at": note.created_at,
                    "sent_at": note.sent_at,
                }
                for note in notifications
            ],
            "deliveries": [
                {
                    "handover": delivery.handover.number if delivery.handover else "",
                    "channel": delivery.channel,
                    "state": delivery.state,
                    "subject": delivery.subject,
                    "created_at": delivery.created_at,
                }
                for delivery in deliveries
            ],
        }

    # pdfs/ -------------------------------------------------------------------

    def certificates(self):
        return (
            Certificate.objects.filter(handover_id__in=self.own_handover_ids)
            .select_related("handover")
            .order_by("issued_at")
        )

    def attachments(self):
        if self.user_id is None:
            return Attachment.objects.none()
        return (
            Attachment.objects.filter(uploaded_by_id=self.user_id)
            .select_related("item__handover")
            .order_by("uploaded_at", "pk")
        )


def person_data(employee: Employee) -> PersonData:
    return PersonData(employee)
