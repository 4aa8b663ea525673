"""Participant pages that write. Each parses the form, calls one service and
redirects back with a message; a refused action re-renders the page with the
service's message next to the form, under the service's HTTP status."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cms import selectors, services
from cms.errors import BatonError, Conflict, InvalidInput, NotFound
from cms.models import ParticipantRole
from cms.services import RequestMeta

from .content import person_name
from .forms import (
    ApproveForm,
    AssignForm,
    AttachmentForm,
    CommentForm,
    DecisionForm,
    DeclareForm,
    NotApplicableForm,
    ParticipantAddForm,
    ParticipantRemoveForm,
    ReopenForm,
    UpstreamForm,
    VersionForm,
    clean_form,
)
from .item_forms import parse_item_data
from .presenters import Failure
from .views import handover_or_404, render_detail

__all__ = [
    "handover_approve",
    "handover_declare",
    "handover_reopen",
    "item_assign",
    "item_attach",
    "item_comment",
    "item_decide",
    "item_not_applicable",
    "item_save",
    "item_upstream",
    "participant_add",
    "participant_remove",
    "question_resolve",
]

SECRET_FIELDS = ("password", "csrfmiddlewaretoken")


def _item_or_404(request, item_id):
    try:
        item = selectors.item_get(user=request.user, item_id=item_id)
    except NotFound as error:
        raise Http404 from error
    return item


def _typed(request) -> dict:
    """What the person typed, to put back into the form (never the password)."""
    return {
        key: value for key, value in request.POST.items() if key not in SECRET_FIELDS
    }


def _refused(request, handover, error: BatonError, **failure):
    if isinstance(error, NotFound):
        raise Http404 from error
    fields = {key: [str(m) for m in value] for key, value in error.fields.items()}
    return render_detail(
        request,
        handover,
        failure=Failure(
            message=str(error.message), fields=fields, values=_typed(request), **failure
        ),
        status=error.status,
    )


def _done(request, handover, message, anchor=""):
    messages.success(request, message)
    url = reverse("participant:detail", args=[handover.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _meta(request):
    return RequestMeta.from_request(request)


# Items --------------------------------------------------------------------------


@login_required
@require_POST
def item_save(request, item_id):
    """Save the item's data; with ``intent=submit`` also submit it."""
    item = _item_or_404(request, item_id)
    data = parse_item_data(item, request.POST)
    try:
        version = clean_form(VersionForm, request)["version"]
        item = services.item_update(
            actor=request.user,
            item=item,
            version=version,
            data=data,
            meta=_meta(request),
        )
    except BatonError as error:
        return _refused(
            request,
            item.handover,
            error,
            form="data",
            item_id=item.pk,
            data=data,
            conflict=isinstance(error, Conflict),
        )
    if request.POST.get("intent") != "submit":
        return _done(request, item.handover, _("Saved."), f"item-{item.pk}")
    try:
        services.item_submit(
            actor=request.user, item=item, version=item.version, meta=_meta(request)
        )
    except BatonError as error:
        # The answers are saved; only the submission was refused.
        error.message = _("Your answers are saved, but not submitted: %(reason)s") % {
            "reason": error.message
        }
        return _refused(request, item.handover, error, form="data", item_id=item.pk)
    return _done(
        request,
        item.handover,
        _("Submitted: the item now waits for confirmation."),
        f"item-{item.pk}",
    )


@login_required
@require_POST
def item_not_applicable(request, item_id):
    item = _item_or_404(request, item_id)
    try:
        cleaned = clean_form(NotApplicableForm, request)
        services.item_mark_not_applicable(
            actor=request.user,
            item=item,
            version=cleaned["version"],
            reason=cleaned["reason"],
            meta=_meta(request),
        )
    except BatonError as error:
        return _refused(
            request, item.handover, error, form="not_applicable", item_id=item.pk
        )
    return _done(
        request,
        item.handover,
        _("Marked as not applicable: the item now waits for confirmation."),
        f"item-{item.pk}",
    )


