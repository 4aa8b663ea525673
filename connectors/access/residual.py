"""Residual access: former employees' accounts re-checked some days after
departure (by default +1 and +30); anything still active is reported and IT
is alerted."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from cms.services.audit import audit_record
from cms.services.common import announce

from ..sdk.base import ConnectorError
from .models import AccessGrant, ResidualAccess

__all__ = ["access_residual_check"]

logger = logging.getLogger(__name__)


def access_residual_check(*, today=None) -> list[ResidualAccess]:
    """Re-check former employees' accounts at each configured number of days
    after their last working day; report (and alert on) what is still active."""
    today = today or timezone.localdate()
    findings = []
    for days in settings.BATON_ACCESS_RESIDUAL_DAYS:
        day = today - timedelta(days=days)
        grants = (
            AccessGrant.objects.filter(
                kind=AccessGrant.Kind.ACCOUNT,
                connector__isnull=False,
                connector__enabled=True,
                handover__last_working_day__lte=day,
                handover__last_working_day__gte=day - timedelta(days=7),
            )
            .exclude(residual_findings__days_after=days)
            .exclude(decision=AccessGrant.Decision.KEEP, keep_until__gte=today)
            .select_related("connector", "handover")
        )
        for grant in grants:
            client = grant.connector.client()
            try:
                state = client.access_state(account_id=grant.account_id)
            except ConnectorError as error:
                logger.warning("Residual check of %s failed: %s", grant, error)
                continue
            finally:
                client.close()
            finding = ResidualAccess.objects.create(
                grant=grant,
                checked_at=timezone.now(),
                days_after=days,
                active=state.exists and state.active,
                groups=list(state.groups),
            )
            findings.append(finding)
            if finding.active:
                audit_record(
                    handover=grant.handover,
                    actor=None,
                    role="system",
                    action="access.residual",
                    obj=grant.item or grant.handover,
                    details={"grant": grant.pk, "days_after": days},
                )
                announce(
                    grant.handover,
                    "access.residual",
                    details={"grant": grant.pk, "days_after": days},
                )
    return findings
