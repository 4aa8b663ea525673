"""The HR handover screens: every handover, start one, cancel one."""

from django.db.models import BooleanField, Case, Value, When
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import View
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem as AdminMenuItem
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import (
    Column,
    StatusFlagColumn,
    StatusTagColumn,
    TitleColumn,
)
from wagtail.admin.views.generic import IndexView, WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import HeaderButton

from cms import selectors, services
from cms.errors import BatonError, NotFound
from cms.models import Handover
from cms.permissions import is_hr_admin, is_own_handover

from .deliveries import HandoverDeliveriesView
from .filters import HandoverFilterSet, overdue_condition
from .forms import HandoverCancelForm, add_service_errors
from .handover_export import HandoverExportMixin
from .intake.start import HandoverStartView
from .links import participant_url
from .permissions import HRAdminRequiredMixin
from .progress import attach_progress

__all__ = [
    "HandoverCancelView",
    "HandoverIndexView",
    "HandoverStartView",
    "HandoverViewSet",
]


def employee_archive_url(employee_id: int) -> str:
    return reverse("wagtailsnippets_cms_employee:inspect", args=[employee_id])


class ProgressColumn(Column):
    """Done / total items, as ``attach_progress`` computed them."""

    cell_template_name = "cms/admin/progress_cell.html"


class HandoverIndexView(HRAdminRequiredMixin, HandoverExportMixin, IndexView):
    cancel_url_name = None
    deliveries_url_name = None
    page_title = _("Handovers")

    def get_base_queryset(self):
        return (
            selectors.handovers_for_user(user=self.request.user)
            .select_related("employee__department", "template")
            .annotate(
                is_overdue=Case(
                    When(overdue_condition(), then=Value(True)),
                    default=Value(False),
                    output_field=BooleanField(),
                )
            )
        )

    def paginate_queryset(self, queryset, page_size):
        paginator, page, object_list, is_paginated = super().paginate_queryset(
            queryset, page_size
        )
        page.object_list = attach_progress(object_list)
        return paginator, page, page.object_list, is_paginated

    @cached_property
    def columns(self):
        title_column = self._get_title_column_class(TitleColumn)
        return [
            title_column(
                "number",
                label=_("Handover number"),
                sort_key="number",
                get_url=lambda handover: participant_url(handover.pk),
            ),
            Column(
                "employee",
                label=_("Employee"),
                accessor="employee.name",
                sort_key="employee__name",
            ),
            Column(
                "template",
                label=_("Template"),
                accessor="template.title",
                sort_key="template__title",
            ),
            StatusTagColumn(
                "state",
                label=_("State"),
                accessor="get_state_display",
                sort_key="state",
                primary=lambda handover: handover.is_open,
            ),
            Column(
                "last_working_day",
                label=_("Last working day"),
                sort_key="last_working_day",
            ),
            ProgressColumn("progress", label=_("Progress")),
            StatusFlagColumn("is_overdue", label=_("Overdue"), true_label=_("Overdue")),
        ]

    def get_list_more_buttons(self, instance):
        buttons = [
            MenuItem(
                _("Open"),
                url=participant_url(instance.pk),
                icon_name="view",
                priority=10,
            ),
            MenuItem(
                _("Employee archive"),
                url=employee_archive_url(instance.employee_id),
                icon_name="user",
                priority=20,
            ),
        ]
        if self.deliveries_url_name:
            buttons.append(
                MenuItem(
                    _("Delivery log"),
                    url=reverse(self.deliveries_url_name, args=[instance.pk]),
                    icon_name="mail",
                    priority=25,
                )
            )
        # An HR admin's own handover is run by another HR admin: they see it,
        # nothing here offers to manage it.
        if instance.is_open and not is_own_handover(self.request.user, instance):
            buttons.append(
                MenuItem(
                    _("Cancel handover"),
                    url=reverse(self.cancel_url_name, args=[instance.pk]),
                    icon_name="cross",
                    priority=30,
                )
            )
        return buttons

    @cached_property
    def add_item_label(self):
        return _("Start a handover")

    @cached_property
    def header_buttons(self):
        return [
            *super().header_buttons,
            HeaderButton(
                _("Bulk start"), url=reverse("intake:bulk"), icon_name="upload"
            ),
        ]

    @cached_property
    def no_results_message(self):
        if self.is_searching or self.is_filtering:
            return _("No handover matches your search and filters.")
        return _("No handover has been started yet.")


