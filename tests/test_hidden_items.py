"""Items hidden by their condition: listed as not visible, refused with 409 and
the reason, and left out of progress and blockers alike."""

import json

from rest_framework.test import APIClient

from cms import selectors, services
from cms.services import handover_blockers
from tests.fixtures.handovers import PASSWORD, item_of

API = "/api/v1"
QUESTION = "Did you promise any client a discount?"
HIDDEN = "Promised discounts and commitments"
REASON = (
    "This item is hidden because “Did you promise any client a discount?” is not "
    "answered “Yes”."
)


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _listed(client, handover, label) -> dict:
    response = client.get(f"{API}/handovers/{handover.pk}/items/?page_size=100")
    assert response.status_code == 200
    return next(item for item in response.json()["results"] if item["label"] == label)


def _answer(handover, people, value):
    question = item_of(handover, QUESTION)
    return services.item_update(
        actor=people["sales"],
        item=question,
        version=question.version,
        data={"value": value},
    )


def _required_open_count(handover) -> int:
    for blocker in handover_blockers(handover):
        if "required item(s) are not accepted yet" in blocker:
            return int(blocker.split()[0])
    return 0


def test_a_hidden_item_is_listed_as_not_visible_and_not_fillable(
    sales_handover, people
):
    leaver = as_user(people["sales"])

    listed = _listed(leaver, sales_handover, HIDDEN)
    detail = leaver.get(f"{API}/items/{listed['id']}/").json()

    assert listed["visible"] is False
    assert listed["can_fill"] is False
    assert detail["visible"] is False
    assert detail["can_fill"] is False
    assert _listed(leaver, sales_handover, QUESTION)["visible"] is True


def test_filling_a_hidden_item_is_refused_with_the_reason(sales_handover, people):
    hidden = item_of(sales_handover, HIDDEN)
    leaver = as_user(people["sales"])
    url = f"{API}/items/{hidden.pk}"

    patched = leaver.patch(
        f"{url}/",
        json.dumps({"version": 1, "data": {"description": "x"}}),
        content_type="application/json",
    )
    submitted = leaver.post(f"{url}/submit/", {"version": 1}, format="json")
    not_applicable = leaver.post(
        f"{url}/not-applicable/", {"version": 1, "reason": "none"}, format="json"
    )

    for response in (patched, submitted, not_applicable):
        assert response.status_code == 409
        assert response.json()["detail"] == REASON
    hidden.refresh_from_db()
    assert hidden.version == 1
    assert hidden.state == "pending"


def test_answering_the_question_shows_the_item_and_it_can_be_filled(
    sales_handover, people
):
    leaver = as_user(people["sales"])
    _answer(sales_handover, people, True)

    listed = _listed(leaver, sales_handover, HIDDEN)
    response = leaver.patch(
        f"{API}/items/{listed['id']}/",
        json.dumps({"version": 1, "data": {"description": "10% to Acme"}}),
        content_type="application/json",
    )

    assert listed["visible"] is True
    assert listed["can_fill"] is True
    assert response.status_code == 200


def test_a_submitted_item_hidden_afterwards_cannot_be_accepted(sales_handover, people):
    _answer(sales_handover, people, True)
    hidden = item_of(sales_handover, HIDDEN)
    services.item_submit(actor=people["sales"], item=hidden, version=1)
    _answer(sales_handover, people, False)
    successor = as_user(people["successor"])

    listed = _listed(successor, sales_handover, HIDDEN)
    accepted = successor.post(
        f"{API}/items/{hidden.pk}/accept/",
        {"version": 2, "password": PASSWORD},
        format="json",
    )
    returned = successor.post(
        f"{API}/items/{hidden.pk}/return/",
        {"version": 2, "password": PASSWORD, "reason": "?"},
        format="json",
    )

    assert listed["can_confirm"] is False
    assert accepted.status_code == 409
    assert "This item is hidden because" in accepted.json()["detail"]
    assert returned.status_code == 409
    hidden.refresh_from_db()
    assert hidden.state == "submitted"


def test_progress_and_blockers_count_the_same_visible_items(sales_handover, people):
    before = selectors.handover_progress(handover=sales_handover)
    open_before = _required_open_count(sales_handover)

    _answer(sales_handover, people, True)

    after = selectors.handover_progress(handover=sales_handover)
    assert after["total"] == before["total"] + 1
    assert _required_open_count(sales_handover) == open_before + 1
    assert (
        selectors.handovers_progress(handover_ids=[sales_handover.pk])[
            sales_handover.pk
        ]
        == after
    )
