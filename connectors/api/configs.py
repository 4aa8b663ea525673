"""Connector configs in the API (HR / IT): settings, write-only secrets, and a
connection test."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import services
from ..models import ConnectorConfig
from ..registry import type_choices
from .common import ManagersOnly

__all__ = ["ConnectorSerializer", "ConnectorViewSet"]


@extend_schema_field({"type": "object", "additionalProperties": True})
class SettingsField(serializers.JSONField):
    """A connector's settings: a JSON object (in a form, its JSON text)."""

    default_error_messages = {"not_object": _("Send the settings as an object.")}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            self.fail("not_object")
        return value


class ConnectorSerializer(serializers.ModelSerializer):
    type = serializers.ChoiceField(choices=())
    type_label = serializers.SerializerMethodField()
    settings = SettingsField(required=False)
    secrets = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        write_only=True,
        required=False,
        help_text="Write-only. Keys you send replace stored ones; an empty value "
        "deletes one. Never returned.",
    )
    secret_names = serializers.SerializerMethodField()
    capabilities = serializers.SerializerMethodField()
    last_test = serializers.SerializerMethodField()

    class Meta:
        model = ConnectorConfig
        fields = [
            "id",
            "slug",
            "name",
            "type",
            "type_label",
            "enabled",
            "match_by",
            "sync_interval_minutes",
            "settings",
            "secrets",
            "secret_names",
            "capabilities",
            "last_test",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = type_choices()

    def get_type_label(self, config) -> str:
        return str(config.get_type_display())

    def get_secret_names(self, config) -> list[str]:
        return config.secret_names

    def get_capabilities(self, config) -> list[str]:
        try:
            return sorted(config.type_class.capabilities)
        except LookupError:
            return []

    def get_last_test(self, config) -> dict | None:
        if config.last_tested_at is None:
            return None
        return {
            "at": config.last_tested_at,
            "ok": config.last_test_ok,
            "message": config.last_test_message,
        }

    def create(self, validated_data):
        return services.connector_save(
            actor=self.context["request"].user, data=validated_data
        )

    def update(self, instance, validated_data):
        return services.connector_save(
            actor=self.context["request"].user, connector=instance, data=validated_data
        )


class ConnectorFilter(django_filters.FilterSet):
    type = django_filters.CharFilter()
    enabled = django_filters.BooleanFilter()

    class Meta:
        model = ConnectorConfig
        fields = ["type", "enabled"]


@extend_schema(tags=["connectors"])
class ConnectorViewSet(
    ManagersOnly,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Connected systems. HR and IT administrators only; secrets are write-only."""

    serializer_class = ConnectorSerializer
    queryset = ConnectorConfig.objects.all()
    lookup_value_converter = "id"
    filterset_class = ConnectorFilter
    search_fields = ["name", "slug"]
    ordering_fields = ["name", "slug", "type", "updated_at"]

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "ConnectionTest",
            {"ok": serializers.BooleanField(), "message": serializers.CharField()},
        ),
        summary="Test the connection with the stored settings and secrets",
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        ok, message = services.connector_test(
            actor=request.user, connector=self.get_object()
        )
        return Response({"ok": ok, "message": message})
