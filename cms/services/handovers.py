"""Starting handovers and managing their participants."""

import json
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from checklist_blocks.registry import get_kind, item_data, iter_items
from cms.errors import Conflict, InvalidInput, PermissionDenied
from cms.models import (
    ChecklistTemplatePage,
    Employee,
    Handover,
    Item,
    Participant,
    ParticipantRole,
)
from cms.permissions import grant_role, grant_roles, revoke_role
from cms.signals import handover_started

from .audit import audit_record
from .common import announce, lock_handover, require_hr, require_open, require_role
from .items import _bump
from .signing import NO_REQUEST

# Suggestions -----------------------------------------------------------------------


__all__ = [
    "handover_open",
    "handover_start",
    "participant_add",
    "participant_remove",
    "suggest_successors",
    "suggest_templates",
]


def suggest_templates(*, employee: Employee, language: str | None = None):
    """Published templates, best match first: same role, then same department."""
    templates = ChecklistTemplatePage.objects.live().select_related("role", "locale")
    if language:
        templates = templates.filter(locale__language_code=language)
    ranked = []
    for template in templates.prefetch_related("departments"):
        score = 0
        if employee.role_id and template.role_id == employee.role_id:
            score += 2
        if employee.department_id and any(
            department.pk == employee.department_id
            for department in template.departments.all()
        ):
            score += 1
        ranked.append((-score, template.title, template))
    return [
        template for _score, _title, template in sorted(ranked, key=lambda t: t[:2])
    ]


def suggest_successors(*, employee: Employee) -> list:
    """The nearest manager up the reporting chain who can sign in."""
    for boss in employee.reporting_chain():
        if boss.user_id and boss.user.is_active:
            return [boss.user]
    return []


def _manager_user(employee: Employee):
    for boss in employee.reporting_chain():
        if boss.user_id and boss.user.is_active:
            return boss.user
    return None


# Start -------------------------------------------------------------------------------


# What each item of a template revision starts as, by revision id. A revision
# never changes, so nothing here goes stale; the oldest entries make room.
_PROTOTYPES: dict[int, list[dict]] = {}
_PROTOTYPES_KEPT = 32


def _item_prototypes(revision) -> list[dict]:
    prototypes = _PROTOTYPES.get(revision.pk)
    if prototypes is not None:
        return prototypes
    body = revision.as_object().body
    section_titles = {
        block.id: block.value["title"]
        for block in body
        if block.block_type == "section"
    }
    prototypes = []
    for position, (section_id, block_id, kind, value) in enumerate(iter_items(body)):
        if kind == "connector_list":
            # Connector records become items when the connector fills them.
            continue
        prototypes.append(
            {
                "block_id": block_id,
                "section_block_id": section_id or "",
                "section_title": section_titles.get(section_id, ""),
                "position": position,
                "kind": kind,
                "label": value["label"],
                # JSON text: every item gets a fresh copy of its own.
                "definition": json.dumps(get_kind(kind).block.get_prep_value(value)),
                "data": json.dumps(item_data(kind, value)),
                "required": bool(value.get("required", True)),
                "filled_by_role": value.get("filled_by") or ParticipantRole.LEAVER,
                "confirmed_by_role": value.get("confirmed_by")
                or ParticipantRole.SUCCESSOR,
                "evidence": value.get("evidence") or "none",
                "due_offset_days": value.get("due_offset_days"),
            }
        )
    while len(_PROTOTYPES) >= _PROTOTYPES_KEPT:
        _PROTOTYPES.pop(next(iter(_PROTOTYPES)))
    _PROTOTYPES[revision.pk] = prototypes
    return prototypes


