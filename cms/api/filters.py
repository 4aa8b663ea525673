import datetime

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from cms.models import ChecklistTemplatePage


class TemplateFilter(django_filters.FilterSet):
    locale = django_filters.CharFilter(
        field_name="locale__language_code", label=_("Language code, e.g. zh-hans")
    )
    role = django_filters.CharFilter(field_name="role__code", label=_("Role code"))
    department = django_filters.CharFilter(
        field_name="departments__code", label=_("Department code"), distinct=True
    )
    translation_key = django_filters.UUIDFilter(field_name="translation_key")

    class Meta:
        model = ChecklistTemplatePage
        fields = ["locale", "role", "department", "translation_key"]


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date and time, moved to UTC: PostgreSQL refuses offsets past
    ±15:59 that ISO 8601 allows, and a time near year 1 or 9999 may have no
    UTC equivalent at all (400 naming the parameter, not a server error)."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(datetime.UTC)
        except OverflowError as error:
            raise ValidationError(
                self.error_messages["invalid"], code="invalid"
            ) from error


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField
