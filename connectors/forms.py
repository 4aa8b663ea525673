"""Forms of the spreadsheet import: the upload, and the column mapping."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import UploadImport

__all__ = ["MappingForm", "UploadForm", "property_field_name"]

NOT_IMPORTED = ("", _("— not imported —"))


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or Excel file"),
        help_text=_(
            "The first row names the columns; each row below it becomes an item."
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "class": "p-input p-input--file",
            }
        ),
        error_messages={"required": _("Choose a file to upload.")},
    )
    sheet = forms.CharField(
        label=_("Sheet"),
        required=False,
        max_length=100,
        help_text=_("For Excel workbooks: leave empty to read the first sheet."),
        widget=forms.TextInput(attrs={"class": "p-input"}),
    )


def property_field_name(path: str) -> str:
    return "map__" + path.replace(".", "__")


class MappingForm(forms.Form):
    """One choice of column per item property, and the id column."""

    def __init__(self, *args, properties, columns, **kwargs):
        super().__init__(*args, **kwargs)
        self.properties = list(properties)
        column_choices = [(column, column) for column in columns]
        for prop in self.properties:
            self.fields[property_field_name(prop.path)] = forms.ChoiceField(
                label=prop.label,
                choices=[NOT_IMPORTED, *column_choices],
                required=False,
                widget=forms.Select(attrs={"class": "p-input"}),
            )
        self.fields["id_column"] = forms.ChoiceField(
            label=_("Column that identifies each row"),
            choices=[
                ("", _("— none: recognise rows by their values —")),
                *column_choices,
            ],
            required=False,
            help_text=_(
                "Choose a column holding a unique id (a customer number, an asset "
                "tag) so that importing an edited file again updates the items "
                "instead of adding new ones. Without one, uploading the same file "
                "again changes nothing, but an edited row becomes a new item."
            ),
            widget=forms.Select(attrs={"class": "p-input"}),
        )
        # "Add" is the default: it never changes an item that is already in
        # the list, whereas "replace" turns the items missing from the file
        # "not applicable" — a choice a person should make on purpose.
        self.fields["mode"] = forms.ChoiceField(
            label=_("What the file does"),
            choices=UploadImport.Mode.choices,
            initial=UploadImport.Mode.ADD,
            widget=forms.RadioSelect,
            error_messages={
                "required": _(
                    "Choose whether the file adds to the list or replaces it."
                )
            },
        )
        # The choices the preview on the page was computed for.
        self.fields["previewed"] = forms.CharField(
            required=False, max_length=64, widget=forms.HiddenInput
        )

    @staticmethod
    def initial_for(mapping: dict, id_column: str | None) -> dict:
        initial = {
            property_field_name(path): column for path, column in mapping.items()
        }
        initial["id_column"] = id_column or ""
        return initial

    def mapping(self) -> dict[str, str]:
        return {
            prop.path: self.cleaned_data[property_field_name(prop.path)]
            for prop in self.properties
            if self.cleaned_data.get(property_field_name(prop.path))
        }

    def id_column(self) -> str | None:
        return self.cleaned_data.get("id_column") or None

    def mode(self) -> str:
        return self.cleaned_data["mode"]
