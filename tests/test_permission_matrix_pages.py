"""Who may do what on the participant pages, on the sales handover.

Rows are actions, columns the requester's relation to the handover; each cell
is its own test on a fresh handover, prepared so that only permission decides.
Success is a redirect back to the handover page (200 for the pages that only
read); a refusal is the handover page again under 403, with the reason shown and
nothing changed; someone who may not see the handover gets a plain 404 that
does not name it, and changes nothing either.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cms import services
from cms.models import Attachment, Comment, Handover, ParticipantRole
from cms.services.visibility import visible_items
from tests.fixtures.handovers import (
    PASSWORD,
    action_registry,
    bring_to_review,
    client_list,
    confirm_everything,
    fill_everything,
    give_leaver_role,
    item_of,
    resolved_upstream_item,
    submitted_client_list,
)

ACTORS = ("leaver", "successor", "manager", "hr", "it", "stranger", "other")

# "other" takes part in another handover (dev's, from the demo) but not this one.
# 302: done, back to the handover page; 200: shown; 403: refused; 404: not found.
TABLE = {
    #                      leaver successor manager hr   it  stranger other
    "view handover":       (200,  200,      200,    200, 200, 404,    404),
    "fill an item":        (302,  403,      403,    403, 403, 404,    404),
    "submit":              (302,  403,      403,    403, 403, 404,    404),
    "not applicable":      (302,  403,      403,    403, 403, 404,    404),
    "upload attachment":   (302,  403,      403,    403, 403, 404,    404),
    "download attachment": (200,  200,      200,    200, 200, 404,    404),
    "ask a question":      (302,  302,      302,    302, 302, 404,    404),
    "resolve a question":  (302,  302,      403,    403, 403, 404,    404),
    "accept":              (403,  302,      403,    403, 403, 404,    404),
    "return":              (403,  302,      403,    403, 403, 404,    404),
    "assign an item":      (403,  403,      302,    302, 403, 404,    404),
    "add a successor":     (403,  403,      302,    302, 403, 404,    404),
    "remove a successor":  (403,  403,      403,    302, 403, 404,    404),
    "declare":             (302,  403,      403,    403, 403, 404,    404),
    "approve a section":   (403,  403,      302,    403, 403, 404,    404),
    "reopen":              (403,  403,      302,    403, 403, 404,    404),
}  # fmt: skip
EXPECTED = {
    action: dict(zip(ACTORS, outcomes, strict=True))
    for action, outcomes in TABLE.items()
}

# Cells that show a permission bug in the app: (action, actor) -> what is wrong.
KNOWN_BUGS = {}


# Each action prepares what it needs and returns (method, url, form data).
ACTIONS, prepares = action_registry()


def _item_url(name, item, *args):
    return reverse(f"participant:{name}", args=[item.pk, *args])


def _handover_url(name, handover):
    return reverse(f"participant:{name}", args=[handover.pk])


@prepares("view handover")
def _view(handover, people, newcomer):
    return "get", _handover_url("detail", handover), {}


@prepares("fill an item")
def _fill(handover, people, newcomer):
    data = {"version": 1, "data.customer": "ACME Trading"}
    return "post", _item_url("item_save", client_list(handover)), data


@prepares("submit")
def _submit(handover, people, newcomer):
    data = {"version": 1, "data.customer": "ACME Trading", "intent": "submit"}
    return "post", _item_url("item_save", client_list(handover)), data


@prepares("not applicable")
def _not_applicable(handover, people, newcomer):
    data = {"version": 1, "reason": "I had no clients of my own."}
    return "post", _item_url("item_not_applicable", client_list(handover)), data


@prepares("upload attachment")
def _upload(handover, people, newcomer):
    data = {"file": SimpleUploadedFile("clients.pdf", b"%PDF-1.4 clients")}
    return "post", _item_url("item_attach", client_list(handover)), data


@prepares("download attachment")
def _download(handover, people, newcomer):
    attachment = services.attachment_add(
        actor=people["sales"],
        item=client_list(handover),
        uploaded_file=SimpleUploadedFile("clients.pdf", b"%PDF-1.4 clients"),
    )
    return "get", reverse("participant:attachment", args=[attachment.pk]), {}


@prepares("ask a question")
def _ask(handover, people, newcomer):
    data = {"body": "Who signs for ACME?", "is_question": "1"}
    return "post", _item_url("item_comment", client_list(handover)), data


@prepares("resolve a question")
def _resolve(handover, people, newcomer):
    item = client_list(handover)
    question = services.comment_add(
        actor=people["successor"], item=item, body="Who signs?", is_question=True
    )
    return "post", _item_url("question_resolve", item, question.pk), {}


@prepares("accept")
def _accept(handover, people, newcomer):
    item = submitted_client_list(handover, people)
    data = {"decision": "accept", "version": item.version, "password": PASSWORD}
    return "post", _item_url("item_decide", item), data


@prepares("return")
def _return(handover, people, newcomer):
    item = submitted_client_list(handover, people)
    data = {
        "decision": "return",
        "version": item.version,
        "password": PASSWORD,
        "remarks": "Which contact at ACME?",
    }
    return "post", _item_url("item_decide", item), data


@prepares("assign an item")
def _assign(handover, people, newcomer):
    services.participant_add(
        actor=people["hr"],
        handover=handover,
        user=newcomer,
        role=ParticipantRole.SUCCESSOR,
    )
    item = client_list(handover)
    data = {"successor": newcomer.pk, "version": item.version}
    return "post", _item_url("item_assign", item), data


@prepares("add a successor")
def _add_successor(handover, people, newcomer):
    url = _handover_url("participant_add", handover)
    return "post", url, {"user": newcomer.pk}


@prepares("remove a successor")
def _remove_successor(handover, people, newcomer):
    url = _handover_url("participant_remove", handover)
    return "post", url, {"user": people["successor"].pk}


@prepares("declare")
def _declare(handover, people, newcomer):
    mine = handover.items.filter(filled_by_role="leaver").order_by("position")
    for item in mine.filter(kind="field"):
        services.item_update(
            actor=people["sales"], item=item, version=1, data={"value": False}
        )
    # Items the "no" answers hide need no handing over (and cannot be submitted).
    for item in visible_items(handover.items.all()):
        if item.filled_by_role == "leaver":
            services.item_submit(actor=people["sales"], item=item, version=item.version)
    return "post", _handover_url("declare", handover), {"password": PASSWORD}


@prepares("approve a section")
def _approve_section(handover, people, newcomer):
    data = {"section": client_list(handover).section_block_id, "password": PASSWORD}
    return "post", _handover_url("approve", handover), data


@prepares("reopen")
def _reopen(handover, people, newcomer):
    fill_everything(handover, people)
    services.handover_declare(
        actor=people["sales"], handover=handover, password=PASSWORD
    )
    confirm_everything(handover, people)
    handover.refresh_from_db()
    assert handover.state == Handover.State.IN_REVIEW
    data = {"reason": "The client list misses Globex."}
    return "post", _handover_url("reopen", handover), data


def footprint(handover: Handover) -> dict:
    """What a participant could notice had changed on the handover."""
    handover.refresh_from_db()
    return {
        "state": handover.state,
        "items": list(
            handover.items.order_by("pk").values_list(
                "pk", "state", "version", "data", "assignee_id", "not_applicable_reason"
            )
        ),
        "participants": sorted(handover.participants.values_list("user_id", "role")),
        "signatures": sorted(handover.signatures.values_list("pk", flat=True)),
        "comments": sorted(
            Comment.objects.filter(item__handover=handover).values_list(
                "pk", "resolved_at"
            )
        ),
        "attachments": Attachment.objects.filter(item__handover=handover).count(),
        "audit_events": handover.audit_events.count(),
    }


def _case(action, actor):
    reason = KNOWN_BUGS.get((action, actor))
    return pytest.param(
        action,
        actor,
        EXPECTED[action][actor],
        id=f"{action}-{actor}",
        marks=[pytest.mark.xfail(strict=True, reason=reason)] if reason else [],
    )


CASES = [_case(action, actor) for action in EXPECTED for actor in ACTORS]


@pytest.mark.parametrize(("action", "actor", "expected"), CASES)
def test_permission_matrix_pages(
    action, actor, expected, client, sales_handover, people, stranger, user_factory
):
    newcomer = user_factory(username="newcomer")
    newcomer.save()
    users = {
        "leaver": people["sales"],
        "successor": people["successor"],
        "manager": people["manager"],
        "hr": people["hr"],
        "it": people["it"],
        "stranger": stranger,
        "other": people["dev"],
    }
    method, url, data = ACTIONS[action](sales_handover, people, newcomer)
    before = footprint(sales_handover)
    client.force_login(users[actor])

    response = getattr(client, method)(url, data)

    assert response.status_code == expected
    after = footprint(sales_handover)
    if expected == 302:
        assert response["Location"].startswith(_handover_url("detail", sales_handover))
        assert after != before
        return
    assert after == before
    if expected == 200:
        body = b"".join(response.streaming_content) if response.streaming else None
        shown = body or response.content
        if action == "download attachment":
            assert shown == b"%PDF-1.4 clients"
        else:
            assert sales_handover.number.encode() in shown
        return
    html = response.content.decode()
    if expected == 403:
        assert sales_handover.number in html  # the handover page, again
        assert 'role="alert"' in html  # with the reason for the refusal
    else:
        assert sales_handover.number not in html


# The leaver in every other role ------------------------------------------------
#
# Segregation of duties: the departing employee never confirms, approves, reviews
# or runs their own handover, whatever roles they hold. Columns: `sales` leaving
# and also holding the role named (rows written around the services, as data
# from before the rule would be), and an HR admin (`hr`) leaving. Each cell is
# refused: the handover page again under 403 with the reason, nothing changed,
# no audit event.

LEAVER_AS = ("successor", "manager", "it", "hr", "hr admin")

# The leaver's item that each column's role confirms.
CONFIRMED_BY = {
    "successor": "Key client list",
    "manager": "Pending approvals",
    "it": "Customer group admin rights",
    "hr": "Badge and keys",
    "hr admin": "Badge and keys",
}

CONFIRM = "You cannot confirm items of your own handover."
LEAVER_REFUSALS = {
    "accept": CONFIRM,
    "return": CONFIRM,
    "accept resolved upstream": CONFIRM,
    "approve a section": "You cannot approve your own handover.",
    "approve": "You cannot approve your own handover.",
    "reopen": "You cannot reopen your own handover.",
    "assign an item": "You cannot assign items of your own handover.",
    "add a successor": (
        "You cannot manage your own handover: another HR admin must run it."
    ),
    "remove a successor": (
        "You cannot manage your own handover: another HR admin must run it."
    ),
}

LEAVER_ACTIONS, leaver_prepares = action_registry()


def _submitted(handover, column):
    """The leaver's item their column's role confirms, submitted by them."""
    item = item_of(handover, CONFIRMED_BY[column])
    return services.item_submit(
        actor=handover.employee.user, item=item, version=item.version
    )


def _decide(handover, column, decision):
    item = _submitted(handover, column)
    data = {
        "decision": decision,
        "version": item.version,
        "password": PASSWORD,
        "remarks": "Which one?",
    }
    return "post", _item_url("item_decide", item), data


@leaver_prepares("accept")
def _leaver_accept(handover, column, people, newcomer):
    return _decide(handover, column, "accept")


@leaver_prepares("return")
def _leaver_return(handover, column, people, newcomer):
    return _decide(handover, column, "return")


@leaver_prepares("accept resolved upstream")
def _leaver_accept_resolved(handover, column, people, newcomer):
    resolved_upstream_item(handover, role="hr" if column == "hr admin" else column)
    data = {"count": 1, "password": PASSWORD}
    return "post", _handover_url("accept_resolved", handover), data


@leaver_prepares("approve a section")
def _leaver_approve_section(handover, column, people, newcomer):
    section = item_of(handover, CONFIRMED_BY[column]).section_block_id
    data = {"section": section, "password": PASSWORD}
    return "post", _handover_url("approve", handover), data


@leaver_prepares("approve")
def _leaver_approve(handover, column, people, newcomer):
    bring_to_review(handover)
    return "post", _handover_url("approve", handover), {"password": PASSWORD}


@leaver_prepares("reopen")
def _leaver_reopen(handover, column, people, newcomer):
    bring_to_review(handover)
    data = {"reason": "The client list misses Globex."}
    return "post", _handover_url("reopen", handover), data


@leaver_prepares("assign an item")
def _leaver_assign(handover, column, people, newcomer):
    services.participant_add(
        actor=people["hrhead"],
        handover=handover,
        user=newcomer,
        role=ParticipantRole.SUCCESSOR,
    )
    item = client_list(handover)
    data = {"successor": newcomer.pk, "version": item.version}
    return "post", _item_url("item_assign", item), data


@leaver_prepares("add a successor")
def _leaver_add_successor(handover, column, people, newcomer):
    return "post", _handover_url("participant_add", handover), {"user": newcomer.pk}


@leaver_prepares("remove a successor")
def _leaver_remove_successor(handover, column, people, newcomer):
    url = _handover_url("participant_remove", handover)
    return "post", url, {"user": people["successor"].pk}


LEAVER_CASES = [
    pytest.param(action, column, id=f"{action}-leaver as {column}")
    for action in LEAVER_REFUSALS
    for column in LEAVER_AS
]


@pytest.mark.parametrize(("action", "column"), LEAVER_CASES)
def test_the_leaver_in_every_other_role_is_refused_on_the_pages(
    action, column, client, people, user_factory, request
):
    newcomer = user_factory(username="newcomer")
    newcomer.save()
    if column == "hr admin":
        handover = request.getfixturevalue("hr_leaver_handover")
        leaver = people["hr"]
    else:
        handover = request.getfixturevalue("sales_handover")
        leaver = give_leaver_role(handover, column)
    method, url, data = LEAVER_ACTIONS[action](handover, column, people, newcomer)
    before = footprint(handover)
    client.force_login(leaver)

    response = getattr(client, method)(url, data)

    assert response.status_code == 403
    html = response.content.decode()
    assert handover.number in html  # the handover page, again
    assert 'role="alert"' in html
    assert LEAVER_REFUSALS[action] in html  # with the reason
    assert footprint(handover) == before
