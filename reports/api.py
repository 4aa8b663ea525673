"""The figures in the REST API (/api/v1/reports/): the reports the caller may
read, their dashboard panels, and each report with the same filters as its
page (``start``, ``end``, ``department``, ``role``, ``template``, ``group``).

Whoever may see no figures (``scope_for`` answers None), a report their
scope may not read and an unknown key are all 404, like any object one may
not see."""

import functools

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.api.common import IdField
from cms.errors import NotFound

from .figures import (
    REPORTS,
    ReportFilterForm,
    build_report,
    dashboard_for,
    reports_for,
    scope_for,
)
from .figures.filters import EARLIEST, GROUPS, LATEST

__all__ = ["urlpatterns"]

REPORT_KEYS = list(REPORTS)
COLUMN_KINDS = ["text", "int", "days", "percent", "date", "datetime"]
CHART_KINDS = ["bar", "line", "hbar"]
PANEL_KEYS = ["hr", "it", "manager"]
TONES = ["default", "warning", "critical"]
# A figure in a summary, a chart or a table: a number, a text (dates and
# times in ISO 8601, in the company's time zone) or nothing.
VALUE_SCHEMA = {
    "oneOf": [{"type": "number"}, {"type": "string"}],
    "nullable": True,
}


# Serializers ---------------------------------------------------------------------


@functools.cache
def _enum_field_class(component: str, values: tuple[str, ...]):
    @extend_schema_field(
        {"type": "string", "enum": list(values)}, component_name=component
    )
    class EnumField(serializers.CharField):
        pass

    return EnumField


def enum_field(values: list[str], component: str, **kwargs) -> serializers.CharField:
    """A text that is one of ``values``, its enum the schema component
    ``component`` (so fields named alike, "key" or "kind", never share one
    enum name)."""
    return _enum_field_class(component, tuple(values))(**kwargs)


@extend_schema_field(VALUE_SCHEMA)
class ValueField(serializers.JSONField):
    """A number, a text or null."""


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "number", "nullable": True},
        "description": "One value per label; null where there is none.",
    }
)
class SeriesDataField(serializers.JSONField):
    """Numbers or nulls, one per chart label."""


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": VALUE_SCHEMA,
        "description": "One value per column key (see `columns`).",
    }
)
class RowField(serializers.JSONField):
    """A table row: column key → value."""


class ReportSummarySerializer(serializers.Serializer):
    label = serializers.CharField()
    value = ValueField(help_text="The figure (null when there is none).")
    unit = serializers.CharField(allow_blank=True, help_text="e.g. `days`, `%`.")


class ReportSeriesSerializer(serializers.Serializer):
    label = serializers.CharField()
    data = SeriesDataField()


class ReportChartSerializer(serializers.Serializer):
    kind = enum_field(CHART_KINDS, "ReportChartKind")
    labels = serializers.ListField(child=serializers.CharField(allow_blank=True))
    series = ReportSeriesSerializer(many=True)
    unit = serializers.CharField(allow_blank=True)


class ReportColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = enum_field(COLUMN_KINDS, "ReportColumnKind")


class ReportFiltersEchoSerializer(serializers.Serializer):
    """The filters in force, defaults included."""

    start = serializers.DateField()
    end = serializers.DateField()
    department = serializers.IntegerField(allow_null=True)
    role = serializers.IntegerField(allow_null=True)
    template = serializers.IntegerField(allow_null=True)
    group = enum_field(list(GROUPS), "ReportGroup")


class ReportSerializer(serializers.Serializer):
    key = enum_field(REPORT_KEYS, "ReportKey")
    title = serializers.CharField()
    description = serializers.CharField()
    filters = ReportFiltersEchoSerializer()
    summary = ReportSummarySerializer(many=True)
    chart = ReportChartSerializer()
    columns = ReportColumnSerializer(many=True)
    rows = serializers.ListField(child=RowField())


class ReportListItemSerializer(serializers.Serializer):
    key = enum_field(REPORT_KEYS, "ReportKey")
    title = serializers.CharField()
    description = serializers.CharField()
    groupable = serializers.BooleanField(
        help_text="Whether the report accepts `group`."
    )
    url = serializers.URLField(help_text="The report in this API.")


class FigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.IntegerField()
    url = serializers.CharField(
        allow_null=True, help_text="The filtered list behind the number."
    )
    tone = enum_field(TONES, "FigureTone")


class FigureGroupSerializer(serializers.Serializer):
    title = serializers.CharField()
    figures = FigureSerializer(many=True)