@login_required
@require_POST
def item_upstream(request, item_id):
    """Take or ignore the upstream value a connector kept beside a typed one."""
    item = _item_or_404(request, item_id)
    try:
        cleaned = clean_form(UpstreamForm, request)
        take = cleaned["choice"] == UpstreamForm.TAKE
        service = services.item_take_upstream if take else services.item_ignore_upstream
        service(
            actor=request.user,
            item=item,
            version=cleaned["version"],
            field=cleaned["field"],
            meta=_meta(request),
        )
    except BatonError as error:
        return _refused(request, item.handover, error, form="upstream", item_id=item.pk)
    return _done(
        request,
        item.handover,
        _("The upstream value replaced yours.")
        if take
        else _("Your value is kept; the upstream change is dismissed."),
        f"item-{item.pk}",
    )


@login_required
@require_POST
def item_attach(request, item_id):
    item = _item_or_404(request, item_id)
    try:
        cleaned = clean_form(AttachmentForm, request)
        attachment = services.attachment_add(
            actor=request.user,
            item=item,
            uploaded_file=cleaned["file"],
            meta=_meta(request),
        )
    except BatonError as error:
        return _refused(request, item.handover, error, form="attach", item_id=item.pk)
    return _done(
        request,
        item.handover,
        _("Attached %(filename)s.") % {"filename": attachment.filename},
        f"item-{item.pk}",
    )


@login_required
@require_POST
def item_decide(request, item_id):
    """Accept, accept with remarks, or return with a question: each a signature."""
    item = _item_or_404(request, item_id)
    decision = request.POST.get("decision", "")
    try:
        cleaned = clean_form(DecisionForm, request)
        remarks = cleaned["remarks"].strip()
        common = {
            "actor": request.user,
            "item": item,
            "version": cleaned["version"],
            "password": cleaned["password"],
            "meta": _meta(request),
        }
        if decision == DecisionForm.RETURN:
            services.item_return(reason=remarks, **common)
            message = _("Returned with your question.")
        else:
            if decision == DecisionForm.ACCEPT_WITH_REMARKS and not remarks:
                raise InvalidInput(fields={"remarks": [_("Write your remarks.")]})
            services.item_accept(remarks=remarks, **common)
            message = _("Accepted and signed.")
    except BatonError as error:
        return _refused(
            request, item.handover, error, form=f"decide-{decision}", item_id=item.pk
        )
    return _done(request, item.handover, message, f"item-{item.pk}")


@login_required
@require_POST
def item_comment(request, item_id):
    """Ask a question, or answer one (``question`` names it)."""
    item = _item_or_404(request, item_id)
    try:
        cleaned = clean_form(CommentForm, request)
        comment = services.comment_add(
            actor=request.user,
            item=item,
            body=cleaned["body"],
            question=cleaned["question"],
            is_question=cleaned["is_question"],
            meta=_meta(request),
        )
    except BatonError as error:
        form = (
            f"answer-{request.POST.get('question')}"
            if request.POST.get("question")
            else "ask"
        )
        return _refused(request, item.handover, error, form=form, item_id=item.pk)
    if comment.is_question:
        message = _("Your question is posted.")
    else:
        message = _("Your answer is posted.")
    return _done(request, item.handover, message, f"comment-{comment.pk}")


@login_required
@require_POST
def question_resolve(request, item_id, comment_id):
    item = _item_or_404(request, item_id)
    if not item.comments.filter(pk=comment_id).exists():
        raise Http404
    try:
        services.comment_resolve(
            actor=request.user, comment=comment_id, meta=_meta(request)
        )
    except BatonError as error:
        return _refused(
            request, item.handover, error, form=f"resolve-{comment_id}", item_id=item.pk
        )
    return _done(
        request, item.handover, _("Marked as resolved."), f"comment-{comment_id}"
    )


