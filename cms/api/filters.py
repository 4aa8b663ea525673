import django_filters
from django.utils.translation import gettext_lazy as _

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
