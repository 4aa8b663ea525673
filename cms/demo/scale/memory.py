"""A handover, its items and its people in memory, with the attributes the
services' helpers and checks read of ``Handover``, ``Item`` and users: the
player hands these to ``item_content``, ``_snapshot``, ``signature_payload``
and to the checks (``open_refusal``, ``handover_declare_check``…)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from cms.models import Handover, Item

__all__ = ["SimHandover", "SimItem", "SimUser"]


class SimUser:
    """A signed-in user, as a check reads one: who it is."""

    __slots__ = ("pk",)
    is_authenticated = True
    is_active = True

    def __init__(self, pk: int):
        self.pk = pk


class SimHandover:
    """The handover's row (``row``, a dict the player changes and copies in)
    read as a ``Handover``: its number, its state and its leaver."""

    def __init__(self, row: dict, *, leaver_id: int):
        self.row = row
        self.pk = row["id"]
        self.number = row["number"]
        # ``is_own_handover`` asks a handover for its employee's user.
        self.employee = SimpleNamespace(user_id=leaver_id)

    @property
    def state(self) -> str:
        return self.row["state"]

    def get_state_display(self) -> str:
        return Handover.State(self.state).label


class SimItem:
    """An item in memory: the attributes of ``Item`` the services read."""

    __slots__ = (
        "assignee_id",
        "block_id",
        "condition",
        "confirmed_by_role",
        "data",
        "definition",
        "due_date",
        "evidence",
        "filled_by_role",
        "handover",
        "kind",
        "label",
        "not_applicable_reason",
        "open_question",
        "pk",
        "position",
        "provenance",
        "required",
        "section_block_id",
        "section_title",
        "state",
        "updated_at",
        "version",
    )

    # Nothing is uploaded in a generated handover.
    attachment_list = ()

    def __init__(self, pk, proto, *, handover: SimHandover, lwd, assignee_id, now):
        self.pk = pk
        # Read for every item each time visibility is decided: kept, not derived.
        self.condition = proto.condition
        self.handover = handover
        self.block_id = proto.block_id
        self.section_block_id = proto.section_block_id
        self.section_title = proto.section_title
        self.position = proto.position
        self.kind = proto.kind
        self.label = proto.label
        self.definition = proto.definition
        self.data = dict(proto.data)
        self.provenance = {}
        self.state = Item.State.PENDING
        self.required = proto.required
        self.filled_by_role = proto.filled_by_role
        self.confirmed_by_role = proto.confirmed_by_role
        self.evidence = proto.evidence
        self.assignee_id = assignee_id
        self.due_date = (
            lwd + dt.timedelta(days=proto.due_offset)
            if proto.due_offset is not None
            else None
        )
        self.not_applicable_reason = ""
        self.version = 1
        self.updated_at = now
        self.open_question = None

    @property
    def is_done(self):
        return self.state in Item.DONE_STATES
