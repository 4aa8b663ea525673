"""Writes to items: fill, submit, accept, return, questions, attachments."""

import hashlib
import mimetypes
from pathlib import PurePath

import jsonschema
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from checklist_blocks.registry import get_kind, schema_for_field
from cms.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from cms.models import (
    Attachment,
    Comment,
    Handover,
    Item,
    ItemVersion,
    Participant,
    ParticipantRole,
    Signature,
)
from cms.permissions import can_confirm, can_fill

from .audit import audit_record, content_hash
from .common import announce, lock_item, require_open, require_visible
from .handovers import handover_advance
from .signing import NO_REQUEST, reauthenticate, server_sign

__all__ = [
    "ALLOWED_UPLOAD_TYPES",
    "attachment_add",
    "comment_add",
    "comment_resolve",
    "item_accept",
    "item_assign",
    "item_content",
    "item_mark_not_applicable",
    "item_return",
    "item_submit",
    "item_update",
    "items_accept",
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

INTENT = {
    Signature.Decision.ACCEPT: _(
        "I confirm that I have received this item exactly as shown and take it over."
    ),
    Signature.Decision.ACCEPT_WITH_REMARKS: _(
        "I confirm that I have received this item as shown, subject to my remarks."
    ),
    Signature.Decision.RETURN: _(
        "I return this item: it is not complete or not clear enough to take over."
    ),
}


# Reads that shape what a signer sees ------------------------------------------


def item_content(item: Item) -> dict:
    """Exactly what participants are shown of an item: the input of every
    signature hash (attachment hashes included)."""
    return {
        "handover": item.handover.number,
        "block_id": item.block_id,
        "kind": item.kind,
        "label": item.label,
        "data": item.data,
        "not_applicable_reason": item.not_applicable_reason,
        "attachments": [
            {"filename": attachment.filename, "sha256": attachment.sha256}
            for attachment in item.attachments.all()
        ],
    }


def _snapshot(item: Item) -> dict:
    return {**item_content(item), "state": item.state, "version": item.version}


def _check_version(item: Item, version) -> None:
    try:
        version = int(version)
    except (TypeError, ValueError) as error:
        raise InvalidInput(
            _("The item version is missing."),
            fields={"version": [_("Send the version you last saw.")]},
        ) from error
    if item.version != version:
        raise Conflict(
            _(
                "Someone changed this item since you opened it (you had version "
                "%(yours)d, it is now %(current)d). Review the current content and "
                "try again."
            )
            % {"yours": version, "current": item.version},
            extra={"current_version": item.version},
        )


def _bump(item: Item, *, actor, action: str, changes: dict) -> None:
    item.version += 1
    item.save()
    ItemVersion.objects.create(
        item=item,
        number=item.version,
        actor=actor,
        action=action,
        changes=changes,
        state=item.state,
    )


def _audit(item, *, actor, role, action, before, meta, details=None):
    audit_record(
        handover=item.handover,
        actor=actor,
        role=role,
        action=action,
        obj=item,
        before=before,
        after=_snapshot(item),
        details={"block_id": item.block_id, **(details or {})},
        ip_address=meta.ip_address,
    )


def _visible_item(actor, item_id_or_item) -> tuple[Item, set[str]]:
    item_id = getattr(item_id_or_item, "pk", item_id_or_item)
    item = lock_item(item_id)
    roles = require_visible(actor, item.handover)
    return item, roles


def _fill_role(actor, item: Item) -> str:
    if not can_fill(actor, item):
        raise PermissionDenied(
            _("This item is filled by the %(role)s.")
            % {"role": ParticipantRole(item.filled_by_role).label.lower()}
        )
    return item.filled_by_role


def _confirm_role(actor, item: Item) -> str:
    if not can_confirm(actor, item):
        raise PermissionDenied(
            _("This item is confirmed by its %(role)s.")
            % {"role": ParticipantRole(item.confirmed_by_role).label.lower()}
        )
    return item.confirmed_by_role


# Filling ---------------------------------------------------------------------


def _schema_for(item: Item) -> dict:
    if item.kind == "field":
        return schema_for_field(item.definition)
    return get_kind(item.kind).json_schema


def _validate_data(item: Item, data) -> dict:
    if not isinstance(data, dict):
        raise InvalidInput(fields={"data": [_("Send the item's fields as an object.")]})
    merged = {**item.data, **data}
    validator = jsonschema.Draft202012Validator(_schema_for(item))
    errors = {}
    for error in validator.iter_errors(merged):
        field = ".".join(str(part) for part in error.absolute_path) or "data"
        if error.validator == "additionalProperties":
            message = _t("Unknown field.")
            unknown = sorted(set(merged) - set(_schema_for(item).get("properties", {})))
            field = ", ".join(unknown) or field
        elif error.validator in ("type", "format", "pattern", "enum"):
            message = _t("This value is not valid here.")
        elif error.validator in ("minimum", "maximum", "exclusiveMinimum"):
            message = _t("This number is out of range.")
        elif error.validator in ("maxLength", "minLength"):
            message = _t("This text is too long or too short.")
        else:
            message = _t("This value is not valid here.")
        errors.setdefault(field, []).append(message)
    if errors:
        raise InvalidInput(_("Some fields are not valid."), fields=errors)
    return merged


@transaction.atomic
def item_update(*, actor, item, version, data: dict, meta=NO_REQUEST) -> Item:
    """Save answers. Keeps a version with each changed field's old and new value
    and marks the fields as typed by a person, so no sync overwrites them."""
    item, _roles = _visible_item(actor, item)
    role = _fill_role(actor, item)
    require_open(item.handover)
    if item.state not in (Item.State.PENDING, Item.State.RETURNED):
        raise Conflict(
            _("This item was submitted; it can be changed again once it is returned.")
        )
    _check_version(item, version)
    merged = _validate_data(item, data)
    changes = {
        key: [item.data.get(key), value]
        for key, value in merged.items()
        if item.data.get(key) != value
    }
    if not changes:
        return item
    before = _snapshot(item)
    now = timezone.now().isoformat()
    item.data = merged
    for key in changes:
        item.provenance[key] = {"source": "person", "user": actor.pk, "at": now}
    _bump(item, actor=actor, action="update", changes=changes)
    _audit(
        item,
        actor=actor,
        role=role,
        action="item.updated",
        before=before,
        meta=meta,
        details={"fields": sorted(changes)},
    )
    announce(item.handover, "item.updated", actor=actor, item=item)
    return item


def _missing_for_submit(item: Item) -> list[str]:
    problems = []
    if item.evidence == "required" and not item.attachments.exists():
        problems.append(_t("This item needs an attachment as evidence."))
    if item.kind == "field" and item.required:
        if item.definition.get("field_type") == "file":
            # A file question is answered by attaching the file to the item.
            if not item.attachments.exists():
                problems.append(_t("Attach the file this question asks for."))
        elif item.data.get("value") in (None, ""):
            problems.append(_t("Answer the question before submitting."))
    return problems


@transaction.atomic
def item_submit(*, actor, item, version, meta=NO_REQUEST) -> Item:
    item, _roles = _visible_item(actor, item)
    role = _fill_role(actor, item)
    require_open(item.handover)
    _check_version(item, version)
    if item.state not in (Item.State.PENDING, Item.State.RETURNED):
        raise Conflict(_("Only an item to fill or a returned item can be submitted."))
    problems = _missing_for_submit(item)
    if problems:
        raise InvalidInput(problems[0], fields={"item": problems})
    before = _snapshot(item)
    resubmitted = item.state == Item.State.RETURNED
    item.state = Item.State.SUBMITTED
    item.not_applicable_reason = ""
    _bump(
        item,
        actor=actor,
        action="submit",
        changes={"state": [before["state"], "submitted"]},
    )
    action = "item.resubmitted" if resubmitted else "item.submitted"
    _audit(item, actor=actor, role=role, action=action, before=before, meta=meta)
    announce(item.handover, action, actor=actor, item=item)
    return item


@transaction.atomic
def item_mark_not_applicable(*, actor, item, version, reason: str, meta=NO_REQUEST):
    """The filler says the item does not apply; the confirmer confirms it like
    any other submission."""
    item, _roles = _visible_item(actor, item)
    role = _fill_role(actor, item)
    require_open(item.handover)
    _check_version(item, version)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [_("Say why this item does not apply.")]})
    if item.state not in (Item.State.PENDING, Item.State.RETURNED):
        raise Conflict(_("Only an item to fill or a returned item can be marked."))
    before = _snapshot(item)
    item.state = Item.State.SUBMITTED
    item.not_applicable_reason = reason
    _bump(
        item,
        actor=actor,
        action="not_applicable",
        changes={
            "state": [before["state"], "submitted"],
            "not_applicable_reason": ["", reason],
        },
    )
    _audit(
        item,
        actor=actor,
        role=role,
        action="item.not_applicable_proposed",
        before=before,
        meta=meta,
    )
    announce(item.handover, "item.submitted", actor=actor, item=item)
    return item


