"""Shapes of the handover API: what clients send (input) and what they get back.

Output serializers only read what the views prefetched (see ``selectors``), so a
page of items costs the same number of queries whatever its length.
"""

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cms import permissions, selectors, services
from cms.models import (
    Attachment,
    AuditEvent,
    Certificate,
    ChecklistTemplatePage,
    Comment,
    Employee,
    Handover,
    Item,
    Participant,
    ParticipantRole,
    Signature,
)

__all__ = [
    "ApprovalSerializer",
    "AttachmentSerializer",
    "AttachmentUploadSerializer",
    "AuditEventSerializer",
    "BatchAcceptResultSerializer",
    "BatchAcceptSerializer",
    "BatchConflictSerializer",
    "CommentCreateSerializer",
    "CommentSerializer",
    "ConflictSerializer",
    "DeclarationSerializer",
    "EmployeeDetailSerializer",
    "EmployeeSerializer",
    "ErrorSerializer",
    "HandoverDetailSerializer",
    "HandoverSerializer",
    "HandoverStartSerializer",
    "ItemAcceptSerializer",
    "ItemAssignSerializer",
    "ItemNotApplicableSerializer",
    "ItemReturnSerializer",
    "ItemSerializer",
    "ItemUpdateSerializer",
    "ItemVersionSerializer",
    "ParticipantChangeSerializer",
    "ParticipantSerializer",
    "ReasonSerializer",
]

User = get_user_model()

FILLABLE_STATES = frozenset({Item.State.PENDING, Item.State.RETURNED})


def _choice_field(name: str, choices):
    """A choice field documented as one named enum wherever it appears (several
    fields share these choice sets, which would otherwise get several names)."""

    @extend_schema_field(
        {"type": "string", "enum": [value for value, _label in choices]},
        component_name=name,
    )
    class Field(serializers.ChoiceField):
        def __init__(self, **kwargs):
            super().__init__(choices=choices, **kwargs)

    Field.__name__ = f"{name}Field"
    return Field


ParticipantRoleField = _choice_field("ParticipantRole", ParticipantRole.choices)
HandoverStateField = _choice_field("HandoverState", Handover.State.choices)
ItemStateField = _choice_field("ItemState", Item.State.choices)


def _absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


# Errors (documentation only: cms.api.errors builds these bodies) -------------------


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. `not_found`.")
    detail = serializers.CharField(help_text="A message to show, translated.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Field name → messages, for invalid input.",
    )


# Small pieces ----------------------------------------------------------------------


class UserSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class SectionSerializer(serializers.Serializer):
    id = serializers.CharField(source="section_block_id")
    title = serializers.CharField(source="section_title")


class ProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    submitted = serializers.IntegerField()
    percent = serializers.IntegerField()


class EmployeeSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Employee
        fields = ["id", "employee_number", "name"]


class TemplateSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistTemplatePage
        fields = ["id", "title"]


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "filename",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        url = reverse("api:attachment-download", kwargs={"pk": attachment.pk})
        return _absolute(self.context.get("request"), url)


class SignatureSerializer(serializers.ModelSerializer):
    signer = UserSummarySerializer(read_only=True)
    role = ParticipantRoleField(read_only=True)
    section = serializers.CharField(source="section_block_id", read_only=True)
    stale = serializers.SerializerMethodField(
        help_text="The item changed after this signature: it no longer matches."
    )

    class Meta:
        model = Signature
        fields = [
            "id",
            "signer",
            "role",
            "decision",
            "remarks",
            "signed_at",
            "content_hash",
            "intent_statement",
            "auth_method",
            "section",
            "stale",
        ]
        read_only_fields = fields

    def get_stale(self, signature) -> bool:
        # Reads only the prefetched item and attachments (no query per signature).
        return selectors.signature_is_stale(signature)


# Items -----------------------------------------------------------------------------


