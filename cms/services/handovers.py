"""Starting handovers and managing their participants."""

import json
from collections import Counter
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from checklist_blocks.registry import get_kind, item_data, iter_items
from cms.errors import Conflict, InvalidInput
from cms.models import (
    ChecklistTemplatePage,
    Employee,
    Handover,
    Item,
    Participant,
    ParticipantRole,
)
from cms.permissions import grant_roles
from cms.signals import handover_started

from .audit import audit_record
from .common import (
    MANAGE,
    START,
    announce,
    lock_handover,
    require_hr,
    require_not_leaver,
    require_open,
    require_role,
)
from .roles import (
    ROLES_THAT_CAN_BE_MISSING,
    role_group_users,
    role_name,
)
from .signing import NO_REQUEST
from .suggestions import suggest_successors

__all__ = ["handover_open", "handover_start"]


def _manager_user(employee: Employee):
    for boss in employee.reporting_chain():
        # A leaver never reviews their own handover, even where the org chart
        # is wrong enough to say so.
        if boss.user_id and boss.user_id != employee.user_id and boss.user.is_active:
            return boss.user
    return None


def _leaver_in_role(role: str) -> str:
    return gettext(
        "The departing employee cannot take part in their own handover as %(role)s."
    ) % {"role": role_name(role)}


# The start form's field for each role that can go missing.
_ROLE_FIELDS = {ParticipantRole.MANAGER: "manager", ParticipantRole.IT: "it_users"}


def _fill_roles(template, named: dict, *, leaver) -> tuple[dict, dict]:
    """Every role the template's items are filled or confirmed by gets someone:
    the people named, else the members of the role's group. Returns the people
    by role and, for a role still without anyone, the error to show."""
    needs = Counter()
    for prototype in _item_prototypes(template.live_revision):
        # A connector list counts as one item: its records arrive later.
        for role in {prototype["filled_by_role"], prototype["confirmed_by_role"]}:
            needs[role] += 1
    named = dict(named)
    errors = {}
    for role in ROLES_THAT_CAN_BE_MISSING:
        if not needs.get(role) or named.get(role):
            continue
        named[role] = role_group_users(role, exclude=[leaver] if leaver else [])
        if not named[role]:
            errors[_ROLE_FIELDS[role]] = [
                gettext(
                    "Name someone as %(role)s: %(count)d item(s) of this template "
                    "are filled or confirmed by one, and nobody can take the role "
                    "by default."
                )
                % {"role": role_name(role), "count": needs[role]}
            ]
    return named, errors


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
        prototypes.append(
            {
                # Connector records become items when the connector fills them;
                # the block is kept for the roles its records will need.
                "materialise": kind != "connector_list",
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


def _materialise_items(
    handover: Handover, revision, *, single_successor, due_offset_days=None
) -> list[Item]:
    """One item per item block of the revision. ``due_offset_days`` (a start
    rule's) makes every item due that many days before the last working day,
    in place of the template's own offsets."""
    items = []
    for prototype in _item_prototypes(revision):
        if not prototype["materialise"]:
            continue
        offset = prototype["due_offset_days"]
        if due_offset_days is not None:
            offset = -due_offset_days
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
    source: dict | None = None,
    due_offset_days: int | None = None,
    successor_pending: bool = False,
) -> Handover:
    """Start a handover from the template's published revision. Successors
    default to the best suggestion (a peer before the manager); the manager to
    the employee's. A role the template's items need that nobody was named for
    is taken by its group's members (``BATON_ROLE_GROUPS``), or the start is
    refused naming the role. Nobody starts their own handover, and the leaver
    takes no other role in it.

    ``source`` (intake: where the start came from, e.g. ``{"source": "webhook",
    "event": 12}``) goes into the audit event's details. ``due_offset_days``
    makes every item due that many days before the last working day.
    ``successor_pending`` starts a draft without a successor, which its
    manager names later (``intake.successor_pick``)."""
    if successor_pending:
        # Nobody takes over yet: the manager picks the successor, then it opens.
        draft, successors = True, []
    require_hr(actor)
    require_not_leaver(actor, employee, START, field="employee")
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
    if not successors and not successor_pending:
        suggestions = suggest_successors(employee=employee)
        successors = [suggestions[0].user] if suggestions else []
    successors = list(successors)
    if not successors and not successor_pending:
        errors["successors"] = [
            gettext(
                "Name a successor: nobody in the employee's department or reporting "
                "chain can take over."
            )
        ]
    if employee.user_id and employee.user_id in {user.pk for user in successors}:
        errors["successors"] = [
            gettext("The departing employee cannot be their own successor.")
        ]
    manager = manager or _manager_user(employee)
    if successor_pending and manager is None:
        errors["manager"] = [
            gettext(
                "Name a manager: they are to pick the successor, and nobody in "
                "the employee's reporting chain can sign in."
            )
        ]
    it_users = list(it_users)
    # Segregation of duties: the leaver hands over and nothing else.
    if employee.user_id:
        if manager is not None and manager.pk == employee.user_id:
            errors["manager"] = [_leaver_in_role(ParticipantRole.MANAGER)]
        if employee.user_id in {user.pk for user in it_users}:
            errors["it_users"] = [_leaver_in_role(ParticipantRole.IT)]
    named = {
        ParticipantRole.MANAGER: [manager] if manager is not None else [],
        ParticipantRole.IT: it_users,
    }
    if "template" not in errors:
        named, missing = _fill_roles(template, named, leaver=employee.user)
        errors.update(missing)
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
    for role in (ParticipantRole.MANAGER, ParticipantRole.IT):
        people += [(user, role) for user in named[role]]
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
        due_offset_days=due_offset_days,
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
        details=dict(source) if source else None,
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
def handover_open(
    *, actor, handover, meta=NO_REQUEST, as_role=ParticipantRole.HR
) -> Handover:
    """A draft starts: everyone is told. HR opens drafts; a manager opens the
    one waiting for them to pick its successor (``as_role``, intake)."""
    handover = lock_handover(getattr(handover, "pk", handover))
    require_not_leaver(actor, handover, MANAGE)
    role = require_role(actor, handover, as_role)
    require_open(handover, Handover.State.DRAFT)
    handover.state = Handover.State.IN_PROGRESS
    handover.started_at = timezone.now()
    handover.save(update_fields=["state", "started_at", "updated_at"])
    audit_record(
        handover=handover,
        actor=actor,
        role=role,
        action="handover.opened",
        obj=handover,
        ip_address=meta.ip_address,
    )
    _announce_start(handover, actor)
    return handover
