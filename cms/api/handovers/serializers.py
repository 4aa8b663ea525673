"""Serializers of handovers, audit events and employees."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cms import permissions, selectors, services
from cms.models import (
    AuditEvent,
    Certificate,
    ChecklistTemplatePage,
    Employee,
    Handover,
    Participant,
    ParticipantRole,
)

from ..common import IdRelatedField
from .item_inputs import SigningSerializer
from .item_serializers import (
    EmployeeSummarySerializer,
    HandoverStateField,
    ParticipantRoleField,
    ProgressSerializer,
    SignatureSerializer,
    TemplateSummarySerializer,
    User,
    UserSummarySerializer,
    _absolute,
)

# Handovers -------------------------------------------------------------------------


class ParticipantSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)
    role = ParticipantRoleField(read_only=True)

    class Meta:
        model = Participant
        fields = ["user", "role", "added_at"]
        read_only_fields = fields


class HandoverSerializer(serializers.ModelSerializer):
    """A handover in a list. Expects ``participants`` prefetched, ``is_hr_admin``
    in the context, and either ``progress`` (handover id -> progress) in the
    context or ``items`` prefetched."""

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
        if permissions.is_own_handover(user, handover):
            # Their own handover: the leaver only (``permissions.roles_of``).
            return sorted(roles & {ParticipantRole.LEAVER})
        if self.context.get("is_hr_admin"):
            roles.add(ParticipantRole.HR)
        return sorted(roles)

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, handover):
        known = self.context.get("progress")
        if known is not None and handover.pk in known:
            return known[handover.pk]
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
    employee = IdRelatedField(queryset=Employee.objects.all())
    template = IdRelatedField(
        queryset=ChecklistTemplatePage.objects.all(),
        help_text="A published template; see templates/.",
    )
    successors = IdRelatedField(
        queryset=User.objects.filter(is_active=True),
        many=True,
        required=False,
        help_text="User ids; default: the nearest manager up the reporting chain.",
    )
    manager = IdRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="User id; default: the employee's manager.",
    )
    it_users = IdRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    resignation_date = serializers.DateField(required=False, allow_null=True)
    last_working_day = serializers.DateField()


class DeclarationSerializer(SigningSerializer):
    statement = serializers.CharField(required=False, allow_blank=True, default="")


class ApprovalSerializer(SigningSerializer):
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
    user = IdRelatedField(queryset=User.objects.all())
    role = ParticipantRoleField()


class ParticipantReplaceSerializer(serializers.Serializer):
    user = IdRelatedField(
        queryset=User.objects.all(), help_text="Who gives the role up."
    )
    replacement = IdRelatedField(
        queryset=User.objects.filter(is_active=True), help_text="Who takes it."
    )
    role = ParticipantRoleField(default=ParticipantRole.SUCCESSOR)


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
