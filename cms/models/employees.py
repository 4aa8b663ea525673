from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.search import index

__all__ = ["Employee"]


class Employee(index.Indexed, models.Model):
    """The employee archive: one record per person, whether or not they sign in."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        LEAVING = "leaving", _("Leaving")
        LEFT = "left", _("Left")

    employee_number = models.CharField(_("employee number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=150)
    department = models.ForeignKey(
        "cms.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employees",
    )
    position = models.CharField(_("position"), max_length=150, blank=True)
    role = models.ForeignKey(
        "cms.Role",
        verbose_name=_("role"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employees",
        help_text=_("Used to suggest a handover template."),
    )
    hire_date = models.DateField(_("hire date"), null=True, blank=True)
    manager = models.ForeignKey(
        "self",
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    work_email = models.EmailField(_("work email"), blank=True)
    work_phone = models.CharField(_("work phone"), max_length=50, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    directory_id = models.CharField(
        _("directory id"),
        max_length=255,
        blank=True,
        db_index=True,
        help_text=_(
            "The employee's id in the company directory (e.g. an LDAP uid or an "
            "Entra ID object id); connectors can match records by it."
        ),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employee",
    )
    backup = models.ForeignKey(
        "self",
        verbose_name=_("designated backup"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="backing_up",
        help_text=_(
            "Who takes over when this employee (or, for a manager, their team "
            "member) leaves and a start rule names the team's backup."
        ),
    )
    # field -> {"source": "person" | "directory:<slug>", "at": iso, "by": user id,
    # "directory_value": what the directory says when a person's value wins}
    provenance = models.JSONField(_("provenance"), default=dict, blank=True)

    panels = [
        FieldRowPanel([FieldPanel("employee_number"), FieldPanel("name")]),
        FieldRowPanel([FieldPanel("department"), FieldPanel("position")]),
        FieldRowPanel([FieldPanel("role"), FieldPanel("manager")]),
        FieldPanel("backup"),
        FieldRowPanel([FieldPanel("hire_date"), FieldPanel("status")]),
        MultiFieldPanel(
            [
                FieldPanel("work_email"),
                FieldPanel("work_phone"),
                FieldPanel("directory_id"),
                FieldPanel("user"),
            ],
            heading=_("Contact and sign-in"),
        ),
    ]
    search_fields = [
        index.SearchField("name"),
        index.SearchField("employee_number"),
        index.SearchField("position"),
        index.AutocompleteField("name"),
        index.FilterField("status"),
        index.FilterField("department"),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name = _("employee")
        verbose_name_plural = _("employees")

    def __str__(self):
        return f"{self.name} ({self.employee_number})"

    def clean(self):
        super().clean()
        boss = self.manager
        seen = set()
        while boss is not None and boss.pk not in seen:
            if self.pk is not None and boss.pk == self.pk:
                raise ValidationError(
                    {"manager": _("An employee cannot report to themselves.")}
                )
            seen.add(boss.pk)
            boss = boss.manager

    def reporting_chain(self):
        """Managers from the nearest up, stopping at a loop."""
        chain, seen, boss = [], {self.pk}, self.manager
        while boss is not None and boss.pk not in seen:
            chain.append(boss)
            seen.add(boss.pk)
            boss = boss.manager
        return chain
