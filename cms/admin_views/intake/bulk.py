"""Bulk start: a spreadsheet of leavers (or employees selected in the list)
is previewed row by row — the template, the successor, or every refusal and
why — and only then started. Refused rows start nothing; the others start.

The uploaded file is read during the request and dropped: the session keeps
only the rows as read, until their results have been shown.
"""

import uuid
from datetime import date

from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import View
from wagtail.admin import messages
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from cms import services
from cms.exports import export_format, spreadsheet_response
from cms.models import ResignationEvent

from ..links import participant_url
from ..permissions import HRAdminRequiredMixin
from .forms import BulkUploadForm
from .people import person_label
from .spreadsheet import MAX_ROWS, SpreadsheetError, parse_spreadsheet, sample_headings

__all__ = [
    "BulkPreviewView",
    "BulkResultsView",
    "BulkSampleView",
    "BulkUploadView",
    "store_rows",
]

SESSION_KEY = "baton_bulk_start"
# Batches a person may have open at once (several tabs); older ones go.
KEPT_BATCHES = 3


def store_rows(request, rows: list[dict], *, origin: str, name: str = "") -> str:
    """Keep ``rows`` (as read, JSON) for the preview; returns the batch token."""
    batches = dict(request.session.get(SESSION_KEY, {}))
    for token in sorted(batches, key=lambda t: batches[t]["created"])[
        : max(0, len(batches) - KEPT_BATCHES + 1)
    ]:
        del batches[token]
    token = uuid.uuid4().hex
    batches[token] = {
        "origin": origin,
        "name": name,
        "rows": rows,
        "results": None,
        "created": timezone.now().isoformat(),
    }
    request.session[SESSION_KEY] = batches
    return token


def _batch(request, token) -> dict:
    batch = request.session.get(SESSION_KEY, {}).get(token)
    if batch is None:
        raise Http404
    return batch


def _save_batch(request, token, batch) -> None:
    batches = dict(request.session.get(SESSION_KEY, {}))
    batches[token] = batch
    request.session[SESSION_KEY] = batches


def _day(value) -> date | None:
    return date.fromisoformat(value) if value else None


def _bulk_row(row: dict) -> services.BulkRow:
    return services.BulkRow(
        line=row["line"],
        employee=services.EmployeeLookup(
            id=row.get("employee_id"),
            number=row.get("number", ""),
            email=row.get("email", ""),
        ),
        last_working_day=_day(row.get("last_working_day")),
        resignation_date=_day(row.get("resignation_date")),
        template_id=row.get("template_id"),
        successor_ids=tuple(row.get("successor_ids") or ()),
        manager_id=row.get("manager_id"),
        reason=row.get("reason", ""),
    )


def _as_given(row: dict) -> str:
    return row.get("number") or row.get("email") or "—"


def _people(users) -> str:
    return ", ".join(person_label(user) for user in users)


def preview_rows(rows: list[dict]) -> list[dict]:
    """What the preview table shows for each row."""
    plans = {
        preview.line: preview
        for preview in services.bulk_preview(rows=[_bulk_row(row) for row in rows])
    }
    shown = []
    for row in rows:
        preview = plans[row["line"]]
        plan = preview.plan
        problems = list(row.get("errors") or [])
        problems += [text for texts in preview.problems.values() for text in texts]
        if plan is not None and plan.successor_pending:
            successors = gettext("%(manager)s picks one") % {
                "manager": person_label(plan.manager)
            }
        else:
            successors = _people(plan.successors) if plan is not None else ""
        shown.append(
            {
                "line": row["line"],
                "employee": str(preview.employee)
                if preview.employee is not None
                else _as_given(row),
                "last_working_day": _day(row.get("last_working_day")),
                "template": (
                    f"{plan.template.title} ({plan.template.locale.get_display_name()})"
                    if plan is not None and plan.template is not None
                    else ""
                ),
                "successors": successors,
                "manager": person_label(plan.manager)
                if plan is not None and plan.manager is not None
                else "",
                "explanations": plan.explanations if plan is not None else [],
                "problems": problems,
                "startable": not problems,
            }
        )
    return shown


def start_rows(request, token: str, rows: list[dict]) -> list[dict]:
    """Start every row that can start; the others are kept as refused events.
    Returns what the results page shows, by line."""
    meta = services.RequestMeta.from_request(request)
    readable = [row for row in rows if not row.get("errors")]
    unreadable = [row for row in rows if row.get("errors")]
    results = []
    outcomes = services.bulk_start(
        actor=request.user, rows=[_bulk_row(row) for row in readable], meta=meta
    )
    for row, outcome in zip(readable, outcomes, strict=True):
        results.append(_result(row, outcome))
    for row in unreadable:
        outcome = services.resignation_record_malformed(
            source=ResignationEvent.Source.BULK,
            payload={"line": row["line"], "cells": row.get("cells", {})},
            problem=" ".join(row["errors"]),
            external_id=f"{token}:{row['line']}",
        )
        results.append(_result(row, outcome))
    return sorted(results, key=lambda result: result["line"])


