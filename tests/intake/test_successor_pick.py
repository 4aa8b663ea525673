"""A start rule can leave the successor to the manager: the handover waits as
a draft, the manager is asked to pick within N days, and their pick opens it."""

import pytest

from cms.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from cms.models import AuditEvent, Handover, ParticipantRole, StartRule
from cms.services import resignation_receive, successor_pick

from .conftest import notice


@pytest.fixture
def waiting(sales, rule_factory, mailoutbox, django_capture_on_commit_callbacks):
    """Chen Fang resigned under a rule that lets her manager pick, in 4 days."""
    rule_factory(
        "Managers choose",
        successor_policy=StartRule.SuccessorPolicy.MANAGER_CHOICE,
        manager_choice_days=4,
    )
    with django_capture_on_commit_callbacks(execute=True):
        outcome = resignation_receive(notice=notice(), mode="start")
    return outcome


def _roles(handover, role):
    return set(
        handover.participants.filter(role=role).values_list("user__username", flat=True)
    )


def test_the_handover_waits_as_a_draft_and_the_manager_is_asked(
    waiting, people, mailoutbox
):
    # then the handover is a draft with the manager and no successor
    handover = waiting.handover
    assert waiting.status == "started"
    assert handover.state == Handover.State.DRAFT
    assert _roles(handover, ParticipantRole.MANAGER) == {"manager"}
    assert _roles(handover, ParticipantRole.SUCCESSOR) == set()
    assert waiting.message.startswith(
        f"Handover {handover.number} for Chen Fang waits for Wei Zhang to pick the "
        "successor by "
    )
    # and the drafted audit event carries its source
    drafted = AuditEvent.objects.get(handover=handover, action="handover.drafted")
    assert drafted.details == {"source": "webhook", "event": waiting.event.pk}
    # and only the manager is told, to pick a successor
    assert [message.to for message in mailoutbox] == [[people["manager"].email]]
    message = mailoutbox[0]
    assert message.subject == f"{handover.number} · Fang Chen: pick a successor"
    assert "Pick who takes over their work by " in message.body


def test_the_managers_pick_opens_the_handover(
    waiting, people, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        handover = successor_pick(
            actor=people["manager"],
            handover=waiting.handover,
            successor=people["successor"],
        )

    assert handover.state == Handover.State.IN_PROGRESS
    assert _roles(handover, ParticipantRole.SUCCESSOR) == {"successor"}
    successor_items = handover.items.filter(confirmed_by_role=ParticipantRole.SUCCESSOR)
    assert successor_items.exists()
    assert set(successor_items.values_list("assignee", flat=True)) == {
        people["successor"].pk
    }
    actions = list(
        AuditEvent.objects.filter(handover=handover).values_list("action", flat=True)
    )
    picked = actions.index("successor.picked")
    assert actions[picked + 1] == "handover.opened"
    # everyone hears the handover started, the leaver included
    told = {tuple(message.to) for message in mailoutbox}
    assert (people["sales"].email,) in told
    assert (people["successor"].email,) in told


def test_hr_is_not_the_manager_and_may_not_pick(waiting, people):
    with pytest.raises(PermissionDenied):
        successor_pick(
            actor=people["hr"],
            handover=waiting.handover,
            successor=people["successor"],
        )


def test_the_leaver_may_not_pick(waiting, people):
    with pytest.raises(PermissionDenied):
        successor_pick(
            actor=people["sales"],
            handover=waiting.handover,
            successor=people["successor"],
        )


def test_someone_outside_the_handover_does_not_see_it(waiting, people):
    with pytest.raises(NotFound):
        successor_pick(
            actor=people["dev"],
            handover=waiting.handover,
            successor=people["successor"],
        )


def test_the_leaver_cannot_be_picked(waiting, people):
    with pytest.raises(InvalidInput) as refused:
        successor_pick(
            actor=people["manager"],
            handover=waiting.handover,
            successor=people["sales"],
        )

    assert refused.value.fields == {
        "successor": ["The departing employee cannot be their own successor."]
    }
    assert Handover.objects.get(pk=waiting.handover.pk).state == Handover.State.DRAFT


def test_a_successor_is_picked_once(waiting, people):
    successor_pick(
        actor=people["manager"],
        handover=waiting.handover,
        successor=people["successor"],
    )

    with pytest.raises(Conflict):
        successor_pick(
            actor=people["manager"], handover=waiting.handover, successor=people["hr"]
        )
