"""The purge runs in the admin: the list, "Dry run now" / "Run now", and a
run's report (per class: handovers and rows, the oldest date, the policy)."""

from django.shortcuts import get_object_or_404, redirect
from django.utils.dateparse import parse_date
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages

from cms.models import RetentionPolicy as Policy
from cms.models import RetentionRun
from cms.services import retention

from .retention import RetentionView

__all__ = ["RunIndexView", "RunReportView", "policy_text", "run_rows"]


def policy_text(counts: dict) -> str:
    """The policy a class ran under, in the reader's language."""
    if "months" not in counts:
        return counts.get("policy", "")
    return ngettext(
        "%(months)d month from %(event)s, %(action)s (policy #%(id)s)",
        "%(months)d months from %(event)s, %(action)s (policy #%(id)s)",
        counts["months"],
    ) % {
        "months": counts["months"],
        "event": str(Policy.CountedFrom(counts["counted_from"]).label).lower(),
        "action": str(Policy.Action(counts["action"]).label).lower(),
        "id": counts.get("policy_id", ""),
    }


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
                "policy": policy_text(counts),
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