# Confirming --------------------------------------------------------------------


def _sign(*, actor, role, item, decision, remarks, method, meta) -> Signature:
    content = item_content(item)
    signed_at = timezone.now()
    intent = str(INTENT[decision])
    record = {
        "handover": item.handover.number,
        "item": item.block_id,
        "item_version": item.version,
        "signer": actor.pk,
        "role": role,
        "decision": decision,
        "remarks": remarks,
        "signed_at": signed_at.isoformat(),
        "content_hash": content_hash(content),
        "intent_statement": intent,
        "auth_method": method,
    }
    server_signature, key_id = server_sign(record)
    return Signature.objects.create(
        handover=item.handover,
        item=item,
        item_version=item.version,
        signer=actor,
        role=role,
        decision=decision,
        remarks=remarks,
        signed_at=signed_at,
        content_hash=record["content_hash"],
        intent_statement=intent,
        auth_method=method,
        ip_address=meta.ip_address,
        user_agent=meta.user_agent,
        server_signature=server_signature,
        key_id=key_id,
    )


def _accept_one(*, actor, item, version, remarks, method, meta) -> Item:
    role = _confirm_role(actor, item)
    require_open(item.handover)
    _check_version(item, version)
    if item.state != Item.State.SUBMITTED:
        raise Conflict(_("Only a submitted item can be accepted."))
    if item.comments.filter(is_question=True, resolved_at__isnull=True).exists():
        raise Conflict(_("An open question on this item must be resolved first."))
    decision = (
        Signature.Decision.ACCEPT_WITH_REMARKS if remarks else Signature.Decision.ACCEPT
    )
    before = _snapshot(item)
    signature = _sign(
        actor=actor,
        role=role,
        item=item,
        decision=decision,
        remarks=remarks,
        method=method,
        meta=meta,
    )
    item.state = (
        Item.State.NOT_APPLICABLE if item.not_applicable_reason else Item.State.ACCEPTED
    )
    _bump(
        item,
        actor=actor,
        action="accept",
        changes={"state": [before["state"], item.state]},
    )
    _audit(
        item,
        actor=actor,
        role=role,
        action=f"item.{decision}",
        before=before,
        meta=meta,
        details={"signature": signature.pk, "content_hash": signature.content_hash},
    )
    announce(item.handover, "item.accepted", actor=actor, item=item)
    return item