class ItemSerializer(serializers.ModelSerializer):
    """One item as a participant sees it, with what the requester may do now."""

    section = SectionSerializer(source="*", read_only=True)
    state = ItemStateField(read_only=True)
    filled_by_role = ParticipantRoleField(read_only=True)
    confirmed_by_role = ParticipantRoleField(read_only=True)
    help_text = serializers.SerializerMethodField()
    assignee = UserSummarySerializer(read_only=True, allow_null=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    signatures = SignatureSerializer(many=True, read_only=True)
    open_questions = serializers.SerializerMethodField()
    can_fill = serializers.SerializerMethodField(
        help_text="The requester fills this item and may change or submit it now."
    )
    can_confirm = serializers.SerializerMethodField(
        help_text="The requester confirms this item and may accept or return it now."
    )

    class Meta:
        model = Item
        fields = [
            "id",
            "handover",
            "block_id",
            "section",
            "position",
            "kind",
            "label",
            "help_text",
            "required",
            "filled_by_role",
            "confirmed_by_role",
            "evidence",
            "due_date",
            "state",
            "version",
            "data",
            "provenance",
            "assignee",
            "not_applicable_reason",
            "attachments",
            "open_questions",
            "signatures",
            "can_fill",
            "can_confirm",
            "updated_at",
        ]
        read_only_fields = fields

    def _user(self):
        return self.context["request"].user

    def get_help_text(self, item) -> str:
        return item.definition.get("help_text") or ""

    def get_open_questions(self, item) -> int:
        return sum(1 for comment in item.comments.all() if comment.is_open_question)

    def get_can_fill(self, item) -> bool:
        return (
            item.handover.state == Handover.State.IN_PROGRESS
            and item.state in FILLABLE_STATES
            and permissions.can_fill(self._user(), item)
        )

    def get_can_confirm(self, item) -> bool:
        return (
            item.handover.state == Handover.State.IN_PROGRESS
            and item.state == Item.State.SUBMITTED
            and permissions.can_confirm(self._user(), item)
        )


class ConflictSerializer(ErrorSerializer):
    current = ItemSerializer(
        required=False, help_text="The item as it is now, to compare and retry."
    )
    current_version = serializers.IntegerField(required=False)


class BatchConflictSerializer(ErrorSerializer):
    current = ItemSerializer(
        many=True, required=False, help_text="The items as they are now."
    )


class ItemUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The version you last saw.")
    data = serializers.DictField(
        help_text="Fields to change; the others keep their value."
    )


class ItemVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The version you last saw.")


class _PasswordField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("style", {"input_type": "password"})
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("help_text", _("Your password: signing re-authenticates."))
        super().__init__(**kwargs)


class ItemAcceptSerializer(ItemVersionSerializer):
    password = _PasswordField()
    remarks = serializers.CharField(required=False, allow_blank=True, default="")


class ItemReturnSerializer(ItemVersionSerializer):
    password = _PasswordField()
    reason = serializers.CharField(
        help_text="What is missing or unclear; it opens a question."
    )


class ItemNotApplicableSerializer(ItemVersionSerializer):
    reason = serializers.CharField()


class ItemAssignSerializer(serializers.Serializer):
    successor = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        allow_null=True,
        help_text="User id of one of the handover's successors; null unassigns.",
    )


class BatchItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()


class BatchAcceptSerializer(serializers.Serializer):
    items = BatchItemSerializer(many=True, allow_empty=False)
    password = _PasswordField()
    remarks = serializers.CharField(required=False, allow_blank=True, default="")


class BatchAcceptResultSerializer(serializers.Serializer):
    items = ItemSerializer(many=True)


# Questions and attachments -----------------------------------------------------------


class CommentSerializer(serializers.ModelSerializer):
    author = UserSummarySerializer(read_only=True)
    resolved_by = UserSummarySerializer(read_only=True, allow_null=True)
    question = serializers.IntegerField(
        source="question_id",
        read_only=True,
        allow_null=True,
        help_text="On answers: the question they answer.",
    )
    is_open = serializers.BooleanField(source="is_open_question", read_only=True)

    class Meta:
        model = Comment
        fields = [
            "id",
            "item",
            "author",
            "body",
            "is_question",
            "question",
            "is_open",
            "resolved_at",
            "resolved_by",
            "created_at",
        ]
        read_only_fields = fields


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField()
    question = serializers.IntegerField(
        required=False, allow_null=True, help_text="Id of the question this answers."
    )
    is_question = serializers.BooleanField(required=False, default=False)


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


# Handovers -------------------------------------------------------------------------


class ParticipantSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)
    role = ParticipantRoleField(read_only=True)

    class Meta:
        model = Participant
        fields = ["user", "role", "added_at"]
        read_only_fields = fields


class HandoverSerializer(serializers.ModelSerializer):
    """A handover in a list. Expects ``participants`` and ``items`` prefetched
    and ``is_hr_admin`` in the context."""

    employee = EmployeeSummarySerializer(read_only=True)
    template = TemplateSummarySerializer(read_only=True)
    state = HandoverStateField(read_only=True)
    my_roles = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Handover
        fields = [
            "id",
            "number",
            "employee",
            "template",
            "template_revision",
            "language",
            "state",
            "resignation_date",
            "last_working_day",
            "created_at",
            "started_at",
            "review_started_at",
            "completed_at",
            "cancelled_at",
            "my_roles",
            "progress",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=ParticipantRoleField()))
    def get_my_roles(self, handover):
        user = self.context["request"].user
        roles = {
            participant.role
            for participant in handover.participants.all()
            if participant.user_id == user.pk
        }
        if self.context.get("is_hr_admin"):
            roles.add(ParticipantRole.HR)
        return sorted(roles)

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, handover):
        return selectors.handover_progress(
            handover=handover, items=handover.items.all()
        )


