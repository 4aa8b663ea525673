"""Stable pseudonyms: what stays of a person in a record that must stay.

Stored as language-neutral tokens (``pseudonym.leaver``,
``pseudonym.successor.2``, a user name ``pseudonym.leaver.u17``) and
translated when shown (``pseudonym_label``): a handover's participants are
numbered per role in the order they were added, so the same person is the same
"Successor #2" everywhere in that handover, and a record read in Chinese says
"接任者 #2"."""

import re

from django.utils.translation import gettext as _

from cms.models import Participant, ParticipantRole

__all__ = [
    "PREFIX",
    "handover_pseudonyms",
    "is_pseudonym",
    "pseudonym_label",
    "role_token",
]

PREFIX = "pseudonym."
_TOKEN = re.compile(r"^pseudonym\.([a-z_]+)(?:\.(\d+))?(?:\.u\d+)?$")


def role_token(role: str, number: int | None = None) -> str:
    if role == ParticipantRole.LEAVER or number is None:
        return f"{PREFIX}{role}"
    return f"{PREFIX}{role}.{number}"


def handover_pseudonyms(handover_ids) -> dict[tuple[int, int], str]:
    """(handover id, user id) → token, for every participant of the handovers:
    the leaver is "Leaver", the others numbered per role by when they were
    added. A person in two roles takes the first (leaver before the others)."""
    order = [choice for choice, _label in ParticipantRole.choices]
    tokens: dict[tuple[int, int], str] = {}
    counters: dict[tuple[int, str], int] = {}
    participants = Participant.objects.filter(handover_id__in=handover_ids).order_by(
        "handover_id", "added_at", "pk"
    )
    rows = sorted(
        participants.values_list("handover_id", "user_id", "role"),
        key=lambda row: (row[0], order.index(row[2]) if row[2] in order else 99),
    )
    # Numbers follow the order of adding within a role (the stable sort above
    # keeps it), whatever the role order used to pick a person's first role.
    for handover_id, user_id, role in rows:
        counters[handover_id, role] = counters.get((handover_id, role), 0) + 1
        number = counters[handover_id, role]
        tokens.setdefault((handover_id, user_id), role_token(role, number))
    return tokens


def is_pseudonym(value: str) -> bool:
    return bool(_TOKEN.match(value or ""))


def pseudonym_label(value: str) -> str | None:
    """The token in the active language ("Successor #2"), or None when
    ``value`` is not a pseudonym."""
    match = _TOKEN.match(value or "")
    if match is None:
        return None
    role, number = match.group(1), match.group(2)
    labels = {
        ParticipantRole.LEAVER: _("Leaver"),
        ParticipantRole.SUCCESSOR: _("Successor"),
        ParticipantRole.MANAGER: _("Manager"),
        ParticipantRole.HR: _("HR"),
        ParticipantRole.IT: _("IT / asset admin"),
    }
    label = labels.get(role, _("Former participant"))
    if number is None:
        return str(label)
    return _("%(role)s #%(number)s") % {"role": label, "number": number}