class HandoverCancelView(HRAdminRequiredMixin, WagtailAdminTemplateMixin, View):
    template_name = "cms/admin/handover_cancel.html"
    page_title = _("Cancel handover")
    header_icon = "cross"
    index_url_name = None
    cancel_url_name = None

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": _("Handovers")},
            {"url": "", "label": self.get_page_title(), "sublabel": self.subtitle},
        ]

    def _handover(self, pk):
        try:
            return selectors.handover_get(user=self.request.user, handover_id=pk)
        except NotFound as error:
            raise Http404 from error

    def get(self, request, pk):
        self.handover = self._handover(pk)
        if is_own_handover(request.user, self.handover):
            # The service refuses it too; the form is not offered at all.
            messages.error(
                request,
                _("You cannot manage your own handover: another HR admin must run it."),
            )
            return redirect(self.index_url_name)
        return self.render(HandoverCancelForm())

    def post(self, request, pk):
        self.handover = self._handover(pk)
        form = HandoverCancelForm(request.POST)
        form.is_valid()
        try:
            services.handover_cancel(
                actor=request.user,
                handover=self.handover,
                reason=form.cleaned_data.get("reason", ""),
                meta=services.RequestMeta.from_request(request),
            )
        except NotFound as error:
            raise Http404 from error
        except BatonError as error:
            messages.error(request, str(error.message))
            add_service_errors(form, error)
            return self.render(form, status=error.status)
        messages.success(
            request,
            _("Handover %(number)s cancelled.") % {"number": self.handover.number},
        )
        return redirect(self.index_url_name)

    @property
    def subtitle(self):
        return str(self.handover)

    def get_page_subtitle(self):
        return self.subtitle

    def render(self, form, status=200):
        context = self.get_context_data(
            form=form,
            handover=self.handover,
            action_url=reverse(self.cancel_url_name, args=[self.handover.pk]),
            participant_url=participant_url(self.handover.pk),
            submit_button_label=_("Cancel handover"),
            submit_button_active_label=_("Cancelling…"),
        )
        return TemplateResponse(
            self.request, self.get_template_names(), context, status=status
        )


class HandoverMenuItem(AdminMenuItem):
    def is_shown(self, request):
        return is_hr_admin(request.user)


class HandoverViewSet(ModelViewSet):
    """Every handover for HR admins. Only listing, start and cancel: handovers
    are read and worked on in the participant pages, never edited here."""

    model = Handover
    name = "handovers"
    icon = "tasks"
    menu_label = _("Handovers")
    menu_name = "handovers"
    menu_order = 150
    add_to_admin_menu = True
    menu_item_class = HandoverMenuItem

    index_view_class = HandoverIndexView
    start_view_class = HandoverStartView
    cancel_view_class = HandoverCancelView
    deliveries_view_class = HandoverDeliveriesView
    index_results_template_name = "cms/admin/handover_index_results.html"
    filterset_class = HandoverFilterSet
    search_fields = ["number", "employee__name"]
    search_backend_name = None
    ordering = "-created_at"
    list_per_page = 25
    copy_view_enabled = False
    add_to_reference_index = False

    def get_common_view_kwargs(self, **kwargs):
        # Only these views exist; the generic ones the base class links to do not.
        return super().get_common_view_kwargs(
            **{
                "add_url_name": self.get_url_name("start"),
                "edit_url_name": None,
                "delete_url_name": None,
                "history_url_name": None,
                "usage_url_name": None,
                "cancel_url_name": self.get_url_name("cancel"),
                "start_url_name": self.get_url_name("start"),
                "deliveries_url_name": self.get_url_name("deliveries"),
                **kwargs,
            }
        )

    @property
    def start_view(self):
        return self.construct_view(self.start_view_class)

    @property
    def cancel_view(self):
        return self.construct_view(self.cancel_view_class)

    @property
    def deliveries_view(self):
        return self.construct_view(self.deliveries_view_class)

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("start/", self.start_view, name="start"),
            path("<int:pk>/cancel/", self.cancel_view, name="cancel"),
            path("<int:pk>/deliveries/", self.deliveries_view, name="deliveries"),
        ]

    def register_admin_url_finder(self):
        # Nothing to edit here: a handover opens in the participant pages.
        pass

    def register_permissions(self):
        # Access follows ``is_hr_admin`` (HRAdminRequiredMixin), not model
        # permissions, so none are offered in the group editor.
        pass
