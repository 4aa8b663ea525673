"""Actions on one item: save and submit, not applicable, upstream values,
attachments, decisions (signatures), questions, assignment."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cms import services
from cms.errors import BatonError, Conflict, InvalidInput

from ..content import person_name
from ..forms import (
    AssignForm,
    AttachmentForm,
    CommentForm,
    DecisionForm,
    NotApplicableForm,
    UpstreamForm,
    VersionForm,
    clean_form,
    signing_credentials,
)
from ..item_forms import parse_item_data
from .common import done, item_or_404, refused, request_meta

__all__ = [
    "item_assign",
    "item_attach",
    "item_comment",
    "item_decide",
    "item_not_applicable",
    "item_save",
    "item_upstream",
    "question_resolve",
]


@login_required
@require_POST
def item_save(request, item_id):
    """Save the item's data; with ``intent=submit`` also submit it."""
    item = item_or_404(request, item_id)
    data = parse_item_data(item, request.POST)
    try:
        version = clean_form(VersionForm, request)["version"]
        item = services.item_update(
            actor=request.user,
            item=item,
            version=version,
            data=data,
            meta=request_meta(request),
        )
    except BatonError as error:
        return refused(
            request,
            item.handover,
            error,
            form="data",
            item_id=item.pk,
            data=data,
            conflict=isinstance(error, Conflict),
        )
    if request.POST.get("intent") != "submit":
        return done(request, item.handover, _("Saved."), f"item-{item.pk}")
    try:
        services.item_submit(
            actor=request.user,
            item=item,
            version=item.version,
            meta=request_meta(request),
        )
    except BatonError as error:
        # The answers are saved; only the submission was refused.
        error.message = _("Your answers are saved, but not submitted: %(reason)s") % {
            "reason": error.message
        }
        return refused(request, item.handover, error, form="data", item_id=item.pk)
    return done(
        request,
        item.handover,
        _("Submitted: the item now waits for confirmation."),
        f"item-{item.pk}",
    )


@login_required
@require_POST
def item_not_applicable(request, item_id):
    item = item_or_404(request, item_id)
    try:
        cleaned = clean_form(NotApplicableForm, request)
        services.item_mark_not_applicable(
            actor=request.user,
            item=item,
            version=cleaned["version"],
            reason=cleaned["reason"],
            meta=request_meta(request),
        )
    except BatonError as error:
        return refused(
            request, item.handover, error, form="not_applicable", item_id=item.pk
        )
    return done(
        request,
        item.handover,
        _("Marked as not applicable: the item now waits for confirmation."),
        f"item-{item.pk}",
    )


@login_required
@require_POST
def item_upstream(request, item_id):
    """Take or ignore the upstream value a connector kept beside a typed one."""
    item = item_or_404(request, item_id)
    try:
        cleaned = clean_form(UpstreamForm, request)
        take = cleaned["choice"] == UpstreamForm.TAKE
        service = services.item_take_upstream if take else services.item_ignore_upstream
        service(
            actor=request.user,
            item=item,
            version=cleaned["version"],
            field=cleaned["field"],
            meta=request_meta(request),
        )
    except BatonError as error:
        return refused(request, item.handover, error, form="upstream", item_id=item.pk)
    return done(
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
    item = item_or_404(request, item_id)
    try:
        cleaned = clean_form(AttachmentForm, request)
        attachment = services.attachment_add(
            actor=request.user,
            item=item,
            uploaded_file=cleaned["file"],
            meta=request_meta(request),
        )
    except BatonError as error:
        return refused(request, item.handover, error, form="attach", item_id=item.pk)
    return done(
        request,
        item.handover,
        _("Attached %(filename)s.") % {"filename": attachment.filename},
        f"item-{item.pk}",
    )


@login_required
@require_POST
def item_decide(request, item_id):
    """Accept, accept with remarks, or return with a question: each a signature."""
    item = item_or_404(request, item_id)
    decision = request.POST.get("decision", "")
    try:
        cleaned = clean_form(DecisionForm, request)
        remarks = cleaned["remarks"].strip()
        common = {
            "actor": request.user,
            "item": item,
            "version": cleaned["version"],
            "credentials": signing_credentials(cleaned, request),
            "meta": request_meta(request),
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
        return refused(
            request, item.handover, error, form=f"decide-{decision}", item_id=item.pk
        )
    return done(request, item.handover, message, f"item-{item.pk}")


@login_required
@require_POST
def item_comment(request, item_id):
    """Ask a question, or answer one (``question`` names it)."""
    item = item_or_404(request, item_id)
    try:
        cleaned = clean_form(CommentForm, request)
        comment = services.comment_add(
            actor=request.user,
            item=item,
            body=cleaned["body"],
            question=cleaned["question"],
            is_question=cleaned["is_question"],
            meta=request_meta(request),
        )
    except BatonError as error:
        form = (
            f"answer-{request.POST.get('question')}"
            if request.POST.get("question")
            else "ask"
        )
        return refused(request, item.handover, error, form=form, item_id=item.pk)
    if comment.is_question:
        message = _("Your question is posted.")
    else:
        message = _("Your answer is posted.")
    return done(request, item.handover, message, f"comment-{comment.pk}")


@login_required
@require_POST
def question_resolve(request, item_id, comment_id):
    item = item_or_404(request, item_id)
    if not item.comments.filter(pk=comment_id).exists():
        raise Http404
    try:
        services.comment_resolve(
            actor=request.user, comment=comment_id, meta=request_meta(request)
        )
    except BatonError as error:
        return refused(
            request, item.handover, error, form=f"resolve-{comment_id}", item_id=item.pk
        )
    return done(
        request, item.handover, _("Marked as resolved."), f"comment-{comment_id}"
    )


@login_required
@require_POST
def item_assign(request, item_id):
    """Give the item to one of the successors, or leave it unassigned (blank)."""
    item = item_or_404(request, item_id)
    try:
        cleaned = clean_form(AssignForm, request)
        successor = cleaned["successor"]
        services.item_assign(
            actor=request.user,
            item=item,
            successor=successor,
            version=cleaned["version"],
            meta=request_meta(request),
        )
    except BatonError as error:
        return refused(request, item.handover, error, form="assign", item_id=item.pk)
    if successor is None:
        message = _("The item has no successor now.")
    else:
        message = _("Assigned to %(name)s.") % {"name": person_name(successor)}
    return done(request, item.handover, message, f"item-{item.pk}")
