"""The connector side of the history: access changes in the company
directory, residual access found after departure, failed syncs.

The demo has no directory server to revoke access in, and the sample
connectors never fail, so these rows are written the way ``connectors.access``
and ``connectors.sync.runs`` write them (with the same audit events, so the
chains tell the whole story); access recorded by hand goes through
``connectors.access`` itself. Like ``cms.demo.scale``, this demo code reads
connectors' models: the demo seeds every app, cms's runtime code never does."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from cms import services
from cms.models import Handover, Item
from cms.services.audit import audit_record

from .clock import SEEDED_CREDENTIALS, local, spread
from .replica import utc

__all__ = ["DIRECTORY_SLUG", "directory", "plan"]

DIRECTORY_SLUG = "directory"
DIRECTORY_NAME = "Company directory (LDAP)"
DIRECTORY_SETTINGS = {
    "server_uri": "ldaps://ldap.baton.example:636",
    "flavour": "openldap",
    "user_base_dn": "ou=people,dc=baton,dc=example",
    "group_base_dn": "ou=groups,dc=baton,dc=example",
}
GROUP_OF_DEPARTMENT = {
    "sales": "sales-team",
    "rnd": "engineering",
    "hr": "people-ops",
    "it": "it-admins",
}
DIRECTORY_ERROR = (
    "ldaps://ldap.baton.example:636 did not answer within 10 s "
    "(the connection timed out)."
)
OA_ERROR = "OA answered HTTP 502 Bad Gateway; the request can be retried."


def directory():
    """The company directory connector the history revoked access in. It is
    switched off: the demo has no directory server (connect one in Connectors
    and switch it on)."""
    from connectors.models import ConnectorConfig

    config, _created = ConnectorConfig.objects.get_or_create(
        slug=DIRECTORY_SLUG,
        defaults={
            "type": "ldap",
            "name": DIRECTORY_NAME,
            "enabled": False,
            "settings": DIRECTORY_SETTINGS,
            "sync_interval_minutes": 0,
        },
    )
    return config


def plan(played, *, first, end):
    """Add the story's connector steps: to the player's timeline up to the
    approval, to what follows it (``played.later``) after."""
    story = played.story
    if story.access in ("verified", "failed_then_fixed", "failed"):
        _revocation(played, first=first, end=end)
    elif story.access == "manual":
        _by_hand(played, end=end)
    if story.sync_failures:
        _sync_failures(played, first=first, end=end)


# Access in the directory -------------------------------------------------------------


def _inventory(played) -> dict:
    """The player's ``access_inventory`` payload: the leaver's directory
    account, and for some a group membership."""
    from connectors.models import AccessGrant

    config = directory()
    username = played.employee.user.username
    account = f"uid={username},{DIRECTORY_SETTINGS['user_base_dn']}"
    grants = [
        {
            "kind": AccessGrant.Kind.ACCOUNT,
            "account_id": account,
            "account_label": username,
            "group_id": "",
            "group_label": "",
        }
    ]
    if played.story.access == "verified":
        group = GROUP_OF_DEPARTMENT.get(played.employee.department.code, "staff")
        grants.append(
            {
                "kind": AccessGrant.Kind.MEMBERSHIP,
                "account_id": account,
                "account_label": username,
                "group_id": f"cn={group},{DIRECTORY_SETTINGS['group_base_dn']}",
                "group_label": group,
            }
        )
    return {
        "connector_id": config.pk,
        "slug": config.slug,
        "system": config.name,
        "grants": grants,
    }


def _actions(played):
    from connectors.models import AccessAction

    return list(
        AccessAction.objects.select_related("grant", "handover").filter(
            handover_id=played.handover["id"]
        )
    )


def _finish(action, *, ok: bool, actor=None):
    """What ``connectors.access.running.finish_action`` records for a change
    that ran."""
    from connectors.models import AccessAction, AccessGrant

    now = timezone.now()
    action.attempts += 1
    action.state = AccessAction.State.VERIFIED if ok else AccessAction.State.FAILED
    action.finished_at = now
    action.error = "" if ok else DIRECTORY_ERROR
    action.request_id = f"ldap-{action.pk:06d}-{action.attempts}"
    action.done_by = actor
    action.save()
    grant = action.grant
    if ok:
        if action.operation == AccessAction.Operation.SUSPEND:
            grant.state = AccessGrant.State.SUSPENDED
            grant.suspended_at = now
        else:
            grant.state = AccessGrant.State.REMOVED
        grant.save(update_fields=["state", "suspended_at"])
    audit_record(
        handover=action.handover,
        actor=actor,
        role="it" if actor else "system",
        action=f"access.{action.operation}" + ("" if ok else ".failed"),
        obj=action.handover,
        details={
            "asked": action.description,
            "answer": {},
            "request_id": action.request_id,
            "error": action.error,
            "approved_by": action.requested_by_id,
            "verified": ok,
        },
    )


def _run_all(played, *, ok: bool):
    for action in _actions(played):
        _finish(action, ok=ok)


def _retry(played):
    """IT runs the failed change again; it works, and the finding is closed."""
    from connectors.models import ResidualAccess

    it = played.cast.it
    for action in _actions(played):
        audit_record(
            handover=action.handover,
            actor=it,
            role="it",
            action="access.retried",
            obj=action.handover,
            details={"action": action.pk},
        )
        _finish(action, ok=True, actor=it)
    ResidualAccess.objects.filter(
        grant__handover_id=played.handover["id"], active=True, resolved_at=None
    ).update(resolved_at=timezone.now())


def _residual_check(played, days: int):
    """What ``connectors.access.residual.access_residual_check`` finds ``days`` after
    the last working day: the account is still active unless suspended."""
    from connectors.models import AccessGrant, ResidualAccess

    grants = AccessGrant.objects.select_related("handover").filter(
        handover_id=played.handover["id"], kind=AccessGrant.Kind.ACCOUNT
    )
    for grant in grants:
        active = grant.state == AccessGrant.State.ACTIVE
        ResidualAccess.objects.create(
            grant=grant,
            checked_at=timezone.now(),
            days_after=days,
            active=active,
            groups=[],
        )
        if active:
            audit_record(
                handover=grant.handover,
                actor=None,
                role="system",
                action="access.residual",
                obj=grant.handover,
                details={"grant": grant.pk, "days_after": days},
            )


def _revocation(played, *, first, end):
    """Found in the directory at the start, planned by the manager, run at
    the end of the last working day (later in the first months), checked
    again one and thirty days after."""
    story, cast = played.story, played.cast
    lwd = played.last_working_day
    hour, minute = (int(part) for part in settings.BATON_ACCESS_REVOKE_AT.split(":"))
    revoke_at = local(lwd, hour, minute)
    played.timeline += [
        (
            first + timedelta(minutes=10),
            ("access_inventory", "", "system", _inventory(played)),
        ),
        (
            first + timedelta(minutes=40),
            ("access_plan", "", "manager", {"at": utc(revoke_at)}),
        ),
    ]
    ran_at = max(
        revoke_at + timedelta(days=story.revoke_delay, minutes=4),
        end + timedelta(minutes=30),
    )
    if ran_at > cast.now:
        return
    played.later(ran_at, _run_all, played, ok=story.access == "verified")
    if story.outcome != "completed":
        return
    for days in settings.BATON_ACCESS_RESIDUAL_DAYS:
        checked_at = max(local(lwd + timedelta(days=days), 9), ran_at)
        if checked_at < cast.now:
            played.later(checked_at, _residual_check, played, days)
    if story.access == "failed_then_fixed":
        played.later(local(lwd + timedelta(days=1), 10, 30), _retry, played)


def _by_hand(played, *, end):
    """Access in a system with no connector, recorded by IT through the
    service; the manager confirms the decision, which plans the change for
    the end of the last working day: a by-hand task waiting in IT's queue."""
    from connectors.access.inventory import access_grant_add
    from connectors.models import AccessGrant

    it = played.cast.it

    def record():
        access_grant_add(
            actor=it,
            handover=Handover.objects.get(pk=played.handover["id"]),
            system="Door access control",
            account=played.employee.user.username,
            instructions="Disable the badge in the door system and collect the card.",
        )

    def item():
        return Item.objects.select_related("handover").get(
            pk=AccessGrant.objects.filter(
                handover_id=played.handover["id"], connector=None
            )
            .values_list("item_id", flat=True)
            .get()
        )

    def submit():
        found = item()
        services.item_submit(actor=it, item=found, version=found.version)

    def accept():
        found = item()
        services.item_accept(
            actor=played.manager(),
            item=found,
            version=found.version,
            credentials=SEEDED_CREDENTIALS,
        )

    played.later(end + timedelta(minutes=10), record)
    played.later(end + timedelta(minutes=20), submit)
    played.later(end + timedelta(minutes=30), accept)


