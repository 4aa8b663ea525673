"""Pickers that scale: a ``<select>`` that holds only what is chosen, turned
into a search-as-you-type box by Tom Select (vendored under
``cms/static/cms/vendor/tom-select/``) asking a JSON endpoint for the rest.

The form field keeps its whole queryset to validate what comes back; only
the rendering is limited, so 20,000 people never reach the page.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

__all__ = [
    "PICKER_MEDIA",
    "PeopleMultiplePicker",
    "PeoplePicker",
]

PICKER_MEDIA = forms.Media(
    js=[
        "cms/vendor/tom-select/tom-select.complete.min.js",
        "cms/people_picker.js",
    ],
    css={
        "all": [
            "cms/vendor/tom-select/tom-select.default.min.css",
            "cms/people_picker.css",
        ]
    },
)


class _PickerMixin:
    """Renders the chosen options only, with what the script needs to search."""

    def __init__(self, *, search_url, placeholder=None, attrs=None):
        super().__init__(attrs=attrs)
        self.search_url = search_url
        self.placeholder = placeholder

    @property
    def media(self):
        return PICKER_MEDIA

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].update(
            {
                "data-people-picker": "",
                "data-search-url": str(self.search_url),
                "data-placeholder": str(
                    self.placeholder or _("Type a name, number, email or department")
                ),
                "data-no-results": str(_("Nobody matches.")),
                "data-loading": str(_("Searching…")),
            }
        )
        return context

    def _chosen_choices(self, value):
        chosen = [str(v) for v in value if v not in (None, "")]
        iterator = self.choices
        queryset = getattr(iterator, "queryset", None)
        field = getattr(iterator, "field", None)
        if not chosen or queryset is None or field is None:
            return [c for c in iterator if str(c[0]) in chosen] if chosen else []
        wanted = [v for v in chosen if v.isdigit()]
        objects = {str(obj.pk): obj for obj in queryset.filter(pk__in=wanted)}
        # In the order they were chosen, as a select keeps them.
        return [iterator.choice(objects[v]) for v in wanted if v in objects]

    def optgroups(self, name, value, attrs=None):
        everything = self.choices
        limited = self._chosen_choices(value)
        if not self.allow_multiple_selected:
            limited = [("", ""), *limited]
        self.choices = limited
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = everything


class PeoplePicker(_PickerMixin, forms.Select):
    """One person (an employee or a user), searched as you type."""


class PeopleMultiplePicker(_PickerMixin, forms.SelectMultiple):
    """Several people, searched as you type, each removable."""