@transaction.atomic
def item_accept(
    *,
    actor,
    item,
    version,
    password="",
    remarks="",
    meta=NO_REQUEST,
    credentials=None,
) -> Item:
    """Accept (or accept with remarks): a signature over the content shown."""
    item, _roles = _visible_item(actor, item)
    _confirm_role(actor, item)
    method = reauthenticate(
        user=actor, credentials=credentials or {"password": password}
    )
    item = _accept_one(
        actor=actor,
        item=item,
        version=version,
        remarks=(remarks or "").strip(),
        method=method,
        meta=meta,
    )
    handover_advance(handover=item.handover)
    return item


@transaction.atomic
def items_accept(
    *,
    actor,
    items: list[tuple[int, int]],
    password="",
    remarks="",
    meta=NO_REQUEST,
    credentials=None,
) -> list[Item]:
    """Accept several items with one re-authentication; all or nothing."""
    if not items:
        raise InvalidInput(fields={"items": [_("Choose at least one item.")]})
    locked = []
    for item_id, version in items:
        item, _roles = _visible_item(actor, item_id)
        _confirm_role(actor, item)
        locked.append((item, version))
    method = reauthenticate(
        user=actor, credentials=credentials or {"password": password}
    )
    accepted = [
        _accept_one(
            actor=actor,
            item=item,
            version=version,
            remarks=(remarks or "").strip(),
            method=method,
            meta=meta,
        )
        for item, version in locked
    ]
    for handover in {item.handover_id: item.handover for item in accepted}.values():
        handover_advance(handover=handover)
    return accepted