# Syncs -------------------------------------------------------------------------------


def _sync_failure(played, *, recovered: bool):
    """A periodic re-sync of the handover's OA block that failed; a retry
    some minutes later works when ``recovered``."""
    from connectors.models import BlockSync, SyncRun

    status = (
        BlockSync.objects.filter(handover_id=played.handover["id"], connector_slug="oa")
        .order_by("pk")
        .first()
    )
    if status is None:
        return
    started = timezone.now()
    failed_at = started + timedelta(seconds=30)
    SyncRun.objects.create(
        connector_id=status.connector_id,
        handover_id=played.handover["id"],
        block_id=status.block_id,
        trigger=SyncRun.Trigger.PERIODIC,
        state=SyncRun.State.FAILED,
        started_at=started,
        finished_at=failed_at,
        errors=[{"message": OA_ERROR, "request_id": ""}],
    )
    status.state = BlockSync.State.FAILED
    status.error = OA_ERROR
    status.last_started_at = started
    status.last_finished_at = failed_at
    status.run = None
    if recovered:
        retried = failed_at + timedelta(minutes=15)
        SyncRun.objects.create(
            connector_id=status.connector_id,
            handover_id=played.handover["id"],
            block_id=status.block_id,
            trigger=SyncRun.Trigger.RETRY,
            state=SyncRun.State.OK,
            attempt=1,
            started_at=retried,
            finished_at=retried + timedelta(seconds=2),
        )
        status.state = BlockSync.State.OK
        status.error = ""
        status.last_started_at = retried
        status.last_success_at = retried + timedelta(seconds=2)
        status.last_finished_at = status.last_success_at
    status.save()


def _sync_failures(played, *, first, end):
    story = played.story
    recovered = story.outcome != "in_progress"
    moments = spread(
        first + timedelta(days=1), end - timedelta(hours=2), story.sync_failures
    )
    for moment in moments:
        played.later(moment, _sync_failure, played, recovered=recovered)
