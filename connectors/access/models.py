"""Access handover's records: the access a leaver holds, the changes planned
and run in other systems, and residual access found after departure.

Part of the ``connectors`` app (re-exported by ``connectors.models``), so the
tables and migrations are the app's as before."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..models.configs import ConnectorConfig
from ..models.writeback import UpstreamChange

__all__ = ["AccessAction", "AccessGrant", "ResidualAccess"]


class AccessGrant(models.Model):
    """One piece of access a departing employee holds: an account in a system,
    or a membership of a group / role there. Discovered by connectors that can
    revoke, or added by hand for systems without one."""

    class Kind(models.TextChoices):
        ACCOUNT = "account", _("Account")
        MEMBERSHIP = "membership", _("Group or role membership")

    class Decision(models.TextChoices):
        REVOKE = "revoke", _("Revoke")
        TRANSFER = "transfer", _("Transfer to the successor")
        KEEP = "keep", _("Keep")

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        REMOVED = "removed", _("Removed")
        DELETED = "deleted", _("Deleted")
        KEPT = "kept", _("Kept")

    handover = models.ForeignKey(
        "cms.Handover",
        verbose_name=_("handover"),
        on_delete=models.CASCADE,
        related_name="access_grants",
    )
    connector = models.ForeignKey(
        ConnectorConfig,
        verbose_name=_("connector"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="access_grants",
    )
    item = models.OneToOneField(
        "cms.Item",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="access_grant",
    )
    system = models.CharField(_("system"), max_length=255)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    account_id = models.CharField(_("account"), max_length=512)
    account_label = models.CharField(max_length=255, blank=True)
    group_id = models.CharField(_("group or role"), max_length=512, blank=True)
    group_label = models.CharField(max_length=255, blank=True)
    sole_owner = models.BooleanField(
        _("only member"),
        default=False,
        help_text=_("Nobody else is in this group: transfer it, or it is orphaned."),
    )
    decision = models.CharField(
        _("decision"), max_length=16, choices=Decision.choices, blank=True
    )
    keep_reason = models.TextField(_("reason to keep"), blank=True)
    keep_until = models.DateField(_("keep until"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.ACTIVE
    )
    instructions = models.TextField(
        _("instructions for IT"),
        blank=True,
        help_text=_("For systems without a connector: exactly what IT must do."),
    )
    discovered_at = models.DateTimeField(_("discovered"), auto_now_add=True)
    refreshed_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("suspended"), null=True, blank=True)

    class Meta:
        ordering = ["system", "kind", "group_label", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["handover", "connector", "account_id", "group_id"],
                name="unique_access_grant",
            )
        ]
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")

    def __str__(self):
        if self.kind == self.Kind.ACCOUNT:
            return f"{self.system}: {self.account_label or self.account_id}"
        return f"{self.system}: {self.group_label or self.group_id}"


class AccessAction(UpstreamChange):
    """One change to one system, planned from a confirmed decision, run at its
    time, then read back. Manual ones are IT tasks closed with a signature."""

    class Operation(models.TextChoices):
        SUSPEND = "suspend_account", _("Suspend the account")
        RESTORE = "restore_account", _("Restore the account")
        DELETE = "delete_account", _("Delete the account")
        REMOVE_MEMBER = "remove_member", _("Remove from the group")
        ADD_MEMBER = "add_member", _("Add the successor to the group")
        MANUAL = "manual", _("By hand (no connector)")

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        RUNNING = "running", _("Running")
        VERIFIED = "verified", _("Done and verified")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    grant = models.ForeignKey(
        AccessGrant,
        verbose_name=_("access"),
        on_delete=models.CASCADE,
        related_name="actions",
    )
    handover = models.ForeignKey(
        "cms.Handover",
        verbose_name=_("handover"),
        on_delete=models.CASCADE,
        related_name="access_actions",
    )
    connector = models.ForeignKey(
        ConnectorConfig,
        verbose_name=_("connector"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="access_actions",
    )
    operation = models.CharField(
        _("operation"), max_length=24, choices=Operation.choices
    )
    description = models.TextField(_("what it changes"))
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("successor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    scheduled_for = models.DateTimeField(_("scheduled for"))
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PLANNED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(UpstreamChange.Meta):
        ordering = ["scheduled_for", "pk"]
        indexes = [models.Index(fields=["state", "scheduled_for"])]
        verbose_name = _("access change")
        verbose_name_plural = _("access changes")

    def __str__(self):
        return self.description

    def describe(self) -> str:
        """What the change does, in the active (the reader's) language;
        ``description`` keeps the words it was planned with."""
        from .wording import describe_change

        if self.operation not in self.Operation.values:
            return self.description
        return describe_change(self.grant, self.operation, self.target_user)

    def error_text(self) -> str:
        """Why it failed, in the active language when the words are Baton's
        own; what the system said is shown as it said it."""
        from django.utils import translation

        from .wording import NOT_APPLIED

        with translation.override(self.handover.language):
            planned_words = translation.gettext(NOT_APPLIED)
        if self.error and self.error in (NOT_APPLIED, planned_words):
            return translation.gettext(NOT_APPLIED)
        return self.error


class ResidualAccess(models.Model):
    """An account of a former employee still active upstream after departure."""

    grant = models.ForeignKey(
        AccessGrant,
        verbose_name=_("access"),
        on_delete=models.CASCADE,
        related_name="residual_findings",
    )
    checked_at = models.DateTimeField(_("checked"))
    days_after = models.IntegerField(_("days after the last working day"))
    active = models.BooleanField(_("still active"))
    groups = models.JSONField(_("groups"), default=list, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        ordering = ["-checked_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["grant", "days_after"], name="unique_residual_check"
            )
        ]
        verbose_name = _("residual access")
        verbose_name_plural = _("residual access")

    def __str__(self):
        return f"{self.grant} (+{self.days_after} d)"
