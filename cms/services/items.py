"""Filling items: answers, submission, "not applicable"; shared item helpers.
Each action has its check (``item_update_check``…): the one place its rules
live, asked by the service and by every screen that offers the action."""

import jsonschema
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from checklist_blocks.registry import get_kind, schema_for_field
from cms.errors import InvalidInput
from cms.models import Item, ItemVersion

from .audit import audit_record
from .common import (
    FILLABLE_STATES,
    LATEST,
    Refusal,
    announce,
    fill_refusal,
    lock_item,
    open_refusal,
    require,
    require_visible,
    state_refusal,
    version_refusal,
)
from .merge_patch import changed_paths, merge_patch
from .signing import NO_REQUEST
from .visibility import shown_refusal

__all__ = [
    "FILLABLE_STATES",
    "item_content",
    "item_mark_not_applicable",
    "item_mark_not_applicable_check",
    "item_submit",
    "item_submit_check",
    "item_update",
    "item_update_check",
]

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
            for attachment in item.attachment_list
        ],
    }


def _snapshot(item: Item) -> dict:
    return {**item_content(item), "state": item.state, "version": item.version}


def _check_version(item: Item, version) -> None:
    require(version_refusal(item, version))


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
    require(fill_refusal(actor, item))
    return item.filled_by_role


# Checks ----------------------------------------------------------------------
#
# ``visible``: whether the item's condition shows it, when the caller knows
# (a page that listed it); otherwise the check reads the answers (one query).

SUBMITTED_NOT_CHANGED = _(
    "This item was submitted; it can be changed again once it is returned."
)


def item_update_check(
    *, actor, item: Item, visible=None, version=LATEST
) -> Refusal | None:
    """May ``actor`` change ``item``'s answers now? What the handover page
    and the API call "can fill": the forms to fill, submit, mark not
    applicable and attach are offered when this allows it."""
    return (
        fill_refusal(actor, item)
        or open_refusal(item.handover)
        or shown_refusal(item, visible=visible)
        or state_refusal(item, FILLABLE_STATES, SUBMITTED_NOT_CHANGED)
        or version_refusal(item, version)
    )


def item_submit_check(
    *, actor, item: Item, visible=None, version=LATEST
) -> Refusal | None:
    """May ``actor`` submit ``item`` now (what it still misses aside)?"""
    return (
        fill_refusal(actor, item)
        or open_refusal(item.handover)
        or shown_refusal(item, visible=visible)
        or version_refusal(item, version)
        or state_refusal(
            item,
            FILLABLE_STATES,
            _("Only an item to fill or a returned item can be submitted."),
        )
    )


def item_mark_not_applicable_check(
    *, actor, item: Item, visible=None, version=LATEST
) -> Refusal | None:
    """May ``actor`` propose that ``item`` does not apply, now?"""
    return (
        fill_refusal(actor, item)
        or open_refusal(item.handover)
        or shown_refusal(item, visible=visible)
        or version_refusal(item, version)
        or state_refusal(
            item,
            FILLABLE_STATES,
            _("Only an item to fill or a returned item can be marked."),
        )
    )


# Filling ---------------------------------------------------------------------


def _schema_for(item: Item) -> dict:
    if item.kind == "field":
        return schema_for_field(item.definition)
    return get_kind(item.kind).json_schema


def _validate_data(item: Item, patch) -> dict:
    """The item's data with ``patch`` merged in (RFC 7396), valid against the
    kind's JSON Schema; InvalidInput naming each bad field otherwise."""
    if not isinstance(patch, dict):
        raise InvalidInput(
            _("Send the item's fields as an object."),
            fields={"data": [_("Send the item's fields as an object.")]},
        )
    schema = _schema_for(item)
    merged = merge_patch(item.data, patch, schema)
    validator = jsonschema.Draft202012Validator(schema)
    errors = {}
    for error in validator.iter_errors(merged):
        field = ".".join(str(part) for part in error.absolute_path) or "data"
        if error.validator == "additionalProperties":
            message = gettext("Unknown field.")
            known = error.schema.get("properties", {})
            unknown = sorted(set(error.instance) - set(known))
            prefix = f"{field}." if error.absolute_path else ""
            field = ", ".join(prefix + name for name in unknown) or field
        elif error.validator in ("type", "format", "pattern", "enum"):
            message = gettext("This value is not valid here.")
        elif error.validator in ("minimum", "maximum", "exclusiveMinimum"):
            message = gettext("This number is out of range.")
        elif error.validator in ("maxLength", "minLength"):
            message = gettext("This text is too long or too short.")
        else:
            message = gettext("This value is not valid here.")
        errors.setdefault(field, []).append(message)
    if errors:
        raise InvalidInput(_("Some fields are not valid."), fields=errors)
    return merged


def _changes(item: Item, merged: dict) -> dict:
    """What a person changed, as ``{key: [old, new]}``. A connector record keeps
    its fields under ``data``: each changed one is named ``data.<name>`` (the
    keys of its provenance), so a sync still updates the fields nobody typed."""
    changes = changed_paths(item.data, merged)
    if item.kind == "connector_list" and "data" in changes:
        old, new = changes.pop("data")
        old = old if isinstance(old, dict) else {}
        new = new if isinstance(new, dict) else {}
        for name, values in changed_paths(old, new).items():
            changes[f"data.{name}"] = values
    return changes


@transaction.atomic
def item_update(*, actor, item, version, data: dict, meta=NO_REQUEST) -> Item:
    """Change answers with a JSON Merge Patch (RFC 7396): nested objects merge,
    ``null`` removes a key, what the patch leaves out keeps its value and its
    provenance. Keeps a version with each changed field's old and new value and
    marks only those fields as typed by a person, so no sync overwrites them."""
    item, _roles = _visible_item(actor, item)
    require(item_update_check(actor=actor, item=item, version=version))
    role = item.filled_by_role
    merged = _validate_data(item, data)
    changes = _changes(item, merged)
    if not changes:
        return item
    before = _snapshot(item)
    now = timezone.now().isoformat()
    item.data = merged
    provenance = dict(item.provenance or {})
    for key in changes:
        provenance[key] = {"source": "person", "user": actor.pk, "at": now}
    item.provenance = provenance
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
        problems.append(gettext("This item needs an attachment as evidence."))
    if item.kind == "field" and item.required:
        if item.definition.get("field_type") == "file":
            # A file question is answered by attaching the file to the item.
            if not item.attachments.exists():
                problems.append(gettext("Attach the file this question asks for."))
        elif item.data.get("value") in (None, ""):
            problems.append(gettext("Answer the question before submitting."))
    return problems


@transaction.atomic
def item_submit(*, actor, item, version, meta=NO_REQUEST) -> Item:
    item, _roles = _visible_item(actor, item)
    require(item_submit_check(actor=actor, item=item, version=version))
    role = item.filled_by_role
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
    require(item_mark_not_applicable_check(actor=actor, item=item, version=version))
    role = item.filled_by_role
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [_("Say why this item does not apply.")]})
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
