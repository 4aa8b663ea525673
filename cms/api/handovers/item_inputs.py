"""What the item actions of the API read from a request: fills, signatures,
assignment, batches, questions and uploads."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..common import IdField, IdRelatedField

User = get_user_model()


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": True,
        "description": "A JSON Merge Patch (RFC 7396) of the item's data.",
    }
)
class MergePatchField(serializers.JSONField):
    """Any JSON: the service checks it is an object and validates the merged
    result against the item kind's schema, naming each bad field."""


class ItemUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The version you last saw.")
    data = MergePatchField(
        help_text="A JSON Merge Patch (RFC 7396) of the item's data: objects merge "
        "member by member, `null` removes a member (a required one, like a form "
        "field's `value`, becomes null: not answered), anything else replaces the "
        "value; members left out keep their value and who set it. Connector "
        'records keep their fields under `data`: `{"data": {"notes": "x"}}` '
        "changes only `notes`."
    )


class ItemVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The version you last saw.")


class _PasswordField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("style", {"input_type": "password"})
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("help_text", _("Your password: signing re-authenticates."))
        super().__init__(**kwargs)


class SigningSerializer(serializers.Serializer):
    """A signature's proof of who signs (docs/sso.md "Signing"): the password,
    or the signing PIN after a company sign-in; the refusal names the field
    that was wanted. The service gets both as ``credentials``."""

    password = _PasswordField()
    pin = _PasswordField(
        trim_whitespace=True,
        help_text=_(
            "Your signing PIN, instead of the password, if you sign in with a "
            "company account."
        ),
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        attrs["credentials"] = {
            "password": attrs.pop("password", ""),
            "pin": attrs.pop("pin", ""),
        }
        return attrs


class ItemAcceptSerializer(SigningSerializer, ItemVersionSerializer):
    remarks = serializers.CharField(required=False, allow_blank=True, default="")


class ItemReturnSerializer(SigningSerializer, ItemVersionSerializer):
    reason = serializers.CharField(
        help_text="What is missing or unclear; it opens a question."
    )


class ItemNotApplicableSerializer(ItemVersionSerializer):
    reason = serializers.CharField()


class ItemAssignSerializer(serializers.Serializer):
    successor = IdRelatedField(
        queryset=User.objects.filter(is_active=True),
        allow_null=True,
        help_text="User id of one of the handover's successors; null unassigns.",
    )
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="The version you last saw; a changed item is refused with 409.",
    )


class BatchItemSerializer(serializers.Serializer):
    id = IdField()
    version = serializers.IntegerField()


class BatchAcceptSerializer(SigningSerializer):
    items = BatchItemSerializer(many=True, allow_empty=False)
    remarks = serializers.CharField(required=False, allow_blank=True, default="")


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField()
    question = IdField(
        required=False, allow_null=True, help_text="Id of the question this answers."
    )
    is_question = serializers.BooleanField(required=False, default=False)


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
