"""The purge runs in the admin: the list, "Dry run now" / "Run now", and a
run's report (per class: handovers and rows, the oldest date, the policy)."""

from django.shortcuts import get_object_or_404, redirect
from django.utils.dateparse import parse_date
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages

from cms.models import RetentionRun
from cms.services import retention

from .retention import RetentionView

__all__ = ["RunIndexView", "RunReportView", "run_rows"]


def run_rows(run: RetentionRun) -> list[dict]:
    """The run's counts per class, in the order of the policies."""
    rows = []
    for data_class, counts in run.counts.items():
        oldest = counts.get("oldest")
        rows.append(
            {
                "label": retention.data_class_label(data_class),
                "handovers": counts.get("handovers", 0),
                "rows": counts.get("rows", 0),
                "oldest": parse_date(oldest) if oldest else None,
                "policy": counts.get("policy", ""),
            }
        )
    return rows


class RunIndexView(RetentionView):
    template_name = "cms/admin/retention/runs.html"
    page_title = _("Purge runs")
    header_icon = "history"

    def get(self, request):
        runs = RetentionRun.objects.select_related("started_by")[:100]
        has_dry_run = RetentionRun.objects.filter(dry_run=True).exists()
        return self.render(runs=runs, has_dry_run=has_dry_run)

    def post(self, request):
        from cms.tasks import run_retention_now

        dry_run = request.POST.get("intent") != "run"
        run_retention_now(dry_run, request.user.pk)
        if dry_run:
            messages.success(
                request,
                gettext("The dry run started: its report appears in this list."),
            )
        else:
            messages.success(
                request,
                gettext("The purge run started: its counts appear in this list."),
            )
        return redirect("cms_retention_runs")


class RunReportView(RetentionView):
    template_name = "cms/admin/retention/run.html"
    header_icon = "history"

    def get_page_title(self):
        if self.run.dry_run:
            return gettext("Dry-run report")
        return gettext("Purge run")

    def get(self, request, pk):
        self.run = get_object_or_404(
            RetentionRun.objects.select_related("started_by"), pk=pk
        )
        return self.render(run=self.run, rows=run_rows(self.run))
