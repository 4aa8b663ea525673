from datetime import datetime

from django.core.cache import cache
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cms.auth.tokens import token_expires_by, token_public_id
from cms.models import ChecklistTemplatePage, Department, Role


class RoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Role
        fields = ["id", "code", "name"]


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name"]


class BlockSerializer(serializers.Serializer):
    """One node of a template's block tree (sections hold their items in
    ``value.items``)."""

    id = serializers.CharField(help_text="Stable block id; items are keyed by it.")
    type = serializers.CharField(help_text="Block kind, see block-types/.")
    value = serializers.JSONField()


class TemplateSerializer(serializers.ModelSerializer):
    locale = serializers.CharField(source="locale.language_code", read_only=True)
    revision_id = serializers.IntegerField(
        source="live_revision_id",
        read_only=True,
        help_text="The published revision a handover started now would pin.",
    )
    role = RoleSerializer(read_only=True, allow_null=True)
    departments = DepartmentSerializer(many=True, read_only=True)
    url = serializers.SerializerMethodField()
    item_count = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()

    class Meta:
        model = ChecklistTemplatePage
        fields = [
            "id",
            "title",
            "slug",
            "locale",
            "translation_key",
            "revision_id",
            "last_published_at",
            "role",
            "departments",
            "description",
            "url",
            "item_count",
            "body",
        ]
        read_only_fields = fields

    def get_url(self, page) -> str:
        request = self.context.get("request")
        return page.get_full_url(request=request) or ""

    def get_item_count(self, page) -> int:
        return _published_content(page)["item_count"]

    @extend_schema_field(BlockSerializer(many=True))
    def get_body(self, page):
        return _published_content(page)["body"]


# Each process keeps the content of the revisions it served last (no
# unpickling from the shared cache on every read); a revision never changes.
_CONTENT: dict[int, dict] = {}
_CONTENT_KEPT = 32


def _published_content(page) -> dict:
    """The block tree and item count of the page's live revision. A revision
    never changes, so they are cached by its id: publishing makes a new one."""
    revision_id = page.live_revision_id
    content = _CONTENT.get(revision_id) if revision_id else None
    if content is not None:
        return content
    key = f"baton:template-content:{revision_id}"
    content = cache.get(key) if revision_id else None
    if content is None:
        content = {
            "body": page.body.stream_block.get_api_representation(page.body),
            "item_count": page.item_count(),
        }
        if revision_id:
            cache.set(key, content, timeout=24 * 60 * 60)
    if revision_id:
        while len(_CONTENT) >= _CONTENT_KEPT:
            _CONTENT.pop(next(iter(_CONTENT)))
        _CONTENT[revision_id] = content
    return content


class BlockTypeSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    icon = serializers.CharField()
    is_item = serializers.BooleanField(
        help_text="False for `section`, which only groups items."
    )
    item_schema = serializers.JSONField(
        help_text="JSON Schema (draft 2020-12) of the item data this kind produces."
    )


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(
        style={"input_type": "password"}, trim_whitespace=False
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text="Send it as `Authorization: Token <token>`. Shown only now: "
        "Baton keeps a hash of it."
    )
    expiry = serializers.DateTimeField(
        help_text="When it expires unless used: each use moves this on (by "
        "BATON_TOKEN_IDLE), never past BATON_TOKEN_TTL after it was issued."
    )
    id = serializers.CharField(help_text="Names the token to list and revoke it.")


class TokenInfoSerializer(serializers.Serializer):
    """An API token as its user and token admins see it (never the token)."""

    id = serializers.SerializerMethodField()
    user = serializers.IntegerField(source="user_id")
    username = serializers.CharField(source="user.username")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(
        allow_null=True, help_text="Moves on with each use, up to `expires_by`."
    )
    expires_by = serializers.SerializerMethodField(
        help_text="The latest it can live, however often it is used."
    )
    current = serializers.SerializerMethodField(
        help_text="True for the token this request was made with."
    )

    def get_id(self, token) -> str:
        return token_public_id(token)

    def get_expires_by(self, token) -> datetime:
        # In the current time zone, like the DateTimeFields beside it.
        return timezone.localtime(token_expires_by(token))

    def get_current(self, token) -> bool:
        request = self.context.get("request")
        auth = getattr(request, "auth", None)
        return getattr(auth, "digest", None) == token.digest


class TokenListQuerySerializer(serializers.Serializer):
    user = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="Token admins (HR, IT): only this user's tokens.",
    )


class TokenRevokeAllSerializer(serializers.Serializer):
    user = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="Token admins (HR, IT): whose tokens; yours when left out.",
    )


class TokensRevokedSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(help_text="How many tokens were revoked.")
