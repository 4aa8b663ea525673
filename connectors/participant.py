"""What connectors add to the participant page: each connector block's status
(queued / syncing / up to date at … / failed: … retrying at …), a spreadsheet
import link where the block takes uploads, and "re-sync now" for HR."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from cms import selectors
from cms.errors import BatonError, NotFound
from cms.models import ParticipantRole
from cms.permissions import is_hr_admin, roles_of

from . import services
from .models import AccessAction, BlockSync, Transfer
from .permissions import can_manage_connectors
from .sdk.base import DISCOVER
from .sync import UPLOAD

__all__ = ["access_panel", "blockers", "fingerprint", "resync", "sync_panel"]


def _statuses(handover):
    return list(
        BlockSync.objects.filter(handover=handover)
        .select_related("connector")
        .order_by("pk")
    )


def fingerprint(handover) -> str:
    """Part of the page's live ETag: changes whenever a block's status does."""
    blocks = ";".join(
        f"{row.pk}:{row.state}:{row.generation}:{row.last_finished_at}:"
        f"{row.progress_done}"
        for row in BlockSync.objects.filter(handover=handover).only(
            "pk", "state", "generation", "last_finished_at", "progress_done"
        )
    )
    transfers = ";".join(
        f"{pk}:{state}"
        for pk, state in Transfer.objects.filter(handover=handover).values_list(
            "pk", "state"
        )
    )
    access = ";".join(
        f"{pk}:{state}"
        for pk, state in AccessAction.objects.filter(handover=handover).values_list(
            "pk", "state"
        )
    )
    return f"{blocks}|{transfers}|{access}"


def _when(moment) -> str:
    """A time people read: the company's time zone, the language's format."""
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _status_text(row: BlockSync) -> str:
    if row.state == BlockSync.State.SYNCING and row.progress_done:
        if row.progress_total:
            return gettext("Syncing: %(done)s of %(total)s records") % {
                "done": f"{row.progress_done:,}",
                "total": f"{row.progress_total:,}",
            }
        return gettext("Syncing: %(done)s records so far") % {
            "done": f"{row.progress_done:,}"
        }
    if row.state == BlockSync.State.OK and row.last_success_at:
        return gettext("Up to date (synced %(when)s)") % {
            "when": _when(row.last_success_at)
        }
    if row.state == BlockSync.State.FAILED:
        text = gettext("Failed: %(reason)s") % {"reason": row.error or "—"}
        if row.retry_at:
            text += " " + gettext("Retrying at %(when)s.") % {
                "when": _when(row.retry_at)
            }
        return text
    return str(row.get_state_display())


def _can(row, capability):
    return (
        row.connector is not None
        and row.connector.enabled
        and (row.connector.can(capability))
    )


def sync_panel(*, request, handover) -> str:
    rows = _statuses(handover)
    if not rows:
        return ""
    roles = roles_of(request.user, handover)
    hr = is_hr_admin(request.user)
    may_upload = hr or bool({ParticipantRole.HR, ParticipantRole.LEAVER} & roles)
    blocks = []
    for row in rows:
        upload_url = ""
        if may_upload and handover.is_open and _can(row, UPLOAD):
            try:
                upload_url = reverse(
                    "connectors:spreadsheet_upload", args=[handover.pk, row.block_id]
                )
            except NoReverseMatch:
                upload_url = ""
        blocks.append(
            {
                "row": row,
                "text": _status_text(row),
                "upload_url": upload_url,
                "can_resync": hr and handover.is_open and _can(row, DISCOVER),
            }
        )
    return render_to_string(
        "connectors/participant/syncs.html",
        {"handover": handover, "blocks": blocks, "stamp": fingerprint(handover)},
        request=request,
    )


@login_required
@require_POST
def resync(request, handover_id, block_id):
    """HR's "Sync now" on the participant page."""
    try:
        handover = selectors.handover_get(user=request.user, handover_id=handover_id)
        services.sync_queue(actor=request.user, handover=handover, block_id=block_id)
    except NotFound as error:
        raise Http404 from error
    except BatonError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request, gettext("Queued: the block will be synced in the background.")
        )
    url = reverse("participant:detail", args=[handover_id])
    return redirect(f"{url}#sync-{block_id}")


def blockers(handover) -> list[str]:
    """Required connector blocks that are not filled yet stop the review."""
    pending = list(
        BlockSync.objects.filter(handover=handover).exclude(state=BlockSync.State.OK)
    )
    if not pending:
        return []
    from .sync import connector_blocks

    required = {
        block.block_id
        for block in connector_blocks(handover)
        if block.value.get("required", True)
    }
    messages_ = []
    for row in pending:
        if row.block_id not in required:
            continue
        if row.state == BlockSync.State.WAITING:
            messages_.append(
                gettext("“%(label)s” waits for its spreadsheet to be imported.")
                % {"label": row.label}
            )
        else:
            messages_.append(
                gettext("“%(label)s” is not filled from its connector yet (%(state)s).")
                % {"label": row.label, "state": _status_text(row)}
            )
    return messages_


def access_panel(*, request, handover) -> str:
    """HR, IT and the manager see every access change the handover will make,
    and when, before anything runs."""
    from .access.planning import access_dry_run
    from .models import AccessGrant

    roles = roles_of(request.user, handover)
    allowed = {ParticipantRole.HR, ParticipantRole.IT, ParticipantRole.MANAGER}
    if not (roles & allowed or is_hr_admin(request.user)):
        return ""
    if not AccessGrant.objects.filter(handover=handover).exists():
        return ""
    rows = access_dry_run(handover)
    return render_to_string(
        "connectors/participant/access.html",
        {
            "handover": handover,
            "rows": rows,
            "stamp": fingerprint(handover),
            "queue_url": reverse("connectors_access_queue")
            + f"?q={handover.number}&state=",
            "can_manage": can_manage_connectors(request.user),
        },
        request=request,
    )
