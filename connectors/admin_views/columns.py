"""Columns of the connector list: yes / no as icons with words a screen
reader says in the admin's language (Wagtail's ``BooleanColumn`` titles its
icons "True" / "False"), and the connection: how the last test went, with a
button that tests it again."""

from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import BooleanColumn

__all__ = ["ConnectionColumn", "YesNoColumn"]


class YesNoColumn(BooleanColumn):
    cell_template_name = "connectors/admin/yes_no_cell.html"

    def __init__(self, name, *, true_text, false_text, none_text="", **kwargs):
        super().__init__(name, **kwargs)
        self.true_text = true_text
        self.false_text = false_text
        self.none_text = none_text


class ConnectionColumn(YesNoColumn):
    """The last test's outcome, when and what it said, and "Test connection"
    (a POST with the CSRF token, back to the list afterwards)."""

    cell_template_name = "connectors/admin/connection_cell.html"

    def __init__(self, name, **kwargs):
        super().__init__(
            name,
            true_text=_("Last test succeeded"),
            false_text=_("Last test failed"),
            none_text=_("Not tested yet"),
            **kwargs,
        )

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        context["csrf_token"] = get_token(request) if request else ""
        context["test_url"] = reverse("connectors_test", args=[instance.pk])
        context["next_url"] = reverse("wagtailsnippets_connectors_connectorconfig:list")
        return context
