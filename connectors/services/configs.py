"""Saving a connector and testing its connection (admin and API)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cms.errors import InvalidInput, PermissionDenied

from ..models import ConnectorConfig
from ..permissions import can_manage_connectors
from ..sdk.base import ConnectorError
from ..sdk.settings import settings_errors

__all__ = ["connector_save", "connector_test", "require_hr_or_it"]


# Test connection -------------------------------------------------------------------


def connector_test(*, actor, connector: ConnectorConfig) -> tuple[bool, str]:
    """Try the connector's settings and credentials; record and return the result."""
    require_hr_or_it(actor)
    try:
        client = connector.client()
    except LookupError as error:
        ok, message = False, str(error)
    except Exception as error:  # noqa: BLE001 — unreadable secrets: say so, never the value
        ok, message = False, str(error)
    else:
        try:
            ok, message = True, str(client.test_connection())
        except ConnectorError as error:
            ok, message = False, str(error.message)
        finally:
            client.close()
    ConnectorConfig.objects.filter(pk=connector.pk).update(
        last_tested_at=timezone.now(), last_test_ok=ok, last_test_message=message
    )
    return ok, message


def require_hr_or_it(actor) -> None:
    if not can_manage_connectors(actor):
        raise PermissionDenied(_("Only HR or IT administrators can manage connectors."))


# Saving a connector (admin form and API) ------------------------------------------


def _settings_errors(type_class, settings) -> dict:
    errors = settings_errors(type_class, settings)
    return {"settings": errors} if errors else {}


@transaction.atomic
def connector_save(*, actor, data: dict, connector: ConnectorConfig | None = None):
    """Create or change a connector. ``data["secrets"]`` replaces the named
    secrets (an empty value deletes one) and is never stored in clear."""
    from ..registry import get_type

    require_hr_or_it(actor)
    connector = connector or ConnectorConfig()
    data = dict(data)
    secrets = data.pop("secrets", None)
    for field in (
        "type",
        "name",
        "slug",
        "settings",
        "enabled",
        "match_by",
        "sync_interval_minutes",
    ):
        if field in data:
            setattr(connector, field, data[field])
    errors = {}
    try:
        type_class = get_type(connector.type)
    except LookupError as error:
        raise InvalidInput(fields={"type": [str(error)]}) from error
    errors.update(_settings_errors(type_class, connector.settings or {}))
    if secrets is not None:
        secret_names = {spec.name for spec in type_class.setting_specs(secret=True)}
        unknown = sorted(set(secrets) - secret_names)
        if unknown:
            errors["secrets"] = [
                gettext("Unknown secret “%(name)s”. Known secrets: %(known)s.")
                % {"name": name, "known": ", ".join(sorted(secret_names)) or "—"}
                for name in unknown
            ]
    if errors:
        raise InvalidInput(_("The connector was not saved."), fields=errors)
    if secrets is not None:
        merged = {**connector.get_secrets(), **secrets} if connector.pk else secrets
        connector.set_secrets(merged)
    try:
        connector.full_clean(exclude=["secrets_ciphertext"])
    except ValidationError as error:
        raise InvalidInput(
            _("The connector was not saved."), fields=error.message_dict
        ) from error
    connector.save()
    return connector
