"""The participant site's link to a manager's team reports: cms's base template
shows it without naming a reports URL, and no query runs unless a page uses it."""

from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from .admin_views.presenters import request_scope

__all__ = ["team_reports"]


def team_reports(request):
    def url():
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request_scope(request) is None:
            return ""
        return reverse("reports_site_index")

    return {"baton_team_reports_url": SimpleLazyObject(url)}