class CertificateSummarySerializer(serializers.Serializer):
    code = serializers.CharField()
    issued_at = serializers.DateTimeField()
    root_hash = serializers.CharField()
    download_url = serializers.CharField()


class HandoverDetailSerializer(HandoverSerializer):
    participants = ParticipantSerializer(many=True, read_only=True)
    blockers = serializers.SerializerMethodField(
        help_text="What stands between the handover and review, in words."
    )
    signatures = serializers.SerializerMethodField(
        help_text="The final declaration and the manager's approvals."
    )
    certificate = serializers.SerializerMethodField()

    class Meta(HandoverSerializer.Meta):
        fields = [
            *HandoverSerializer.Meta.fields,
            "cancel_reason",
            "participants",
            "blockers",
            "signatures",
            "certificate",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_blockers(self, handover):
        if not handover.is_open:
            return []
        return services.handover_blockers(handover, handover.items.all())

    @extend_schema_field(SignatureSerializer(many=True))
    def get_signatures(self, handover):
        signatures = [
            signature
            for signature in handover.signatures.all()
            if signature.item_id is None
        ]
        return SignatureSerializer(signatures, many=True, context=self.context).data

    @extend_schema_field(CertificateSummarySerializer(allow_null=True))
    def get_certificate(self, handover):
        certificate = Certificate.objects.filter(handover=handover).first()
        if certificate is None:
            return None
        url = reverse("api:handover-certificate", kwargs={"pk": handover.pk})
        return {
            "code": certificate.code,
            "issued_at": certificate.issued_at,
            "root_hash": certificate.root_hash,
            "download_url": _absolute(self.context.get("request"), url),
        }


class HandoverStartSerializer(serializers.Serializer):
    employee = serializers.PrimaryKeyRelatedField(queryset=Employee.objects.all())
    template = serializers.PrimaryKeyRelatedField(
        queryset=ChecklistTemplatePage.objects.all(),
        help_text="A published template; see templates/.",
    )
    successors = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        many=True,
        required=False,
        help_text="User ids; default: the nearest manager up the reporting chain.",
    )
    manager = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="User id; default: the employee's manager.",
    )
    it_users = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    resignation_date = serializers.DateField(required=False, allow_null=True)
    last_working_day = serializers.DateField()


class DeclarationSerializer(serializers.Serializer):
    password = _PasswordField()
    statement = serializers.CharField(required=False, allow_blank=True, default="")


class ApprovalSerializer(serializers.Serializer):
    password = _PasswordField()
    remarks = serializers.CharField(required=False, allow_blank=True, default="")
    section = serializers.CharField(
        source="section_block_id",
        required=False,
        allow_blank=True,
        default="",
        help_text="A section's block id to approve that section only.",
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class ParticipantChangeSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    role = ParticipantRoleField()


class AuditEventSerializer(serializers.ModelSerializer):
    ip_address = serializers.SerializerMethodField(
        help_text="Shown to HR only; null for everyone else."
    )

    class Meta:
        model = AuditEvent
        fields = [
            "sequence",
            "created_at",
            "actor_id",
            "actor_name",
            "role",
            "action",
            "object_type",
            "object_id",
            "before_hash",
            "after_hash",
            "details",
            "ip_address",
            "previous_hash",
            "hash",
        ]
        read_only_fields = fields

    def get_ip_address(self, event) -> str | None:
        return event.ip_address if self.context.get("show_ip_addresses") else None


# Employees -------------------------------------------------------------------------


class CodeNameSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class EmployeeSerializer(serializers.ModelSerializer):
    department = CodeNameSerializer(read_only=True, allow_null=True)
    role = CodeNameSerializer(read_only=True, allow_null=True)
    manager = EmployeeSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Employee
        fields = [
            "id",
            "employee_number",
            "name",
            "department",
            "position",
            "role",
            "manager",
            "hire_date",
            "work_email",
            "work_phone",
            "status",
            "user",
        ]
        read_only_fields = fields


class HandoverLinkSerializer(serializers.ModelSerializer):
    state = HandoverStateField(read_only=True)

    class Meta:
        model = Handover
        fields = ["id", "number", "state", "last_working_day", "completed_at"]
        read_only_fields = fields


class EmployeeDetailSerializer(EmployeeSerializer):
    handovers = serializers.SerializerMethodField(
        help_text="This employee's handovers the requester may see."
    )

    class Meta(EmployeeSerializer.Meta):
        fields = [*EmployeeSerializer.Meta.fields, "handovers"]
        read_only_fields = fields

    @extend_schema_field(HandoverLinkSerializer(many=True))
    def get_handovers(self, employee):
        handovers = selectors.handovers_for_user(
            user=self.context["request"].user
        ).filter(employee=employee)
        return HandoverLinkSerializer(handovers, many=True).data
