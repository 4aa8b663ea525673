"""Queueing connector work and the person-facing actions on synced items.

Admin, participant pages, API, webhooks and the periodic job all call these."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cms.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from cms.models import Handover
from cms.services.common import require_hr, require_open
from cms.services.signing import NO_REQUEST

from .models import BlockSync, ConnectorConfig, MatchBy
from .permissions import can_manage_connectors
from .sync import UPLOAD, block_sync_for, connector_blocks, sync_recover_stranded
from .types.base import DISCOVER, ConnectorError

__all__ = [
    "connector_test",
    "handover_fill_queue",
    "resync_due",
    "sync_queue",
    "webhook_queue",
]


# Queueing ------------------------------------------------------------------------


def _can(config: ConnectorConfig | None, capability: str) -> bool:
    return config is not None and config.can(capability)


def _enqueue(status: BlockSync, trigger: str) -> bool:
    """Mark the block queued and send one task after commit; False when a task
    for it is already waiting."""
    from .tasks import sync_block_task

    updated = (
        BlockSync.objects.filter(pk=status.pk)
        .exclude(state=BlockSync.State.QUEUED, queued_at__isnull=False)
        .update(
            state=BlockSync.State.QUEUED,
            queued_at=timezone.now(),
            retry_at=None,
            generation=F("generation") + 1,
        )
    )
    if not updated:
        return False
    generation = BlockSync.objects.values_list("generation", flat=True).get(
        pk=status.pk
    )
    handover_id, block_id = status.handover_id, status.block_id
    transaction.on_commit(
        lambda: sync_block_task(handover_id, block_id, trigger, 0, generation)
    )
    return True


def _enqueue_many(statuses, trigger: str) -> int:
    """``_enqueue`` for many blocks in a fixed number of queries: mark them
    queued in one UPDATE, then send their tasks after commit."""
    from .tasks import sync_block_task

    pks = list(statuses.values_list("pk", flat=True))
    if not pks:
        return 0
    now = timezone.now()
    BlockSync.objects.filter(pk__in=pks).exclude(
        state=BlockSync.State.QUEUED, queued_at__isnull=False
    ).update(
        state=BlockSync.State.QUEUED,
        queued_at=now,
        retry_at=None,
        generation=F("generation") + 1,
    )
    queued = list(
        BlockSync.objects.filter(pk__in=pks, queued_at=now).values_list(
            "handover_id", "block_id", "generation"
        )
    )

    def send():
        for handover_id, block_id, generation in queued:
            sync_block_task(handover_id, block_id, trigger, 0, generation)

    transaction.on_commit(send)
    return len(queued)


def handover_fill_queue(handover: Handover, *, trigger="start") -> int:
    """One task per connector block of the handover; returns how many were queued."""
    queued = 0
    for block in connector_blocks(handover):
        status = block_sync_for(handover, block)
        config = block.connector
        if _can(config, DISCOVER) and config.enabled:
            queued += _enqueue(status, trigger)
            continue
        if _can(config, UPLOAD) and config.enabled:
            if status.last_success_at is not None:
                continue  # already imported
            state, error = BlockSync.State.WAITING, ""
        elif config is None:
            state = BlockSync.State.FAILED
            error = gettext("No connector “%(slug)s” is configured.") % {
                "slug": block.slug
            }
        elif not config.enabled:
            state = BlockSync.State.FAILED
            error = gettext("The connector “%(name)s” is disabled.") % {
                "name": config.name
            }
        else:
            state = BlockSync.State.FAILED
            error = gettext("The connector “%(name)s” cannot list records.") % {
                "name": config.name
            }
        BlockSync.objects.filter(pk=status.pk).update(state=state, error=error)
    return queued


def handover_started_receiver(sender, *, handover_id, **kwargs):
    """``cms.signals.handover_started`` (after commit): queue the background fill."""
    handover = Handover.objects.select_related("template_revision").get(pk=handover_id)
    with transaction.atomic():
        handover_fill_queue(handover)
    from .access import access_connectors
    from .tasks import access_scan_task

    if access_connectors():
        access_scan_task(handover_id)


def sync_queue(*, actor, handover, block_id: str, meta=NO_REQUEST) -> BlockSync:
    """HR asks for a re-sync of one block now."""
    require_hr(actor)
    handover = Handover.objects.select_related("template_revision").get(
        pk=getattr(handover, "pk", handover)
    )
    require_open(handover, *Handover.OPEN_STATES)
    for block in connector_blocks(handover):
        if block.block_id == block_id:
            if not (_can(block.connector, DISCOVER) and block.connector.enabled):
                raise Conflict(_("This block's connector cannot be synced now."))
            status = block_sync_for(handover, block)
            _enqueue(status, "manual")
            status.refresh_from_db()
            return status
    raise NotFound(_("This handover has no such connector block."))


def _retry_stranded(now) -> None:
    """Runs whose lease passed (their worker died) are interrupted; their
    blocks are retried with the usual backoff."""
    from .tasks import sync_block_task

    with transaction.atomic():
        retries = sync_recover_stranded(now=now)

        def send():
            for retry in retries:
                sync_block_task.schedule(
                    args=(
                        retry.handover_id,
                        retry.block_id,
                        "retry",
                        retry.attempt,
                        retry.generation,
                    ),
                    delay=retry.delay,
                )

        if retries:
            transaction.on_commit(send)


def _resend_stale_queued(now) -> None:
    """A block queued long ago whose task never ran (lost with a worker or
    never sent) gets its task again, same generation: if the first one still
    runs, the lease lets only one of them work and the other finds it done."""
    from .tasks import sync_block_task

    stale = BlockSync.objects.filter(
        state=BlockSync.State.QUEUED,
        queued_at__lt=now - timedelta(seconds=settings.BATON_SYNC_QUEUED_STALE_SECONDS),
        handover__state__in=Handover.OPEN_STATES,
    )
    with transaction.atomic():
        rows = list(
            stale.select_for_update(of=("self",), skip_locked=True).values_list(
                "pk", "handover_id", "block_id", "generation"
            )
        )
        if not rows:
            return
        BlockSync.objects.filter(pk__in=[row[0] for row in rows]).update(queued_at=now)

        def send():
            for _pk, handover_id, block_id, generation in rows:
                sync_block_task(handover_id, block_id, "periodic", 0, generation)

        transaction.on_commit(send)


def resync_due(*, now=None) -> int:
    """Retry the runs whose worker died, send again tasks that were lost, then
    queue every block of an open handover whose connector's interval has
    passed since its last run. A constant number of queries, whatever the size."""
    now = now or timezone.now()
    _retry_stranded(now)
    _resend_stale_queued(now)
    due = Q()
    intervals = list(
        ConnectorConfig.objects.filter(
            enabled=True, sync_interval_minutes__gt=0
        ).values_list("pk", "type", "sync_interval_minutes")
    )
    any_due = False
    for pk, type_slug, minutes in intervals:
        if not ConnectorConfig(pk=pk, type=type_slug).can(DISCOVER):
            continue
        any_due = True
        due |= Q(connector_id=pk) & (
            Q(last_finished_at__lt=now - timedelta(minutes=minutes))
            | Q(
                last_finished_at__isnull=True,
                state=BlockSync.State.FAILED,
                retry_at__isnull=True,
            )
        )
    if not any_due:
        return 0
    statuses = (
        BlockSync.objects.filter(due, handover__state__in=Handover.OPEN_STATES)
        .exclude(state__in=(BlockSync.State.QUEUED, BlockSync.State.SYNCING))
        .exclude(retry_at__gt=now)
    )
    with transaction.atomic():
        return _enqueue_many(statuses, "periodic")


WEBHOOK_MATCH_KEYS = {
    MatchBy.EMAIL: "employee__work_email__iexact",
    MatchBy.EMPLOYEE_NUMBER: "employee__employee_number",
    MatchBy.DIRECTORY_ID: "employee__directory_id",
    MatchBy.USERNAME: "employee__user__username",
}


def webhook_queue(*, config: ConnectorConfig, payload: dict) -> int:
    """An accepted webhook event: re-sync the blocks it concerns. The event may
    name employees (``employees``: list of {email|employee_number|directory_id|
    username}); without one every open handover using the connector re-syncs."""
    statuses = BlockSync.objects.filter(
        connector=config, handover__state__in=Handover.OPEN_STATES
    )
    people = payload.get("employees")
    if people is not None:
        if not isinstance(people, list) or not all(isinstance(p, dict) for p in people):
            raise InvalidInput(
                fields={
                    "employees": [_('Send a list of objects, e.g. [{"email": …}].')]
                }
            )
        who = Q()
        for person in people:
            for key, lookup in WEBHOOK_MATCH_KEYS.items():
                value = person.get(key)
                if isinstance(value, str) and value.strip():
                    who |= Q(**{lookup: value.strip()})
        if not who:
            return 0
        handovers = Handover.objects.filter(who).values("pk")
        statuses = statuses.filter(handover__in=handovers)
    queued = 0
    with transaction.atomic():
        for status in statuses.only("pk", "handover_id", "block_id"):
            queued += _enqueue(status, "webhook")
    return queued


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

_JSON_TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
}


def _settings_errors(type_class, settings: dict) -> dict:
    errors = {}
    if not isinstance(settings, dict):
        return {"settings": [gettext("Send the settings as an object.")]}
    known = {spec.name: spec for spec in type_class.settings if not spec.secret}
    for name in settings:
        if name not in known and name not in ("timeout",):
            errors.setdefault("settings", []).append(
                gettext("Unknown setting “%(name)s”. Known settings: %(known)s.")
                % {"name": name, "known": ", ".join(sorted(known)) or "—"}
            )
    for name, spec in known.items():
        value = settings.get(name)
        if value in (None, ""):
            if spec.required and spec.default in (None, ""):
                errors.setdefault("settings", []).append(
                    gettext("The setting “%(name)s” is required.") % {"name": name}
                )
            continue
        expected = _JSON_TYPES.get(spec.type, object)
        wrong = not isinstance(value, expected) or (
            spec.type in ("integer", "number") and isinstance(value, bool)
        )
        if wrong:
            errors.setdefault("settings", []).append(
                gettext("The setting “%(name)s” must be of type %(type)s.")
                % {"name": name, "type": spec.type}
            )
        elif spec.choices and value not in [choice[0] for choice in spec.choices]:
            errors.setdefault("settings", []).append(
                gettext("The setting “%(name)s” must be one of: %(choices)s.")
                % {
                    "name": name,
                    "choices": ", ".join(str(choice[0]) for choice in spec.choices),
                }
            )
    return errors


@transaction.atomic
def connector_save(*, actor, data: dict, connector: ConnectorConfig | None = None):
    """Create or change a connector. ``data["secrets"]`` replaces the named
    secrets (an empty value deletes one) and is never stored in clear."""
    from .registry import get_type

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
