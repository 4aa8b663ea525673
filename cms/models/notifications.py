"""Notifications: what each person chose to receive, the outbox of events
waiting to be batched into one message, and the log of every message sent."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

__all__ = [
    "Delivery",
    "Escalation",
    "Notification",
    "NotificationPreference",
    "NotificationSettings",
    "channel_choices",
]


def channel_choices():
    """Every channel people can be told through, e-mail first."""
    from ..notifications.channels import channels

    return [(key, str(channel.label)) for key, channel in channels().items()]


@register_setting(icon="mail")
class NotificationSettings(BaseGenericSetting):
    """The company's defaults for notifications."""

    default_channel = models.CharField(
        _("default channel"),
        max_length=40,
        default="email",
        choices=channel_choices,
        help_text=_(
            "Where people are told what waits on them, unless they chose "
            "otherwise. E-mail goes instead when this channel cannot reach them."
        ),
    )
    batch_window_minutes = models.PositiveIntegerField(
        _("batch window (minutes)"),
        default=5,
        help_text=_(
            "Everything that happens within this many minutes reaches a person "
            "as one message. 0 sends each event at once."
        ),
    )

    class Meta:
        verbose_name = _("Notification settings")


class NotificationPreference(models.Model):
    """One person's choice: where they are told ("" for the company default)
    and whether they get the daily digest of items due soon or overdue."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    channel = models.CharField(_("channel"), max_length=40, blank=True)
    daily_digest = models.BooleanField(_("daily digest"), default=True)
    # Kinds of events (``notifications.events.EVENT_KINDS``) they do not want.
    muted_kinds = models.JSONField(_("muted kinds"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return str(self.user)


class Delivery(models.Model):
    """One message sent (or not) to one person through one channel."""

    class State(models.TextChoices):
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        FALLBACK = "fallback", _("Sent by e-mail instead")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notification_deliveries",
    )
    # None for a digest across handovers.
    handover = models.ForeignKey(
        "cms.Handover",
        verbose_name=_("handover"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    channel = models.CharField(_("channel"), max_length=40)
    state = models.CharField(_("state"), max_length=20, choices=State.choices)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    error = models.TextField(_("error"), blank=True)
    upstream_id = models.CharField(_("upstream id"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["handover", "-created_at"]),
            models.Index(fields=["recipient", "-created_at"]),
        ]

    def __str__(self):
        return f"{self.recipient} · {self.channel} · {self.state}"


class Notification(models.Model):
    """One event one person should hear about, waiting in the outbox until
    the batch window of their oldest waiting event has passed."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    handover = models.ForeignKey(
        "cms.Handover",
        verbose_name=_("handover"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    item = models.ForeignKey(
        "cms.Item",
        verbose_name=_("item"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    event = models.CharField(_("event"), max_length=60)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Event details, plus the recipient's roles on the handover.
    details = models.JSONField(_("details"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Set once handled: sent, or given up on (nobody could be reached).
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivery = models.ForeignKey(
        Delivery,
        verbose_name=_("delivery"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["recipient", "created_at"],
                name="cms_notification_pending",
                condition=models.Q(sent_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"{self.event} → {self.recipient}"


class Escalation(models.Model):
    """An overdue item told to the next person up, once per step."""

    class Step(models.TextChoices):
        MANAGER = "manager", _("Manager")
        HR = "hr", _("HR")

    handover = models.ForeignKey(
        "cms.Handover",
        verbose_name=_("handover"),
        on_delete=models.CASCADE,
        related_name="escalations",
    )
    item = models.ForeignKey(
        "cms.Item",
        verbose_name=_("item"),
        on_delete=models.CASCADE,
        related_name="escalations",
    )
    step = models.CharField(_("step"), max_length=20, choices=Step.choices)
    days_overdue = models.PositiveIntegerField(_("days overdue"))
    created_at = models.DateTimeField(_("escalated at"), auto_now_add=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "step"], name="cms_escalation_once_per_step"
            )
        ]

    def __str__(self):
        return f"{self.item_id} → {self.step}"