def _materialise_items(handover: Handover, revision, *, single_successor) -> list[Item]:
    items = []
    for prototype in _item_prototypes(revision):
        offset = prototype["due_offset_days"]
        confirmed_by = prototype["confirmed_by_role"]
        items.append(
            Item(
                handover=handover,
                block_id=prototype["block_id"],
                section_block_id=prototype["section_block_id"],
                section_title=prototype["section_title"],
                position=prototype["position"],
                kind=prototype["kind"],
                label=prototype["label"],
                definition=json.loads(prototype["definition"]),
                data=json.loads(prototype["data"]),
                required=prototype["required"],
                filled_by_role=prototype["filled_by_role"],
                confirmed_by_role=confirmed_by,
                evidence=prototype["evidence"],
                due_date=(
                    handover.last_working_day + timedelta(days=offset)
                    if offset is not None
                    else None
                ),
                assignee=single_successor
                if confirmed_by == ParticipantRole.SUCCESSOR
                else None,
            )
        )
    return Item.objects.bulk_create(items)


@transaction.atomic
def handover_start(
    *,
    actor,
    employee: Employee,
    template: ChecklistTemplatePage,
    last_working_day,
    resignation_date=None,
    successors=None,
    manager=None,
    it_users=(),
    draft=False,
    meta=NO_REQUEST,
) -> Handover:
    """Start a handover from the template's published revision. Successors
    default to the nearest manager up the chain; the manager to the employee's."""
    require_hr(actor)
    errors = {}
    if not employee.user_id:
        errors["employee"] = [
            gettext(
                "%(name)s has no user account, so they could not fill the handover."
            )
            % {"name": employee.name}
        ]
    if not template.live or not template.live_revision_id:
        errors["template"] = [gettext("Only a published template can be used.")]
    if resignation_date and last_working_day and last_working_day < resignation_date:
        errors["last_working_day"] = [
            gettext("The last working day cannot be before the resignation date.")
        ]
    successors = list(successors or suggest_successors(employee=employee))
    if not successors:
        errors["successors"] = [
            gettext("Name a successor: the employee has no manager to default to.")
        ]
    if employee.user_id and employee.user_id in {user.pk for user in successors}:
        errors["successors"] = [
            gettext("The departing employee cannot be their own successor.")
        ]
    manager = manager or _manager_user(employee)
    if errors:
        raise InvalidInput(_("The handover could not be started."), fields=errors)
    Employee.objects.select_for_update().filter(pk=employee.pk).first()
    if Handover.objects.filter(
        employee=employee, state__in=Handover.OPEN_STATES
    ).exists():
        raise Conflict(
            _("%(name)s already has an open handover.") % {"name": employee.name}
        )

    revision = template.live_revision
    now = timezone.now()
    handover = Handover.objects.create(
        number=f"tmp-{now.timestamp()}",
        employee=employee,
        template=template,
        template_revision=revision,
        language=template.locale.language_code,
        state=Handover.State.DRAFT if draft else Handover.State.IN_PROGRESS,
        resignation_date=resignation_date,
        last_working_day=last_working_day,
        created_by=actor,
        started_at=None if draft else now,
    )
    handover.number = f"HO-{now:%Y}-{handover.pk:05d}"
    handover.save(update_fields=["number"])

    people = [(employee.user, ParticipantRole.LEAVER)]
    people += [(user, ParticipantRole.SUCCESSOR) for user in successors]
    if manager is not None:
        people.append((manager, ParticipantRole.MANAGER))
    people += [(user, ParticipantRole.IT) for user in it_users]
    people.append((actor, ParticipantRole.HR))
    unique = list({(user.pk, role): (user, role) for user, role in people}.values())
    Participant.objects.bulk_create(
        [Participant(handover=handover, user=user, role=role) for user, role in unique]
    )
    grant_roles(handover=handover, people=unique)

    items = _materialise_items(
        handover,
        revision,
        single_successor=successors[0] if len(successors) == 1 else None,
    )
    audit_record(
        handover=handover,
        actor=actor,
        role=ParticipantRole.HR,
        action="handover.started" if not draft else "handover.drafted",
        obj=handover,
        after={
            "template": template.pk,
            "revision": revision.pk,
            "items": [item.block_id for item in items],
            "participants": sorted([user.pk, role] for user, role in people),
        },
        ip_address=meta.ip_address,
    )
    if not draft:
        _announce_start(handover, actor)
    return handover


