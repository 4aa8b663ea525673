"""IT's screens in the Wagtail admin: the queue of access changes across all
handovers (filters, batch run / cancel, by-hand changes closed with a signature),
suspended accounts (restore, delete under the threshold) and residual access.
Each list downloads as XLSX / CSV (``?export=``) with its filters."""

import datetime

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import View
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from cms.errors import BatonError
from cms.exports import SpreadsheetButtonsMixin, export_format, spreadsheet_response

from ..models import ConnectorConfig
from ..permissions import can_manage_connectors
from . import services
from .models import AccessAction, AccessGrant, ResidualAccess

__all__ = [
    "AccessQueueView",
    "QueueFilter",
    "ResidualAccessView",
    "SuspendedAccountsView",
    "due_by_condition",
]

DUE_TODAY = "today"


def due_by_condition(day: datetime.date) -> Q:
    """Access changes still planned for ``day`` or earlier, in local dates:
    what IT has to do today, late ones included."""
    next_midnight = timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
    )
    return Q(state=AccessAction.State.PLANNED, scheduled_for__lt=next_midnight)


class _ITOnly(WagtailAdminTemplateMixin, View):
    # Breadcrumbs end with the page's own title (else Wagtail shows "Home"),
    # under the IT queue for the pages reached from it.
    under_queue = True

    def get_breadcrumbs_items(self):
        queue = {"url": reverse("connectors_access_queue"), "label": _("IT queue")}
        here = {"url": "", "label": self.get_page_title()}
        here["sublabel"] = self.get_page_subtitle()
        return [*self.breadcrumbs_items, *([queue] if self.under_queue else []), here]

    def dispatch(self, request, *args, **kwargs):
        if not can_manage_connectors(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def _ids(self, request):
        return [int(pk) for pk in request.POST.getlist("selected") if pk.isdigit()]


class QueueFilter(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Pending and failed")), *AccessAction.State.choices],
    )
    operation = forms.ChoiceField(
        label=_("Operation"),
        required=False,
        choices=[("", _("Any")), *AccessAction.Operation.choices],
    )
    connector = forms.ModelChoiceField(
        label=_("System"),
        required=False,
        queryset=ConnectorConfig.objects.all(),
        empty_label=_("Any"),
    )
    due = forms.ChoiceField(
        label=_("Due"),
        required=False,
        choices=[("", _("Any time")), (DUE_TODAY, _("Today or earlier"))],
    )
    q = forms.CharField(label=_("Search"), required=False)


class AccessQueueView(SpreadsheetButtonsMixin, _ITOnly):
    template_name = "connectors/admin/access_queue.html"
    page_title = _("IT queue")
    page_subtitle = _("Access changes")
    header_icon = "key"
    under_queue = False

    def get(self, request):
        form = QueueFilter(request.GET or None)
        actions = self.filtered(form).order_by("state", "scheduled_for", "pk")
        fmt = export_format(request)
        if fmt:
            return self.export(actions, fmt)
        page = Paginator(actions, 50).get_page(request.GET.get("p"))
        return self.render_to_response(
            self.get_context_data(filter=form, page=page, now=timezone.now())
        )

    def filtered(self, form):
        actions = AccessAction.objects.select_related(
            "grant", "handover__employee", "connector", "done_by", "target_user"
        )
        state = ""
        if form.is_valid():
            state = form.cleaned_data["state"]
            if form.cleaned_data["due"] == DUE_TODAY:
                actions = actions.filter(due_by_condition(timezone.localdate()))
            if form.cleaned_data["operation"]:
                actions = actions.filter(operation=form.cleaned_data["operation"])
            if form.cleaned_data["connector"]:
                actions = actions.filter(connector=form.cleaned_data["connector"])
            if form.cleaned_data["q"]:
                text = form.cleaned_data["q"]
                actions = actions.filter(
                    Q(handover__number__icontains=text)
                    | Q(description__icontains=text)
                    | Q(handover__employee__name__icontains=text)
                )
        if state:
            return actions.filter(state=state)
        return actions.filter(
            state__in=(AccessAction.State.PLANNED, AccessAction.State.FAILED)
        )

    def export(self, actions, fmt):
        headings = [
            gettext("When"),
            gettext("Operation"),
            gettext("Change"),
            gettext("System"),
            gettext("Account"),
            gettext("Employee"),
            gettext("Handover"),
            gettext("State"),
            gettext("Attempts"),
            gettext("Error"),
            gettext("Upstream request id"),
            gettext("Finished"),
            gettext("Done by"),
        ]
        rows = (
            [
                action.scheduled_for,
                action.get_operation_display(),
                action.describe(),
                action.grant.system,
                action.grant.account_label or action.grant.account_id,
                action.handover.employee.name,
                action.handover.number,
                action.get_state_display(),
                action.attempts,
                action.error_text(),
                action.request_id,
                action.finished_at,
                action.done_by.get_username() if action.done_by else None,
            ]
            for action in actions
        )
        return spreadsheet_response(
            filename="access-changes", headings=headings, rows=rows, fmt=fmt
        )

    def post(self, request):
        ids = self._ids(request)
        intent = request.POST.get("intent")
        try:
            if intent == "complete":
                action = get_object_or_404(AccessAction, pk=request.POST.get("action"))
                services.access_action_complete(
                    actor=request.user,
                    action=action,
                    password=request.POST.get("password", ""),
                    note=request.POST.get("note", ""),
                )
                messages.success(request, gettext("Closed: the change is recorded."))
            elif not ids:
                messages.error(request, gettext("Select at least one change."))
            elif intent == "cancel":
                count = services.access_actions_cancel(
                    actor=request.user, action_ids=ids
                )
                messages.success(
                    request,
                    gettext("%(count)d change(s) cancelled.") % {"count": count},
                )
            else:
                count = services.access_actions_run_now(
                    actor=request.user, action_ids=ids
                )
                messages.success(
                    request,
                    gettext("%(count)d change(s) queued to run now.")
                    % {"count": count},
                )
        except BatonError as error:
            messages.error(request, str(error.message))
        return redirect(request.get_full_path())


class SuspendedAccountsView(SpreadsheetButtonsMixin, _ITOnly):
    template_name = "connectors/admin/access_suspended.html"
    page_title = _("Suspended accounts")
    header_icon = "lock"

    def get(self, request):
        grants = (
            AccessGrant.objects.filter(state=AccessGrant.State.SUSPENDED)
            .select_related("connector", "handover__employee")
            .order_by("connector__name", "suspended_at")
        )
        fmt = export_format(request)
        if fmt:
            return self.export(grants, fmt)
        page = Paginator(grants, 50).get_page(request.GET.get("p"))
        return self.render_to_response(
            self.get_context_data(page=page, buffer_days=_buffer_days())
        )

    def export(self, grants, fmt):
        headings = [
            gettext("System"),
            gettext("Account"),
            gettext("Group or role"),
            gettext("Employee"),
            gettext("Handover"),
            gettext("Suspended"),
        ]
        rows = (
            [
                grant.system,
                grant.account_label or grant.account_id,
                grant.group_label or grant.group_id,
                grant.handover.employee.name,
                grant.handover.number,
                grant.suspended_at,
            ]
            for grant in grants
        )
        return spreadsheet_response(
            filename="suspended-accounts", headings=headings, rows=rows, fmt=fmt
        )

    def post(self, request):
        ids = self._ids(request)
        intent = request.POST.get("intent")
        try:
            if not ids:
                raise BatonError(gettext("Select at least one account."))
            if intent == "restore":
                for grant in AccessGrant.objects.filter(pk__in=ids):
                    services.access_restore(actor=request.user, grant=grant)
                messages.success(request, gettext("Restore queued."))
            else:
                connectors = set(
                    AccessGrant.objects.filter(pk__in=ids).values_list(
                        "connector_id", flat=True
                    )
                )
                if len(connectors) != 1:
                    raise BatonError(
                        gettext("Delete accounts of one system at a time.")
                    )
                connector = ConnectorConfig.objects.get(pk=connectors.pop())
                services.access_delete(
                    actor=request.user, connector=connector, grant_ids=ids
                )
                messages.success(request, gettext("Deletion queued."))
        except BatonError as error:
            messages.error(request, str(error.message))
        return redirect(request.get_full_path())


def _buffer_days():
    from django.conf import settings

    return settings.BATON_ACCESS_BUFFER_DAYS


class ResidualAccessView(SpreadsheetButtonsMixin, _ITOnly):
    template_name = "connectors/admin/access_residual.html"
    page_title = _("Residual access")
    header_icon = "warning"

    def get(self, request):
        findings = ResidualAccess.objects.select_related(
            "grant__connector", "grant__handover__employee"
        )
        if request.GET.get("all") != "1":
            findings = findings.filter(active=True, resolved_at__isnull=True)
        fmt = export_format(request)
        if fmt:
            return self.export(findings, fmt)
        page = Paginator(findings, 50).get_page(request.GET.get("p"))
        return self.render_to_response(
            self.get_context_data(page=page, showing_all=request.GET.get("all") == "1")
        )

    def export(self, findings, fmt):
        headings = [
            gettext("System"),
            gettext("Account"),
            gettext("Employee"),
            gettext("Handover"),
            gettext("Checked"),
            gettext("Days after departure"),
            gettext("Still active"),
            gettext("Resolved"),
        ]
        rows = (
            [
                finding.grant.system,
                finding.grant.account_label or finding.grant.account_id,
                finding.grant.handover.employee.name,
                finding.grant.handover.number,
                finding.checked_at,
                finding.days_after,
                gettext("Yes") if finding.active else gettext("No"),
                finding.resolved_at,
            ]
            for finding in findings
        )
        return spreadsheet_response(
            filename="residual-access", headings=headings, rows=rows, fmt=fmt
        )
