"""Questions, answers and attachments on items. Each action has its check
(``comment_add_check``…), asked by the service and by the pages."""

import hashlib
import mimetypes
from functools import partial
from pathlib import PurePath

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cms.errors import InvalidInput, NotFound, PermissionDenied
from cms.models import (
    Attachment,
    Comment,
    Handover,
    Item,
)
from cms.permissions import can_fill

from .audit import audit_record
from .common import (
    FILLABLE_STATES,
    Refusal,
    announce,
    fill_refusal,
    open_refusal,
    require,
    require_visible,
    state_refusal,
)
from .items import _audit, _bump, _snapshot, _visible_item
from .signing import NO_REQUEST

__all__ = [
    "ALLOWED_UPLOAD_TYPES",
    "attachment_add",
    "attachment_add_check",
    "comment_add",
    "comment_add_check",
    "comment_resolve",
    "comment_resolve_check",
]

ALLOWED_UPLOAD_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    ),
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".zip": "application/zip",
}

# Magic numbers of the binary types we accept: the extension alone is not trusted.
_SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",),
    ".ods": (b"PK\x03\x04",),
    ".zip": (b"PK\x03\x04", b"PK\x05\x06"),
}

# Checks ------------------------------------------------------------------------


def comment_add_check(*, actor, item: Item) -> Refusal | None:
    """May ``actor`` ask or answer a question on ``item`` now? Everyone who
    sees the handover, while it is in progress or in review."""
    return open_refusal(
        item.handover, Handover.State.IN_PROGRESS, Handover.State.IN_REVIEW
    )


def comment_resolve_check(*, actor, comment: Comment, item=None) -> Refusal | None:
    """May ``actor`` mark ``comment`` resolved? A question, by its asker or by
    whoever fills the item (``item``: the comment's, when the caller has it)."""
    if not comment.is_question:
        return Refusal(partial(InvalidInput, _("Only questions can be resolved.")))
    if actor.pk == comment.author_id or can_fill(actor, item or comment.item):
        return None
    return Refusal(
        partial(
            PermissionDenied,
            _("Only the asker or the person who fills the item can resolve it."),
        )
    )


def attachment_add_check(*, actor, item: Item) -> Refusal | None:
    """May ``actor`` attach a file to ``item`` now? Its filler, while filling."""
    return (
        fill_refusal(actor, item)
        or open_refusal(item.handover)
        or state_refusal(
            item,
            FILLABLE_STATES,
            _("Attachments can be added while the item is being filled."),
        )
    )


# Questions and attachments -------------------------------------------------------


@transaction.atomic
def comment_add(
    *, actor, item, body: str, question=None, is_question=False, meta=NO_REQUEST
) -> Comment:
    item, roles = _visible_item(actor, item)
    require(comment_add_check(actor=actor, item=item))
    body = (body or "").strip()
    if not body:
        raise InvalidInput(fields={"body": [_("Write something first.")]})
    if len(body) > 10_000:
        raise InvalidInput(fields={"body": [_("Keep it under 10,000 characters.")]})
    if question is not None:
        question_id = getattr(question, "pk", question)
        question = item.comments.filter(pk=question_id, is_question=True).first()
        if question is None:
            raise InvalidInput(
                fields={"question": [_("There is no such question on this item.")]}
            )
        is_question = False
    comment = Comment.objects.create(
        item=item, author=actor, body=body, question=question, is_question=is_question
    )
    audit_record(
        handover=item.handover,
        actor=actor,
        role=sorted(roles)[0],
        obj=comment,
        action="question.asked" if is_question else "comment.added",
        after={"body": body, "item": item.block_id},
        ip_address=meta.ip_address,
    )
    event = (
        "question.asked"
        if is_question
        else ("question.answered" if question is not None else "comment.added")
    )
    announce(
        item.handover,
        event,
        actor=actor,
        item=item,
        details={"question_id": question.pk} if question is not None else {},
    )
    return comment


@transaction.atomic
def comment_resolve(*, actor, comment, meta=NO_REQUEST) -> Comment:
    """The asker or the answerer (the item's filler) marks a question resolved."""
    comment_id = getattr(comment, "pk", comment)
    try:
        comment = (
            Comment.objects.select_for_update()
            .select_related("item__handover")
            .get(pk=comment_id)
        )
    except Comment.DoesNotExist as error:
        raise NotFound() from error
    roles = require_visible(actor, comment.item.handover)
    if comment.resolved_at is not None and comment.is_question:
        return comment
    require(comment_resolve_check(actor=actor, comment=comment))
    comment.resolved_at = timezone.now()
    comment.resolved_by = actor
    comment.save(update_fields=["resolved_at", "resolved_by"])
    audit_record(
        handover=comment.item.handover,
        actor=actor,
        role=sorted(roles)[0],
        obj=comment,
        action="question.resolved",
        ip_address=meta.ip_address,
    )
    announce(comment.item.handover, "question.resolved", actor=actor, item=comment.item)
    return comment


def _safe_filename(name: str) -> str:
    name = PurePath(name or "").name.replace("\x00", "")
    name = "".join(
        char for char in name if char.isprintable() and char not in '\\/:*?"<>|'
    )
    return name[:200] or "attachment"


@transaction.atomic
def attachment_add(*, actor, item, uploaded_file, meta=NO_REQUEST) -> Attachment:
    """Store an upload privately after checking its size, extension and content."""
    item, _roles = _visible_item(actor, item)
    require(attachment_add_check(actor=actor, item=item))
    role = item.filled_by_role
    filename = _safe_filename(uploaded_file.name)
    extension = PurePath(filename).suffix.lower()
    if extension not in ALLOWED_UPLOAD_TYPES:
        raise InvalidInput(
            fields={
                "file": [
                    gettext(
                        "Files of this type cannot be attached. Allowed: %(types)s."
                    )
                    % {"types": ", ".join(sorted(ALLOWED_UPLOAD_TYPES))}
                ]
            }
        )
    if uploaded_file.size > settings.BATON_MAX_UPLOAD_BYTES:
        raise InvalidInput(
            fields={
                "file": [
                    gettext("The file is larger than %(megabytes)d MB.")
                    % {"megabytes": settings.BATON_MAX_UPLOAD_BYTES // (1024 * 1024)}
                ]
            }
        )
    if uploaded_file.size == 0:
        raise InvalidInput(fields={"file": [_("The file is empty.")]})
    digest = hashlib.sha256()
    head = b""
    for chunk in uploaded_file.chunks():
        if not head:
            head = chunk[:16]
        digest.update(chunk)
    signatures = _SIGNATURES.get(extension)
    if signatures and not head.startswith(signatures):
        raise InvalidInput(
            fields={"file": [_("The file's content does not match its type.")]}
        )
    uploaded_file.seek(0)
    before = _snapshot(item)
    attachment = Attachment(
        item=item,
        filename=filename,
        content_type=ALLOWED_UPLOAD_TYPES[extension]
        or mimetypes.guess_type(filename)[0]
        or "application/octet-stream",
        size=uploaded_file.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    attachment.file.save(filename, uploaded_file, save=False)
    attachment.save()
    _bump(item, actor=actor, action="attach", changes={"attachments": [None, filename]})
    _audit(
        item,
        actor=actor,
        role=role,
        action="attachment.added",
        before=before,
        meta=meta,
        details={"attachment": attachment.pk, "sha256": attachment.sha256},
    )
    announce(item.handover, "item.updated", actor=actor, item=item)
    return attachment
