"""Managers' pages on the participant site (managers have no admin access): a
dashboard of their team's handovers with links to the reports they may see,
and each report in the site's layout. HR and IT see theirs here too; anyone
without a reporting scope gets 404."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from .admin_views.presenters import (
    definition_or_404,
    export_response,
    report_page,
    request_scope,
)
from .figures import dashboard_for, reports_for

__all__ = ["report", "reports_index"]


@login_required
@require_GET
def reports_index(request):
    scope = request_scope(request)
    if scope is None:
        raise Http404
    context = {
        "panels": dashboard_for(request.user),
        "reports": [
            (definition, reverse("reports_site_report", args=[definition.key]))
            for definition in reports_for(scope)
        ],
    }
    return TemplateResponse(request, "reports/site/index.html", context)


@login_required
@require_GET
def report(request, key):
    scope = request_scope(request)
    definition = definition_or_404(scope, key)
    page = report_page(request, scope, definition)
    download = export_response(page, request)
    if download is not None:
        return download
    return TemplateResponse(request, "reports/site/report.html", {"report_page": page})