def _announce_start(handover, actor):
    announce(handover, "handover.started", actor=actor)
    transaction.on_commit(
        lambda: handover_started.send(sender=Handover, handover_id=handover.pk)
    )


@transaction.atomic
def handover_open(*, actor, handover, meta=NO_REQUEST) -> Handover:
    handover = lock_handover(getattr(handover, "pk", handover))
    require_role(actor, handover, ParticipantRole.HR)
    require_open(handover, Handover.State.DRAFT)
    handover.state = Handover.State.IN_PROGRESS
    handover.started_at = timezone.now()
    handover.save(update_fields=["state", "started_at", "updated_at"])
    audit_record(
        handover=handover,
        actor=actor,
        role=ParticipantRole.HR,
        action="handover.opened",
        obj=handover,
        ip_address=meta.ip_address,
    )
    _announce_start(handover, actor)
    return handover


# Participants -----------------------------------------------------------------------


@transaction.atomic
def participant_add(
    *, actor, handover, user, role: str, meta=NO_REQUEST
) -> Participant:
    handover = lock_handover(getattr(handover, "pk", handover))
    acting_role = require_role(
        actor, handover, ParticipantRole.HR, ParticipantRole.MANAGER
    )
    if acting_role == ParticipantRole.MANAGER and role != ParticipantRole.SUCCESSOR:
        raise PermissionDenied(_("Managers can add successors only."))
    require_open(handover, *Handover.OPEN_STATES)
    if role not in ParticipantRole.values:
        raise InvalidInput(fields={"role": [_("Unknown role.")]})
    if role == ParticipantRole.LEAVER:
        raise InvalidInput(
            fields={"role": [_("A handover has exactly one departing employee.")]}
        )
    if role == ParticipantRole.SUCCESSOR and user.pk == handover.employee.user_id:
        raise InvalidInput(
            fields={
                "user": [_("The departing employee cannot be their own successor.")]
            }
        )
    if Participant.objects.filter(handover=handover, user=user, role=role).exists():
        raise Conflict(
            _("%(name)s already has this role on the handover.")
            % {"name": user.get_full_name() or user.get_username()}
        )
    participant = Participant.objects.create(handover=handover, user=user, role=role)
    grant_role(handover=handover, user=user, role=role)
    audit_record(
        handover=handover,
        actor=actor,
        role=acting_role,
        action="participant.added",
        obj=participant,
        after={"user": user.pk, "role": role},
        ip_address=meta.ip_address,
    )
    announce(
        handover,
        "participant.added",
        actor=actor,
        details={"user_id": user.pk, "role": role},
    )
    return participant


@transaction.atomic
def participant_remove(*, actor, handover, user, role: str, meta=NO_REQUEST) -> None:
    handover = lock_handover(getattr(handover, "pk", handover))
    acting_role = require_role(actor, handover, ParticipantRole.HR)
    require_open(handover, *Handover.OPEN_STATES)
    if role == ParticipantRole.LEAVER:
        raise InvalidInput(
            fields={"role": [_("The departing employee cannot be removed.")]}
        )
    participant = Participant.objects.filter(
        handover=handover, user=user, role=role
    ).first()
    if participant is None:
        return
    if role == ParticipantRole.SUCCESSOR:
        # Each item keeps a version saying who lost it, like any other change.
        unfinished = handover.items.select_for_update().filter(assignee=user)
        for item in unfinished.exclude(state__in=Item.DONE_STATES):
            item.assignee = None
            _bump(
                item,
                actor=actor,
                action="unassign",
                changes={"assignee": [user.pk, None]},
            )
    audit_record(
        handover=handover,
        actor=actor,
        role=acting_role,
        action="participant.removed",
        obj=participant,
        before={"user": user.pk, "role": role},
        ip_address=meta.ip_address,
    )
    participant.delete()
    revoke_role(handover=handover, user=user, role=role)
    announce(
        handover,
        "participant.removed",
        actor=actor,
        details={"user_id": user.pk, "role": role},
    )