def _result(row: dict, outcome) -> dict:
    event = outcome.event
    handover = outcome.handover
    return {
        "line": row["line"],
        "employee": str(event.employee) if event.employee_id else _as_given(row),
        "status": outcome.status,
        "message": str(outcome.message),
        "handover": handover.number if handover is not None else "",
        "url": participant_url(handover.pk) if handover is not None else "",
    }


class _BulkView(HRAdminRequiredMixin, WagtailAdminTemplateMixin, View):
    header_icon = "upload"
    index_url_name = "intake:index"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("intake:index"), "label": _("Intake")},
            {"url": "", "label": self.get_page_title()},
        ]

    def render(self, status=200, **context):
        return TemplateResponse(
            self.request,
            self.get_template_names(),
            self.get_context_data(**context),
            status=status,
        )


class BulkUploadView(_BulkView):
    template_name = "cms/admin/intake/bulk_upload.html"
    page_title = _("Bulk start")

    def get(self, request):
        return self.render(form=BulkUploadForm())

    def post(self, request):
        form = BulkUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render(form=form, status=400)
        upload = form.cleaned_data["spreadsheet"]
        try:
            rows = parse_spreadsheet(upload.name, upload.read())
        except SpreadsheetError as error:
            form.add_error("spreadsheet", str(error))
            return self.render(form=form, status=400)
        token = store_rows(
            request,
            [row.as_json() for row in rows],
            origin="spreadsheet",
            name=upload.name,
        )
        return redirect("intake:bulk_preview", token)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            action_url=reverse("intake:bulk"),
            sample_urls={
                fmt: f"{reverse('intake:bulk_sample')}?export={fmt}"
                for fmt in ("xlsx", "csv")
            },
            headings=sample_headings(),
            max_rows=MAX_ROWS,
            media=kwargs["form"].media,
        )
        return context


class BulkSampleView(_BulkView):
    """An example spreadsheet with the headings bulk start reads."""

    def get(self, request):
        fmt = export_format(request) or "xlsx"
        return spreadsheet_response(
            filename="bulk-start",
            headings=sample_headings(),
            rows=[
                # An example a preview refuses (nobody has this email) if it
                # is uploaded as it is.
                [
                    "someone@example.com",
                    timezone.localdate().isoformat(),
                    timezone.localdate().isoformat(),
                    "",
                    "",
                    "",
                    "",
                ]
            ],
            fmt=fmt,
        )


class BulkPreviewView(_BulkView):
    template_name = "cms/admin/intake/bulk_preview.html"
    page_title = _("Bulk start: preview")

    def get(self, request, token):
        batch = _batch(request, token)
        if batch["results"] is not None:
            return redirect("intake:bulk_results", token)
        rows = preview_rows(batch["rows"])
        startable = sum(row["startable"] for row in rows)
        return self.render(
            batch=batch,
            rows=rows,
            startable=startable,
            refused=len(rows) - startable,
            action_url=reverse("intake:bulk_preview", args=[token]),
            again_url=reverse("intake:bulk")
            if batch["origin"] == "spreadsheet"
            else reverse("wagtailsnippets_cms_employee:list"),
        )

    def post(self, request, token):
        batch = _batch(request, token)
        if batch["results"] is None:
            batch["results"] = start_rows(request, token, batch["rows"])
            # The rows are done with: only what happened stays, for the page.
            batch["rows"] = []
            _save_batch(request, token, batch)
            started = sum(r["status"] == "started" for r in batch["results"])
            messages.success(
                request,
                gettext("%(started)d of %(total)d handovers started.")
                % {"started": started, "total": len(batch["results"])},
            )
        return redirect("intake:bulk_results", token)


class BulkResultsView(_BulkView):
    template_name = "cms/admin/intake/bulk_results.html"
    page_title = _("Bulk start: results")

    def get(self, request, token):
        batch = _batch(request, token)
        if batch["results"] is None:
            return redirect("intake:bulk_preview", token)
        results = batch["results"]
        return self.render(
            batch=batch,
            results=results,
            started=[r for r in results if r["status"] == "started"],
            not_started=[r for r in results if r["status"] != "started"],
        )
