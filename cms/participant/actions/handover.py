"""Actions on the whole handover: confirming everything resolved upstream,
the declaration, approval, reopening, and successors."""

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from cms import selectors, services
from cms.errors import BatonError, Conflict
from cms.models import ParticipantRole
from cms.permissions import roles_of
from cms.services.common import CONFIRM, require_not_leaver

from ..content import person_name
from ..forms import (
    AcceptResolvedForm,
    ApproveForm,
    DeclareForm,
    ParticipantAddForm,
    ParticipantRemoveForm,
    ReopenForm,
    clean_form,
    signing_credentials,
)
from ..listing import resolved_items_to_confirm
from .common import done, refused, request_meta

__all__ = [
    "handover_approve",
    "handover_declare",
    "handover_reopen",
    "items_accept_resolved",
    "participant_add",
    "participant_remove",
]


@login_required
@require_POST
def items_accept_resolved(request, handover_id):
    """Accept every item resolved upstream that the person may confirm and
    nobody signed for yet: one password, a signature each."""
    handover = selectors.handover_or_404(user=request.user, handover_id=handover_id)
    try:
        cleaned = clean_form(AcceptResolvedForm, request)
        # The leaver has nothing to confirm here: say why rather than that
        # the list changed.
        require_not_leaver(request.user, handover, CONFIRM)
        items = resolved_items_to_confirm(
            handover=handover,
            user=request.user,
            roles=roles_of(request.user, handover),
        )
        if len(items) != cleaned["count"]:
            raise Conflict(
                ngettext(
                    "The list changed since you opened the page: %(count)d "
                    "resolved item waits now. Check it and confirm again.",
                    "The list changed since you opened the page: %(count)d "
                    "resolved items wait now. Check them and confirm again.",
                    len(items),
                )
                % {"count": len(items)}
            )
        services.items_accept(
            actor=request.user,
            items=items,
            credentials=signing_credentials(cleaned, request),
            meta=request_meta(request),
        )
    except BatonError as error:
        return refused(request, handover, error, form="accept_resolved")
    return done(
        request,
        handover,
        ngettext(
            "Accepted and signed %(count)d resolved item.",
            "Accepted and signed %(count)d resolved items.",
            len(items),
        )
        % {"count": len(items)},
    )


# The handover ------------------------------------------------------------------


@login_required
@require_POST
def handover_declare(request, handover_id):
    handover = selectors.handover_or_404(user=request.user, handover_id=handover_id)
    try:
        cleaned = clean_form(DeclareForm, request)
        services.handover_declare(
            actor=request.user,
            handover=handover,
            credentials=signing_credentials(cleaned, request),
            statement=cleaned["statement"],
            meta=request_meta(request),
        )
    except BatonError as error:
        return refused(request, handover, error, form="declare")
    return done(request, handover, _("You signed the final declaration."))


@login_required
@require_POST
def handover_approve(request, handover_id):
    """Approve one section (``section`` names it) or the whole handover."""
    handover = selectors.handover_or_404(user=request.user, handover_id=handover_id)
    section = request.POST.get("section", "")
    try:
        cleaned = clean_form(ApproveForm, request)
        services.handover_approve(
            actor=request.user,
            handover=handover,
            credentials=signing_credentials(cleaned, request),
            remarks=cleaned["remarks"],
            section_block_id=cleaned["section"],
            meta=request_meta(request),
        )
    except BatonError as error:
        return refused(request, handover, error, form="approve", section=section)
    if section:
        return done(request, handover, _("Section approved."), f"section-{section}")
    return done(request, handover, _("Handover approved and completed."))


@login_required
@require_POST
def handover_reopen(request, handover_id):
    handover = selectors.handover_or_404(user=request.user, handover_id=handover_id)
    try:
        cleaned = clean_form(ReopenForm, request)
        services.handover_reopen(
            actor=request.user,
            handover=handover,
            reason=cleaned["reason"],
            meta=request_meta(request),
        )
    except BatonError as error:
        return refused(request, handover, error, form="reopen")
    return done(request, handover, _("Handover reopened."))


# Participants ------------------------------------------------------------------


@login_required
@require_POST
def participant_add(request, handover_id):
    """Add a successor (HR or the manager)."""
    handover = selectors.handover_or_404(user=request.user, handover_id=handover_id)
    try:
        user = clean_form(ParticipantAddForm, request)["user"]
        services.participant_add(
            actor=request.user,
            handover=handover,
            user=user,
            role=ParticipantRole.SUCCESSOR,
            meta=request_meta(request),
        )
    except BatonError as error:
        return refused(request, handover, error, form="participant_add")
    return done(
        request,
        handover,
        _("%(name)s is now a successor.") % {"name": person_name(user)},
        "participants",
    )


@login_required
@require_POST
def participant_remove(request, handover_id):
    """Remove a successor (HR); their unfinished items become unassigned."""
    handover = selectors.handover_or_404(user=request.user, handover_id=handover_id)
    try:
        user = clean_form(ParticipantRemoveForm, request)["user"]
        services.participant_remove(
            actor=request.user,
            handover=handover,
            user=user,
            role=ParticipantRole.SUCCESSOR,
            meta=request_meta(request),
        )
    except BatonError as error:
        return refused(
            request,
            handover,
            error,
            form=f"participant_remove-{request.POST.get('user', '')}",
        )
    return done(
        request,
        handover,
        _(
            "%(name)s is no longer a successor. Their unfinished items have no "
            "successor until you assign them."
        )
        % {"name": person_name(user)},
        "participants",
    )