@login_required
@require_POST
def item_assign(request, item_id):
    """Give the item to one of the successors, or leave it unassigned (blank)."""
    item = _item_or_404(request, item_id)
    try:
        cleaned = clean_form(AssignForm, request)
        successor = cleaned["successor"]
        services.item_assign(
            actor=request.user,
            item=item,
            successor=successor,
            version=cleaned["version"],
            meta=_meta(request),
        )
    except BatonError as error:
        return _refused(request, item.handover, error, form="assign", item_id=item.pk)
    if successor is None:
        message = _("The item has no successor now.")
    else:
        message = _("Assigned to %(name)s.") % {"name": person_name(successor)}
    return _done(request, item.handover, message, f"item-{item.pk}")


# The handover ------------------------------------------------------------------


@login_required
@require_POST
def handover_declare(request, handover_id):
    handover = handover_or_404(request, handover_id)
    try:
        cleaned = clean_form(DeclareForm, request)
        services.handover_declare(
            actor=request.user,
            handover=handover,
            password=cleaned["password"],
            statement=cleaned["statement"],
            meta=_meta(request),
        )
    except BatonError as error:
        return _refused(request, handover, error, form="declare")
    return _done(request, handover, _("You signed the final declaration."))


@login_required
@require_POST
def handover_approve(request, handover_id):
    """Approve one section (``section`` names it) or the whole handover."""
    handover = handover_or_404(request, handover_id)
    section = request.POST.get("section", "")
    try:
        cleaned = clean_form(ApproveForm, request)
        services.handover_approve(
            actor=request.user,
            handover=handover,
            password=cleaned["password"],
            remarks=cleaned["remarks"],
            section_block_id=cleaned["section"],
            meta=_meta(request),
        )
    except BatonError as error:
        return _refused(request, handover, error, form="approve", section=section)
    if section:
        return _done(request, handover, _("Section approved."), f"section-{section}")
    return _done(request, handover, _("Handover approved and completed."))


@login_required
@require_POST
def handover_reopen(request, handover_id):
    handover = handover_or_404(request, handover_id)
    try:
        cleaned = clean_form(ReopenForm, request)
        services.handover_reopen(
            actor=request.user,
            handover=handover,
            reason=cleaned["reason"],
            meta=_meta(request),
        )
    except BatonError as error:
        return _refused(request, handover, error, form="reopen")
    return _done(request, handover, _("Handover reopened."))


# Participants ------------------------------------------------------------------


@login_required
@require_POST
def participant_add(request, handover_id):
    """Add a successor (HR or the manager)."""
    handover = handover_or_404(request, handover_id)
    try:
        user = clean_form(ParticipantAddForm, request)["user"]
        services.participant_add(
            actor=request.user,
            handover=handover,
            user=user,
            role=ParticipantRole.SUCCESSOR,
            meta=_meta(request),
        )
    except BatonError as error:
        return _refused(request, handover, error, form="participant_add")
    return _done(
        request,
        handover,
        _("%(name)s is now a successor.") % {"name": person_name(user)},
        "participants",
    )


@login_required
@require_POST
def participant_remove(request, handover_id):
    """Remove a successor (HR); their unfinished items become unassigned."""
    handover = handover_or_404(request, handover_id)
    try:
        user = clean_form(ParticipantRemoveForm, request)["user"]
        services.participant_remove(
            actor=request.user,
            handover=handover,
            user=user,
            role=ParticipantRole.SUCCESSOR,
            meta=_meta(request),
        )
    except BatonError as error:
        return _refused(
            request,
            handover,
            error,
            form=f"participant_remove-{request.POST.get('user', '')}",
        )
    return _done(
        request,
        handover,
        _(
            "%(name)s is no longer a successor. Their unfinished items have no "
            "successor until you assign them."
        )
        % {"name": person_name(user)},
        "participants",
    )
