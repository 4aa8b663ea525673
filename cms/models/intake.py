"""Intake: the rules that decide what an automatic start gets, and the log of
resignation events HR reviews (started, proposed, refused, dismissed)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.search import index

__all__ = ["ResignationEvent", "StartRule", "default_rule_language"]


def default_rule_language() -> str:
    """The site's language: a rule without its own template suggests one in it."""
    return settings.LANGUAGE_CODE


class StartRule(index.Indexed, models.Model):
    """What a handover started for a matching employee gets: template,
    successor, IT participants and due dates. Lower priority numbers are tried
    first; the fallback rule applies when no other rule matches."""

    class SuccessorPolicy(models.TextChoices):
        SUGGESTED = "suggested", _("The best suggestion")
        NAMED = "named", _("A named person")
        MANAGER_CHOICE = "manager_choice", _("The manager chooses")
        TEAM_BACKUP = "team_backup", _("The team's designated backup")

    name = models.CharField(_("name"), max_length=150)
    priority = models.PositiveIntegerField(
        _("priority"), default=100, help_text=_("Rules with lower numbers win.")
    )
    active = models.BooleanField(_("active"), default=True)
    role = models.ForeignKey(
        "cms.Role",
        verbose_name=_("role"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="start_rules",
        help_text=_("Empty: any role."),
    )
    department = models.ForeignKey(
        "cms.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="start_rules",
        help_text=_("Includes its sub-departments. Empty: any department."),
    )
    position_contains = models.CharField(
        _("position contains"),
        max_length=150,
        blank=True,
        help_text=_("Matches positions containing this text, in any case."),
    )
    language = models.CharField(
        _("language"),
        max_length=16,
        choices=settings.LANGUAGES,
        default=default_rule_language,
        help_text=_("Without a template, the best template in this language."),
    )
    template = models.ForeignKey(
        "cms.ChecklistTemplatePage",
        verbose_name=_("template"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="start_rules",
        help_text=_("Empty: the best suggested template."),
    )
    successor_policy = models.CharField(
        _("successor"),
        max_length=20,
        choices=SuccessorPolicy.choices,
        default=SuccessorPolicy.SUGGESTED,
    )
    successor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("named successor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    manager_choice_days = models.PositiveIntegerField(
        _("days for the manager to choose"), default=3
    )
    it_group = models.CharField(
        _("IT group"),
        max_length=150,
        blank=True,
        help_text=_(
            "The group whose members take part as IT. Empty: the default IT group."
        ),
    )
    due_offset_days = models.IntegerField(
        _("due days before the last working day"),
        null=True,
        blank=True,
        help_text=_("Empty: the template's own due dates."),
    )
    is_fallback = models.BooleanField(
        _("fallback"),
        default=False,
        help_text=_("Used when no other rule matches. One active fallback at most."),
    )

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("priority")]),
        FieldRowPanel([FieldPanel("active"), FieldPanel("is_fallback")]),
        MultiFieldPanel(
            [
                FieldPanel("role"),
                FieldPanel("department"),
                FieldPanel("position_contains"),
            ],
            heading=_("Applies to"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("language"),
                FieldPanel("template"),
                FieldPanel("successor_policy"),
                FieldPanel("successor"),
                FieldPanel("manager_choice_days"),
                FieldPanel("it_group"),
                FieldPanel("due_offset_days"),
            ],
            heading=_("Gives"),
        ),
    ]
    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.FilterField("active"),
    ]

    class Meta:
        ordering = ["priority", "pk"]
        verbose_name = _("start rule")
        verbose_name_plural = _("start rules")
        constraints = [
            models.UniqueConstraint(
                fields=["is_fallback"],
                condition=models.Q(is_fallback=True, active=True),
                name="one_active_fallback_rule",
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        errors = {}
        if self.successor_policy == self.SuccessorPolicy.NAMED and not (
            self.successor_id
        ):
            errors["successor"] = [_("Name the successor this rule gives.")]
        if self.is_fallback and self.active:
            others = StartRule.objects.filter(is_fallback=True, active=True)
            if self.pk:
                others = others.exclude(pk=self.pk)
            if others.exists():
                errors["is_fallback"] = [
                    _("Another active rule is already the fallback.")
                ]
        if self.template_id and self.template.locale.language_code != self.language:
            errors["template"] = [_("The template is not in the rule's language.")]
        if errors:
            raise ValidationError(errors)


class ResignationEvent(models.Model):
    """One resignation as a source reported it, and what intake did with it."""

    class Source(models.TextChoices):
        WEBHOOK = "webhook", _("HR webhook")
        FEISHU = "feishu", _("Feishu approval")
        DINGTALK = "dingtalk", _("DingTalk approval")
        DIRECTORY = "directory", _("Directory")
        BULK = "bulk", _("Bulk start")
        ADMIN = "admin", _("Admin")

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        STARTED = "started", _("Handover started")
        DISMISSED = "dismissed", _("Dismissed")
        REFUSED = "refused", _("Refused")

    # HR may still start, change or dismiss these.
    UNDECIDED_STATES = frozenset({State.PROPOSED, State.REFUSED})

    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    connector_slug = models.CharField(_("connector"), max_length=100, blank=True)
    external_id = models.CharField(_("event id"), max_length=255)
    employee = models.ForeignKey(
        "cms.Employee",
        verbose_name=_("employee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resignation_events",
    )
    employee_ref = models.JSONField(_("employee as reported"), default=dict, blank=True)
    resignation_date = models.DateField(_("resignation date"), null=True, blank=True)
    last_working_day = models.DateField(_("last working day"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices)
    refusal = models.TextField(_("refusal"), blank=True)
    refusal_code = models.CharField(_("refusal code"), max_length=40, blank=True)
    plan = models.JSONField(_("plan"), default=dict, blank=True)
    handover = models.ForeignKey(
        "cms.Handover",
        verbose_name=_("handover"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resignation_events",
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision_note = models.TextField(_("note"), blank=True)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    last_duplicate_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("resignation event")
        verbose_name_plural = _("resignation events")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "connector_slug", "external_id"],
                name="unique_resignation_event",
            )
        ]
        indexes = [models.Index(fields=["state", "received_at"])]

    def __str__(self):
        return f"{self.get_source_display()} {self.external_id}"
