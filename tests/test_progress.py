"""Progress counts filled, submitted and accepted items, for the leaver and
everyone else, in the API, the admin list and the selectors alike."""

import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from cms import selectors, services
from cms.models import Item
from tests.fixtures.handovers import PASSWORD, client_list, fill_everything

API = "/api/v1"
FIELDS = {
    "total",
    "filled",
    "submitted",
    "accepted",
    "done",
    "percent",
    "submitted_percent",
    "filled_percent",
}


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _both(handover) -> dict:
    one = selectors.handover_progress(handover=handover)
    many = selectors.handovers_progress(handover_ids=[handover.pk])[handover.pk]
    assert one == many
    return one


def test_a_new_handover_has_nothing_filled(sales_handover):
    progress = _both(sales_handover)

    assert set(progress) == FIELDS
    assert progress["total"] > 0
    assert progress["filled"] == progress["submitted"] == progress["accepted"] == 0
    assert progress["percent"] == progress["submitted_percent"] == 0


def test_everything_submitted_shows_as_submitted_not_zero(sales_handover, people):
    fill_everything(sales_handover, people)

    progress = _both(sales_handover)

    assert progress["percent"] == 0  # nothing accepted yet
    assert progress["submitted"] == progress["total"]
    assert progress["submitted_percent"] == 100
    assert progress["filled_percent"] == 100


def test_typed_returned_and_accepted_items_count_where_they_are(sales_handover, people):
    item = client_list(sales_handover)
    item = services.item_update(
        actor=people["sales"], item=item, version=1, data={"customer": "Acme"}
    )
    assert _both(sales_handover)["filled"] == 1  # typed, still to fill

    item = services.item_submit(actor=people["sales"], item=item, version=2)
    assert _both(sales_handover)["submitted"] == 1
    item = services.item_return(
        actor=people["successor"],
        item=item,
        version=3,
        reason="Which contact?",
        password=PASSWORD,
    )
    returned = _both(sales_handover)
    assert returned["submitted"] == 0
    assert returned["filled"] == 1

    answer = item.comments.get()
    services.comment_resolve(actor=people["successor"], comment=answer)
    item = services.item_submit(actor=people["sales"], item=item, version=4)
    services.item_accept(
        actor=people["successor"], item=item, version=5, password=PASSWORD
    )
    accepted = _both(sales_handover)
    assert accepted["accepted"] == accepted["done"] == 1
    assert accepted["filled"] == 1
    assert accepted["submitted_percent"] == accepted["percent"] > 0


def test_a_record_a_connector_put_in_counts_as_filled(sales_handover, people):
    Item.objects.create(
        handover=sales_handover,
        block_id=f"crm:{uuid.uuid4().hex[:20]}",
        position=99,
        kind="connector_list",
        label="Acme",
        data={"external_id": "1", "record_kind": "client", "data": {}},
        provenance={"data.customer": {"source": "sync", "connector": "crm"}},
        filled_by_role="leaver",
        confirmed_by_role="successor",
    )

    progress = _both(sales_handover)

    assert progress["filled"] == 1
    assert progress["submitted"] == 0


def test_the_api_shows_every_figure_and_the_list_in_one_progress_query(
    sales_handover, people
):
    fill_everything(sales_handover, people)
    leaver = as_user(people["sales"])

    listed = leaver.get(f"{API}/handovers/").json()["results"][0]["progress"]
    detail = leaver.get(f"{API}/handovers/{sales_handover.pk}/").json()["progress"]
    with CaptureQueriesContext(connection) as queries:
        selectors.handovers_progress(handover_ids=[sales_handover.pk])

    assert listed == detail
    assert set(listed) == FIELDS
    assert listed["submitted_percent"] == 100
    assert len(queries) == 1


def test_the_admin_list_shows_what_waits_for_confirmation(
    client, sales_handover, people
):
    fill_everything(sales_handover, people)
    client.force_login(people["hr"])

    page = client.get("/admin/handovers/").content.decode()

    total = selectors.handover_progress(handover=sales_handover)["total"]
    assert f"0 of {total} done (0%)" in page
    assert f"{total} submitted, waiting for confirmation" in page
