"""One rule per action: the check a page or the API offers a button by is the
one its service raises. What a check allows, the service does; what it
refuses, the service refuses with the same error and the same words.

Each row is an action on the sales handover, prepared so that the people of
the handover differ in what they may do; each person's check is compared
with what the service answers them (their request is rolled back)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from cms import services
from cms.errors import BatonError
from cms.models import Handover
from cms.services.approval import handover_approve_check, handover_reopen_check
from cms.services.assigning import item_assign_check
from cms.services.confirming import item_accept_check, item_return_check
from cms.services.discussion import (
    attachment_add_check,
    comment_add_check,
    comment_resolve_check,
)
from cms.services.items import (
    item_mark_not_applicable_check,
    item_submit_check,
    item_update_check,
)
from cms.services.participants import (
    participant_add_check,
    participant_remove_check,
)
from cms.services.review import handover_cancel_check, handover_declare_check
from tests.fixtures.handovers import (
    PASSWORD,
    action_registry,
    bring_to_review,
    client_list,
    fill_everything,
    submitted_client_list,
)

PEOPLE = ("sales", "successor", "manager", "hr", "it")

# Each action prepares the handover and returns (check, its arguments, the
# service call for one person).
ACTIONS, prepares = action_registry()


def _pdf():
    return SimpleUploadedFile("clients.pdf", b"%PDF-1.4 clients")


@prepares("fill an item")
def _fill(handover, people):
    item = client_list(handover)

    def call(actor):
        services.item_update(
            actor=actor, item=item, version=item.version, data={"customer": "ACME"}
        )

    return item_update_check, {"item": item}, call


@prepares("change a submitted item")
def _change_submitted(handover, people):
    item = submitted_client_list(handover, people)

    def call(actor):
        services.item_update(
            actor=actor, item=item, version=item.version, data={"customer": "ACME"}
        )

    return item_update_check, {"item": item}, call


@prepares("submit")
def _submit(handover, people):
    item = client_list(handover)

    def call(actor):
        services.item_submit(actor=actor, item=item, version=item.version)

    return item_submit_check, {"item": item}, call


@prepares("not applicable")
def _not_applicable(handover, people):
    item = client_list(handover)

    def call(actor):
        services.item_mark_not_applicable(
            actor=actor, item=item, version=item.version, reason="No clients."
        )

    return item_mark_not_applicable_check, {"item": item}, call


@prepares("attach")
def _attach(handover, people):
    item = client_list(handover)

    def call(actor):
        services.attachment_add(actor=actor, item=item, uploaded_file=_pdf())

    return attachment_add_check, {"item": item}, call


@prepares("accept")
def _accept(handover, people):
    item = submitted_client_list(handover, people)

    def call(actor):
        services.item_accept(
            actor=actor, item=item, version=item.version, password=PASSWORD
        )

    return item_accept_check, {"item": item}, call


@prepares("accept an item to fill")
def _accept_pending(handover, people):
    item = client_list(handover)

    def call(actor):
        services.item_accept(
            actor=actor, item=item, version=item.version, password=PASSWORD
        )

    return item_accept_check, {"item": item}, call


@prepares("return")
def _return(handover, people):
    item = submitted_client_list(handover, people)

    def call(actor):
        services.item_return(
            actor=actor,
            item=item,
            version=item.version,
            reason="Which contact?",
            password=PASSWORD,
        )

    return item_return_check, {"item": item}, call


@prepares("assign")
def _assign(handover, people):
    item = client_list(handover)

    def call(actor):
        services.item_assign(
            actor=actor, item=item, successor=people["successor"], version=1
        )

    return item_assign_check, {"item": item}, call


@prepares("ask a question")
def _ask(handover, people):
    item = client_list(handover)

    def call(actor):
        services.comment_add(actor=actor, item=item, body="Who?", is_question=True)

    return comment_add_check, {"item": item}, call


@prepares("resolve a question")
def _resolve(handover, people):
    question = services.comment_add(
        actor=people["successor"],
        item=client_list(handover),
        body="Who signs?",
        is_question=True,
    )

    def call(actor):
        services.comment_resolve(actor=actor, comment=question)

    return comment_resolve_check, {"comment": question}, call


@prepares("declare")
def _declare(handover, people):
    fill_everything(handover, people)

    def call(actor):
        services.handover_declare(actor=actor, handover=handover, password=PASSWORD)

    return handover_declare_check, {"handover": handover}, call


@prepares("approve a section")
def _approve_section(handover, people):
    section = client_list(handover).section_block_id

    def call(actor):
        services.handover_approve(
            actor=actor, handover=handover, password=PASSWORD, section_block_id=section
        )

    return handover_approve_check, {"handover": handover, "section": True}, call


@prepares("approve")
def _approve(handover, people):
    bring_to_review(handover)

    def call(actor):
        services.handover_approve(actor=actor, handover=handover, password=PASSWORD)

    return handover_approve_check, {"handover": handover}, call


@prepares("reopen")
def _reopen(handover, people):
    bring_to_review(handover)

    def call(actor):
        services.handover_reopen(actor=actor, handover=handover, reason="Globex.")

    return handover_reopen_check, {"handover": handover}, call


@prepares("cancel")
def _cancel(handover, people):
    def call(actor):
        services.handover_cancel(actor=actor, handover=handover, reason="Withdrawn.")

    return handover_cancel_check, {"handover": handover}, call


@prepares("add a successor")
def _add_successor(handover, people):
    def call(actor):
        services.participant_add(
            actor=actor, handover=handover, user=people["dev"], role="successor"
        )

    return participant_add_check, {"handover": handover}, call


@prepares("remove a successor")
def _remove_successor(handover, people):
    def call(actor):
        services.participant_remove(
            actor=actor, handover=handover, user=people["successor"], role="successor"
        )

    return participant_remove_check, {"handover": handover}, call


def _refused_with(refusal):
    if refusal is None:
        return None
    error = refusal.error()
    return type(error).__name__, str(error.message)


def _service_answer(call, actor):
    """What the service answers ``actor``: None when it did it (undone)."""
    with transaction.atomic():
        try:
            call(actor)
        except BatonError as error:
            return type(error).__name__, str(error.message)
        finally:
            transaction.set_rollback(True)
    return None


@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_check_says_what_its_service_does(action, sales_handover, people):
    check, arguments, call = ACTIONS[action](sales_handover, people)
    checks, services_said = {}, {}
    for name in PEOPLE:
        # Fresh objects, as a page or the API reads them.
        target = {
            key: type(value).objects.get(pk=value.pk)
            if hasattr(value, "_meta")
            else value
            for key, value in arguments.items()
        }
        checks[name] = _refused_with(check(actor=people[name], **target))
        services_said[name] = _service_answer(call, people[name])

    assert checks == services_said


def test_a_page_asks_without_a_query_per_item(
    sales_handover, people, django_assert_num_queries
):
    handover = Handover.objects.get(pk=sales_handover.pk)
    items = list(handover.items.all())
    for item in items:
        item.handover = handover  # as the page and the API share it
    viewers = [people["sales"], people["successor"], people["hr"]]
    for viewer in viewers:  # each viewer's roles are read once
        item_update_check(actor=viewer, item=items[0], visible=True)

    with django_assert_num_queries(0):
        for viewer in viewers:
            for item in items:
                item_update_check(actor=viewer, item=item, visible=True)
                item_accept_check(actor=viewer, item=item, visible=True)
                comment_add_check(actor=viewer, item=item)
