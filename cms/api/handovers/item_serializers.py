"""Serializers of items, signatures, questions and attachments as the API
shows them; what item actions read from a request is in ``item_inputs``."""

from functools import cached_property

from django.contrib.auth import get_user_model
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cms import selectors
from cms.models import (
    Attachment,
    ChecklistTemplatePage,
    Comment,
    Employee,
    Handover,
    Item,
    ParticipantRole,
    Signature,
)
from cms.names import person_name
from cms.services.audit import content_hash
from cms.services.confirming import item_accept_check, resolved_upstream_unsigned
from cms.services.items import item_content, item_update_check

from ..errors import ErrorSerializer

User = get_user_model()

ACCEPT_DECISIONS = Signature.ACCEPT_DECISIONS


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


# Small pieces ----------------------------------------------------------------------


class UserSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return person_name(user)


class SectionSerializer(serializers.Serializer):
    id = serializers.CharField(source="section_block_id")
    title = serializers.CharField(source="section_title")


class ProgressSerializer(serializers.Serializer):
    """Visible items only (hidden ones do not count). Each item counts once, in
    its furthest step: ``filled`` includes the submitted and accepted ones."""

    total = serializers.IntegerField(help_text="Visible items.")
    filled = serializers.IntegerField(
        help_text="Past “to fill”, or to fill with a value a person or a "
        "connector put in."
    )
    submitted = serializers.IntegerField(help_text="Waiting for confirmation.")
    accepted = serializers.IntegerField(help_text="Accepted or not applicable.")
    done = serializers.IntegerField(help_text="The same as `accepted`.")
    percent = serializers.IntegerField(help_text="Accepted, in % of `total`.")
    submitted_percent = serializers.IntegerField(
        help_text="Submitted or accepted, in % of `total`."
    )
    filled_percent = serializers.IntegerField(help_text="Filled, in % of `total`.")


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
    accepted_by = serializers.SerializerMethodField(
        help_text="Who signed the latest acceptance (null before anyone did)."
    )
    resolved_upstream = serializers.SerializerMethodField(
        help_text="The connector resolved this item upstream and nobody has "
        "signed for it yet: its confirmer may accept it."
    )
    visible = serializers.SerializerMethodField(
        help_text="False when the item is hidden by its condition: it needs no "
        "handing over and cannot be filled or confirmed."
    )
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
            "accepted_by",
            "resolved_upstream",
            "visible",
            "can_fill",
            "can_confirm",
            "updated_at",
        ]
        read_only_fields = fields

    def _user(self):
        return self.context["request"].user

    def get_help_text(self, item) -> str:
        if hasattr(item, "definition_help_text"):  # an item list: only this read
            return item.definition_help_text or ""
        return item.definition.get("help_text") or ""

    def get_open_questions(self, item) -> int:
        return sum(1 for comment in item.comment_list if comment.is_open_question)

    @extend_schema_field(UserSummarySerializer(allow_null=True))
    def get_accepted_by(self, item):
        accepted = [
            signature
            for signature in item.signature_list
            if signature.decision in ACCEPT_DECISIONS
        ]
        return _user_data(accepted[-1].signer) if accepted else None

    def get_resolved_upstream(self, item) -> bool:
        return resolved_upstream_unsigned(item)

    def get_visible(self, item) -> bool:
        if not hasattr(item, "visible"):
            selectors.mark_visibility([item], handover_id=item.handover_id)
        return item.visible

    def get_can_fill(self, item) -> bool:
        visible = self.get_visible(item)
        return item_update_check(actor=self._user(), item=item, visible=visible) is None

    def get_can_confirm(self, item) -> bool:
        visible = self.get_visible(item)
        return item_accept_check(actor=self._user(), item=item, visible=visible) is None

    @cached_property
    def _attachments(self):
        """One attachment serializer for every item of a list."""
        return AttachmentSerializer(context=self.context)

    def to_representation(self, item):
        """What the declared fields give, built directly: a handover's item list
        (hundreds of items) is read often, and the generic path costs several
        times more. ``tests/test_api_fast_paths.py`` checks both agree."""
        assignee = item.assignee
        current_hash = None
        signatures = []
        for signature in item.signature_list:
            if current_hash is None:
                current_hash = content_hash(item_content(item))
            signatures.append(
                _signature_data(signature, stale=current_hash != signature.content_hash)
            )
        return {
            "id": item.pk,
            "handover": item.handover_id,
            "block_id": item.block_id,
            "section": {"id": item.section_block_id, "title": item.section_title},
            "position": item.position,
            "kind": item.kind,
            "label": item.label,
            "help_text": self.get_help_text(item),
            "required": item.required,
            "filled_by_role": item.filled_by_role,
            "confirmed_by_role": item.confirmed_by_role,
            "evidence": item.evidence,
            "due_date": item.due_date.isoformat() if item.due_date else None,
            "state": item.state,
            "version": item.version,
            "data": item.data,
            "provenance": item.provenance,
            "assignee": _user_data(assignee) if assignee is not None else None,
            "not_applicable_reason": item.not_applicable_reason,
            "attachments": [
                self._attachments.to_representation(attachment)
                for attachment in item.attachment_list
            ],
            "open_questions": self.get_open_questions(item),
            "signatures": signatures,
            "accepted_by": self.get_accepted_by(item),
            "resolved_upstream": self.get_resolved_upstream(item),
            "visible": self.get_visible(item),
            "can_fill": self.get_can_fill(item),
            "can_confirm": self.get_can_confirm(item),
            "updated_at": _DATETIME.to_representation(item.updated_at),
        }


_DATETIME = serializers.DateTimeField()


def _user_data(user) -> dict:
    """``UserSummarySerializer``'s output."""
    return {
        "id": user.pk,
        "username": user.username,
        "name": person_name(user),
    }


def _signature_data(signature, *, stale: bool) -> dict:
    """``SignatureSerializer``'s output."""
    return {
        "id": signature.pk,
        "signer": _user_data(signature.signer),
        "role": signature.role,
        "decision": signature.decision,
        "remarks": signature.remarks,
        "signed_at": _DATETIME.to_representation(signature.signed_at),
        "content_hash": signature.content_hash,
        "intent_statement": signature.intent_statement,
        "auth_method": signature.auth_method,
        "section": signature.section_block_id,
        "stale": stale,
    }


class ConflictSerializer(ErrorSerializer):
    current = ItemSerializer(
        required=False, help_text="The item as it is now, to compare and retry."
    )
    current_version = serializers.IntegerField(required=False)


class BatchConflictSerializer(ErrorSerializer):
    current = ItemSerializer(
        many=True, required=False, help_text="The items as they are now."
    )


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
