"""Resignation approvals into intake: an approved instance of the configured
Feishu or DingTalk approval becomes a ``ResignationNotice`` (source feishu or
dingtalk, the instance code as its id, the connector's slug) and goes to
``resignation_receive`` in the connector's intake mode. The event callbacks
queue ``approval_receive``; the poll (``approvals_poll``) finds the approvals
whose event never came and feeds the same function."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.db.models import F, Func, JSONField, Value
from django.utils import timezone

from cms.models import ResignationEvent
from cms.services.intake import (
    EmployeeLookup,
    IntakeOutcome,
    ResignationNotice,
    resignation_receive,
)

from ..models import ConnectorConfig
from ..sdk.approvals.intake import WATERMARK_SETTING, ApprovedResignation
from ..sdk.common import clean_text

logger = logging.getLogger(__name__)

__all__ = [
    "APPROVAL_SOURCES",
    "PollResult",
    "approval_notice",
    "approval_receive",
    "approvals_poll",
    "approvals_poll_due",
    "intake_connectors",
]

# Connector type -> the source its resignations are recorded under.
APPROVAL_SOURCES = {
    "feishu": ResignationEvent.Source.FEISHU,
    "dingtalk": ResignationEvent.Source.DINGTALK,
}
# Without a watermark, the first poll takes approvals of the last day only:
# turning the setting on must not start handovers for last month's leavers.
FIRST_POLL = datetime.timedelta(days=1)
# Approved while the previous poll ran: looked at again, never missed.
OVERLAP = datetime.timedelta(minutes=5)


@dataclass(frozen=True)
class PollResult:
    listed: int = 0
    received: int = 0
    known: int = 0


def intake_connectors():
    """Enabled Feishu and DingTalk connectors with a resignation approval code."""
    return [
        connector
        for connector in ConnectorConfig.objects.filter(
            enabled=True, type__in=list(APPROVAL_SOURCES)
        ).order_by("pk")
        if clean_text((connector.settings or {}).get("resignation_approval_code"))
    ]


def _mode(connector: ConnectorConfig) -> str:
    mode = (connector.settings or {}).get("intake_mode") or "propose"
    return mode if mode in ("start", "propose") else "propose"


def approval_notice(
    *, connector: ConnectorConfig, approval: ApprovedResignation
) -> ResignationNotice:
    person = approval.employee
    return ResignationNotice(
        source=APPROVAL_SOURCES[connector.type],
        external_id=approval.instance_code,
        connector_slug=connector.slug,
        employee=EmployeeLookup(
            number=person.employee_number,
            email=person.email,
            directory_id=person.user_id,
        ),
        resignation_date=approval.resignation_date or approval.submitted_on,
        last_working_day=approval.last_working_day,
        reason=approval.reason,
        payload={
            **approval.summary,
            "employee": {
                key: value
                for key, value in {
                    "user_id": person.user_id,
                    "email": person.email,
                    "employee_number": person.employee_number,
                    "name": person.name,
                }.items()
                if value
            },
            **({"problems": approval.problems} if approval.problems else {}),
        },
    )


def approval_receive(
    *, connector: ConnectorConfig, instance_code: str
) -> IntakeOutcome | None:
    """Read one instance from the vendor and, when it is an approved
    resignation, receive it. None when it is not (pending, rejected…).
    ``ConnectorError`` when the vendor cannot be read."""
    client = connector.client()
    try:
        approval = client.resignation_approval(instance_code)
    finally:
        client.close()
    return _receive(connector, approval)


def _receive(
    connector: ConnectorConfig, approval: ApprovedResignation
) -> IntakeOutcome | None:
    if not approval.approved:
        return None
    configured = clean_text((connector.settings or {}).get("resignation_approval_code"))
    if approval.approval_code and approval.approval_code != configured:
        return None
    outcome = resignation_receive(
        notice=approval_notice(connector=connector, approval=approval),
        mode=_mode(connector),
    )
    logger.info(
        "Resignation approval %s from %s: %s.",
        approval.instance_code,
        connector.slug,
        outcome.status,
    )
    return outcome


def _watermark(connector: ConnectorConfig) -> datetime.datetime | None:
    text = clean_text((connector.settings or {}).get(WATERMARK_SETTING))
    if not text:
        return None
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _lookback(connector: ConnectorConfig) -> datetime.timedelta:
    try:
        days = int((connector.settings or {}).get("resignation_lookback_days") or 30)
    except (TypeError, ValueError):
        days = 30
    return datetime.timedelta(days=max(days, 1))


def _set_watermark(connector: ConnectorConfig, moment: datetime.datetime) -> None:
    # One key merged in the database: an admin saving the form meanwhile keeps
    # their settings (and this poll's watermark is simply overwritten).
    value = {WATERMARK_SETTING: moment.isoformat(timespec="seconds")}
    ConnectorConfig.objects.filter(pk=connector.pk).update(
        settings=Func(
            F("settings"),
            Value(value, output_field=JSONField()),
            template="%(expressions)s",
            arg_joiner=" || ",
            output_field=JSONField(),
        )
    )
    connector.settings = {**(connector.settings or {}), **value}


def approvals_poll(
    *, connector: ConnectorConfig, now: datetime.datetime | None = None
) -> PollResult:
    """Receive the approvals approved since the last poll that no event
    brought. The watermark moves only when the whole poll succeeded, so an
    outage is made up for by the next poll. ``ConnectorError`` propagates."""
    now = now or timezone.now()
    since = (_watermark(connector) or now - FIRST_POLL) - OVERLAP
    source = APPROVAL_SOURCES[connector.type]
    client = connector.client()
    received = 0
    try:
        codes = client.resignation_instance_codes(
            submitted_after=since - _lookback(connector), submitted_before=now
        )
        known = set(
            ResignationEvent.objects.filter(
                source=source, connector_slug=connector.slug, external_id__in=codes
            ).values_list("external_id", flat=True)
        )
        for code in codes:
            if code in known:
                continue
            approval = client.resignation_approval(code)
            if approval.finished_at is not None and approval.finished_at < since:
                continue  # decided before the poll started looking
            if _receive(connector, approval) is not None:
                received += 1
    finally:
        client.close()
    _set_watermark(connector, now)
    return PollResult(listed=len(codes), received=received, known=len(known))


def _poll_minutes(connector: ConnectorConfig) -> int:
    try:
        return int((connector.settings or {}).get("resignation_poll_minutes", 10))
    except (TypeError, ValueError):
        return 10


def approvals_poll_due(*, now: datetime.datetime | None = None) -> dict[str, object]:
    """Poll every intake connector whose poll interval has passed. A failing
    connector is logged and does not stop the others; what each did is
    returned by slug (a ``PollResult``, or the error's message)."""
    from ..sdk.base import ConnectorError

    now = now or timezone.now()
    results = {}
    for connector in intake_connectors():
        minutes = _poll_minutes(connector)
        last = _watermark(connector)
        if minutes <= 0 or (
            last is not None and now - last < datetime.timedelta(minutes=minutes)
        ):
            continue
        try:
            results[connector.slug] = approvals_poll(connector=connector, now=now)
        except ConnectorError as error:
            logger.warning(
                "Polling %s for resignation approvals failed: %s",
                connector.slug,
                error.message,
            )
            results[connector.slug] = str(error.message)
    return results