@transaction.atomic
def item_return(
    *,
    actor,
    item,
    version,
    reason: str,
    password="",
    meta=NO_REQUEST,
    credentials=None,
) -> Item:
    """Return with a question: a signature, and an open question on the item."""
    item, _roles = _visible_item(actor, item)
    role = _confirm_role(actor, item)
    require_open(item.handover)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [_("Say what is missing or unclear.")]})
    method = reauthenticate(
        user=actor, credentials=credentials or {"password": password}
    )
    _check_version(item, version)
    if item.state != Item.State.SUBMITTED:
        raise Conflict(_("Only a submitted item can be returned."))
    before = _snapshot(item)
    signature = _sign(
        actor=actor,
        role=role,
        item=item,
        decision=Signature.Decision.RETURN,
        remarks=reason,
        method=method,
        meta=meta,
    )
    Comment.objects.create(item=item, author=actor, body=reason, is_question=True)
    item.state = Item.State.RETURNED
    _bump(
        item,
        actor=actor,
        action="return",
        changes={"state": [before["state"], "returned"]},
    )
    _audit(
        item,
        actor=actor,
        role=role,
        action="item.returned",
        before=before,
        meta=meta,
        details={"signature": signature.pk},
    )
    announce(
        item.handover,
        "item.returned",
        actor=actor,
        item=item,
        details={"reason": reason},
    )
    return item


@transaction.atomic
def item_assign(*, actor, item, successor, meta=NO_REQUEST) -> Item:
    """Give an item to one of the handover's successors (HR or the manager)."""
    item, roles = _visible_item(actor, item)
    if not roles & {ParticipantRole.HR, ParticipantRole.MANAGER}:
        raise PermissionDenied(_("Only HR or the manager can assign items."))
    require_open(item.handover, Handover.State.DRAFT, Handover.State.IN_PROGRESS)
    if (
        successor is not None
        and not Participant.objects.filter(
            handover=item.handover, user=successor, role=ParticipantRole.SUCCESSOR
        ).exists()
    ):
        raise InvalidInput(
            fields={"successor": [_("Choose one of this handover's successors.")]}
        )
    before = _snapshot(item)
    previous = item.assignee_id
    item.assignee = successor
    _bump(
        item,
        actor=actor,
        action="assign",
        changes={"assignee": [previous, getattr(successor, "pk", None)]},
    )
    _audit(
        item,
        actor=actor,
        role=ParticipantRole.HR
        if ParticipantRole.HR in roles
        else ParticipantRole.MANAGER,
        action="item.assigned",
        before=before,
        meta=meta,
        details={"assignee": getattr(successor, "pk", None)},
    )
    announce(item.handover, "item.assigned", actor=actor, item=item)
    return item


# Questions and attachments -------------------------------------------------------


@transaction.atomic
def comment_add(
    *, actor, item, body: str, question=None, is_question=False, meta=NO_REQUEST
) -> Comment:
    item, roles = _visible_item(actor, item)
    require_open(item.handover, Handover.State.IN_PROGRESS, Handover.State.IN_REVIEW)
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
    if not comment.is_question:
        raise InvalidInput(_("Only questions can be resolved."))
    if comment.resolved_at is not None:
        return comment
    if actor.pk != comment.author_id and not can_fill(actor, comment.item):
        raise PermissionDenied(
            _("Only the asker or the person who fills the item can resolve it.")
        )
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
    role = _fill_role(actor, item)
    require_open(item.handover)
    if item.state not in (Item.State.PENDING, Item.State.RETURNED):
        raise Conflict(_("Attachments can be added while the item is being filled."))
    filename = _safe_filename(uploaded_file.name)
    extension = PurePath(filename).suffix.lower()
    if extension not in ALLOWED_UPLOAD_TYPES:
        raise InvalidInput(
            fields={
                "file": [
                    _t("Files of this type cannot be attached. Allowed: %(types)s.")
                    % {"types": ", ".join(sorted(ALLOWED_UPLOAD_TYPES))}
                ]
            }
        )
    if uploaded_file.size > settings.BATON_MAX_UPLOAD_BYTES:
        raise InvalidInput(
            fields={
                "file": [
                    _t("The file is larger than %(megabytes)d MB.")
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
