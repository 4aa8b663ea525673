"""Configured connectors: which system, how to reach it, whom it matches."""

import re

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.search import index

from checklist_blocks.blocks.connector import CONNECTOR_SLUG_PATTERN

from ..crypto import decrypt_secrets, encrypt_secrets

__all__ = ["ConnectorConfig", "MatchBy"]


class MatchBy(models.TextChoices):
    EMAIL = "email", _("Work email")
    EMPLOYEE_NUMBER = "employee_number", _("Employee number")
    DIRECTORY_ID = "directory_id", _("Directory id")
    USERNAME = "username", _("User name")


class ConnectorConfig(index.Indexed, models.Model):
    """One external system Baton reads from (and, where allowed, writes to)."""

    type = models.CharField(_("type"), max_length=32)
    name = models.CharField(_("name"), max_length=150)
    slug = models.CharField(
        _("slug"),
        max_length=64,
        unique=True,
        validators=[
            RegexValidator(
                re.compile(CONNECTOR_SLUG_PATTERN),
                _("Use lowercase letters, digits, - and _ (e.g. crm)."),
            )
        ],
        help_text=_("Templates name the connector by this, e.g. crm."),
    )
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    # Fernet token of a JSON object; never shown back, never logged.
    secrets_ciphertext = models.TextField(blank=True, editable=False)
    match_by = models.CharField(
        _("match employees by"),
        max_length=32,
        choices=MatchBy.choices,
        default=MatchBy.EMAIL,
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    transfer_on_accept = models.BooleanField(
        _("transfer to the successor on acceptance"),
        default=False,
        help_text=_(
            "When the successor accepts an item from this connector, reassign the "
            "record to them upstream and read it back. Needs a type that can "
            "transfer and credentials with write rights."
        ),
    )
    sync_interval_minutes = models.PositiveIntegerField(
        _("re-sync every (minutes)"),
        default=60,
        help_text=_("0 turns periodic re-sync off; webhooks still trigger it."),
    )
    last_tested_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_test_ok = models.BooleanField(null=True, editable=False)
    last_test_message = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.SearchField("slug"),
        index.FilterField("type"),
        index.FilterField("enabled"),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name = _("connector")
        verbose_name_plural = _("connectors")

    def __str__(self):
        return self.name

    # Secrets ---------------------------------------------------------------------

    def get_secrets(self) -> dict:
        return decrypt_secrets(self.secrets_ciphertext)

    def set_secrets(self, secrets: dict) -> None:
        """Replace the stored secrets (empty values are dropped)."""
        self.secrets_ciphertext = encrypt_secrets(
            {key: value for key, value in secrets.items() if value not in (None, "")}
        )

    @property
    def secret_names(self) -> list[str]:
        try:
            return sorted(self.get_secrets())
        except Exception:  # noqa: BLE001 — unreadable secrets have no names to show
            return []

    # The type ----------------------------------------------------------------------

    @property
    def type_class(self):
        from ..registry import get_type

        return get_type(self.type)

    def can(self, *capabilities) -> bool:
        """Whether the connector's type does all of ``capabilities`` (False for a
        type that is no longer installed)."""
        try:
            type_class = self.type_class
        except LookupError:
            return False
        return all(type_class.can(capability) for capability in capabilities)

    def get_type_display(self):
        try:
            return self.type_class.label
        except LookupError:
            return self.type

    def client(self):
        """An instance of the connector type with decrypted secrets."""
        return self.type_class(
            settings={
                **self.settings,
                "match_by": self.match_by,
                "connector_id": self.pk,
            },
            secrets=self.get_secrets(),
        )
