"""Baton's dashboard panels on the Wagtail admin home: one Component per panel
of ``dashboard_for(user)`` (HR, IT), rendered with the same include as the
participant site's ``/reports/``."""

from django.forms import Media
from wagtail.admin.ui.components import Component

from .figures import Panel

__all__ = ["DashboardPanel"]


class DashboardPanel(Component):
    """One panel of figures; each figure links to the list behind it."""

    template_name = "reports/admin/panel.html"
    # Before Wagtail's own panels (moderation: 200 and up).
    order = 50

    def __init__(self, panel: Panel, *, order: int = 50):
        self.panel = panel
        self.name = f"baton-{panel.key}"
        self.order = order

    def get_context_data(self, parent_context=None):
        return {"panel": self.panel}

    @property
    def media(self):
        return Media(css={"all": ["reports/reports.css"]})