class PanelSerializer(serializers.Serializer):
    key = enum_field(PANEL_KEYS, "PanelKey")
    title = serializers.CharField()
    groups = FigureGroupSerializer(many=True)


class PeriodDateField(serializers.DateField):
    default_error_messages = {
        "out_of_range": _("Choose a date between %(earliest)s and %(latest)s."),
    }

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not EARLIEST <= day <= LATEST:
            self.fail(
                "out_of_range",
                earliest=EARLIEST.isoformat(),
                latest=LATEST.isoformat(),
            )
        return day


class ReportQuerySerializer(serializers.Serializer):
    """The filters, as query parameters (checked again by the report form)."""

    start = PeriodDateField(
        required=False,
        help_text="First day (ISO date, inclusive). Default: the first day of "
        "the month eleven months ago.",
    )
    end = PeriodDateField(
        required=False, help_text="Last day (ISO date, inclusive). Default: today."
    )
    department = IdField(
        required=False, help_text="A department id: it and its sub-departments."
    )
    role = IdField(required=False, help_text="A role id (the employee's role).")
    template = IdField(required=False, help_text="A checklist template id.")
    group = serializers.ChoiceField(
        choices=list(GROUPS),
        required=False,
        help_text="Rows and chart by `month` (default), `department`, `role` or "
        "`template`; only for reports that are `groupable`.",
    )


# Views -----------------------------------------------------------------------------


def _scope(request):
    scope = scope_for(request.user)
    if scope is None:
        raise NotFound()
    return scope


class ReportListView(APIView):
    """The reports the caller may read, in menu order."""

    @extend_schema(
        tags=["reports"],
        summary="The reports you may read",
        responses={200: ReportListItemSerializer(many=True)},
    )
    def get(self, request):
        scope = _scope(request)
        payload = [
            {
                "key": definition.key,
                "title": str(definition.title),
                "description": str(definition.description),
                "groupable": definition.groupable,
                "url": request.build_absolute_uri(
                    reverse("api:report-detail", args=[definition.key])
                ),
            }
            for definition in reports_for(scope)
        ]
        return Response(ReportListItemSerializer(payload, many=True).data)


class DashboardView(APIView):
    """The caller's dashboard: the numbers of the admin home (HR, IT) or the
    managers' page, each with the link to the list behind it."""

    @extend_schema(
        tags=["reports"],
        summary="Your dashboard panels",
        responses={200: PanelSerializer(many=True)},
    )
    def get(self, request):
        _scope(request)
        panels = [
            {
                "key": panel.key,
                "title": str(panel.title),
                "groups": [
                    {
                        "title": str(group.title),
                        "figures": [
                            {
                                "key": figure.key,
                                "label": str(figure.label),
                                "value": figure.value,
                                "url": figure.url,
                                "tone": figure.tone,
                            }
                            for figure in group.figures
                        ],
                    }
                    for group in panel.groups
                ],
            }
            for panel in dashboard_for(request.user)
        ]
        return Response(PanelSerializer(panels, many=True).data)


class ReportDetailView(APIView):
    """One report: summary, chart series and the table, for the filters given
    (the same as on the report's page and in its exports)."""

    @extend_schema(
        tags=["reports"],
        summary="One report",
        parameters=[
            OpenApiParameter(
                "key",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=REPORT_KEYS,
                description="The report.",
            ),
            ReportQuerySerializer,
        ],
        responses={
            200: ReportSerializer,
            400: OpenApiResponse(
                description="A filter is not valid: `errors` names it."
            ),
            404: OpenApiResponse(
                description="No such report, or one you may not read."
            ),
        },
    )
    def get(self, request, key):
        scope = _scope(request)
        if not scope.can_see(key):
            raise NotFound()
        query = ReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        form = ReportFilterForm(
            {name: request.query_params[name] for name in query.validated_data}
        )
        if not form.is_valid():
            raise serializers.ValidationError(
                {
                    "non_field_errors" if name == "__all__" else name: list(messages)
                    for name, messages in form.errors.items()
                }
            )
        try:
            report = build_report(scope, key, form.filters())
        except KeyError as error:
            raise NotFound() from error
        return Response(ReportSerializer(report.as_dict()).data)


urlpatterns = [
    path("reports/", ReportListView.as_view(), name="report-list"),
    path("reports/dashboard/", DashboardView.as_view(), name="report-dashboard"),
    path("reports/<slug:key>/", ReportDetailView.as_view(), name="report-detail"),
]
