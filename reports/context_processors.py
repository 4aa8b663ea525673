"""reports' links on the participant site, so cms's templates show them without
naming a reports URL (tests/test_layers.py checks they name none): the manager's
team reports, and the public page that checks a certificate's verification code
(``?code=`` as its form sends it). No query runs unless a page uses them."""

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

    return {
        "baton_team_reports_url": SimpleLazyObject(url),
        "baton_certificate_verify_url": SimpleLazyObject(
            lambda: reverse("reports:verify-form")
        ),
    }
