from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from checklist_blocks.blocks.stream import ChecklistStreamBlock
from checklist_blocks.registry import iter_items

from .snippets import Role

__all__ = ["ChecklistTemplatePage", "TemplateIndexPage"]


class LoginRequiredPageMixin:
    """Baton's pages describe a company's internal process: members only."""

    def serve(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return super().serve(request, *args, **kwargs)


class TemplateIndexPage(LoginRequiredPageMixin, Page):
    """The library of handover templates, one per language."""

    intro = models.TextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["cms.ChecklistTemplatePage"]
    max_count_per_parent = 1
    api_fields = [APIField("intro")]
    page_size = 20

    class Meta:
        verbose_name = _("template library")
        verbose_name_plural = _("template libraries")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # Each language has its own library: the role filter offers the roles
        # of this library's published templates only.
        published = ChecklistTemplatePage.objects.child_of(self).live()
        templates = published.select_related("role").order_by("title")
        query = request.GET.get("q", "").strip()
        if query:
            templates = templates.filter(
                models.Q(title__icontains=query)
                | models.Q(description__icontains=query)
            )
        role = request.GET.get("role", "").strip()
        if role:
            templates = templates.filter(role__code=role)
        paginator = Paginator(templates, self.page_size)
        context.update(
            query=query,
            role=role,
            roles=Role.objects.filter(templates__in=published).distinct(),
            templates=paginator.get_page(request.GET.get("page")),
        )
        return context


class ChecklistTemplatePage(LoginRequiredPageMixin, Page):
    """A role's handover checklist: sections and items built from blocks."""

    role = models.ForeignKey(
        "cms.Role",
        verbose_name=_("role"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="templates",
    )
    departments = ParentalManyToManyField(
        "cms.Department",
        verbose_name=_("departments"),
        blank=True,
        related_name="templates",
        help_text=_("Departments this template is suggested for."),
    )
    description = models.TextField(_("description"), blank=True)
    body = StreamField(
        ChecklistStreamBlock(),
        verbose_name=_("checklist"),
        help_text=_("Sections and items the departing employee hands over."),
    )
    escalate_to_manager_days = models.PositiveSmallIntegerField(
        _("tell the manager after (days overdue)"),
        null=True,
        blank=True,
        default=2,
        help_text=_(
            "An item still open this many days after its due date is escalated "
            "to the handover's manager, once. Empty: never."
        ),
    )
    escalate_to_hr_days = models.PositiveSmallIntegerField(
        _("tell HR after (days overdue)"),
        null=True,
        blank=True,
        default=5,
        help_text=_(
            "An item still open this many days after its due date is escalated "
            "to HR, once. Empty: never."
        ),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("role"),
        FieldPanel("departments", widget=forms.CheckboxSelectMultiple),
        FieldPanel("description"),
        FieldPanel("body"),
        MultiFieldPanel(
            [FieldPanel("escalate_to_manager_days"), FieldPanel("escalate_to_hr_days")],
            heading=_("Escalation of overdue items"),
        ),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("description"),
        index.FilterField("role"),
    ]
    api_fields = [
        APIField("role"),
        APIField("departments"),
        APIField("description"),
        APIField("body"),
    ]
    parent_page_types = ["cms.TemplateIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")

    def item_count(self):
        return sum(1 for _item in iter_items(self.body))
