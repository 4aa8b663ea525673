"""The handover page of a big handover (a connector's 10,000-row client list):
sections with counts, pages of items, filters in the URL, and what each item
shows — hidden, submitted, accepted, resolved upstream."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms import services
from cms.models import Item, Signature
from cms.participant.filters import ONE_PAGE_UP_TO, PAGE_SIZE
from tests.fixtures.handovers import PASSWORD, item_of

CLIENTS_SECTION = "clients"
MEGABYTE = 1024 * 1024


def add_client_records(handover, count, *, start=0, successor=None):
    """``count`` client records as a connector fills them, created in bulk:
    filled by the leaver, confirmed by the successor."""
    now = timezone.now().isoformat()
    definition = {
        "label": "Clients from the CRM",
        "connector": "crm",
        "record_kind": "client",
        "filter": [],
        "field_mapping": [],
        "required": True,
        "filled_by": "leaver",
        "confirmed_by": "successor",
        "condition": {"field_key": "", "operator": "is_yes", "value": ""},
    }
    Item.objects.bulk_create(
        Item(
            handover=handover,
            block_id=f"crm-clients-{number:05d}",
            section_block_id=CLIENTS_SECTION,
            section_title="Client list",
            position=1000,
            kind="connector_list",
            label=f"Client {number:05d}",
            definition=definition,
            data={
                "external_id": f"C{number:05d}",
                "record_kind": "client",
                "data": {"customer": f"Client {number:05d}"},
            },
            provenance={
                "data.customer": {"source": "sync", "connector": "crm", "at": now}
            },
            filled_by_role="leaver",
            confirmed_by_role="successor",
            assignee=successor,
        )
        for number in range(start, start + count)
    )


def clients(handover):
    return handover.items.filter(section_block_id=CLIENTS_SECTION).order_by("pk")


def page(client, handover, **query):
    response = client.get(f"/en/handovers/{handover.pk}/", query)
    assert response.status_code == 200
    return response.content.decode()


def listed_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-item-id="(\d+)"', html)]


def section_row(html: str, title: str) -> str:
    match = re.search(
        rf'<li class="p-sections__row[^"]*">\s*<a[^>]*>{title}</a>.*?</li>', html, re.S
    )
    assert match, f"no section {title!r}"
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", match.group(0))))


@pytest.fixture
def big_handover(people, sales_handover):
    add_client_records(sales_handover, 10_000, successor=people["successor"])
    return sales_handover


# 10,000 items ----------------------------------------------------------------------


def test_the_first_view_of_10000_items_is_one_small_page_with_section_counts(
    client, people, big_handover
):
    client.force_login(people["sales"])

    html = page(client, big_handover)

    assert len(html.encode()) <= MEGABYTE
    assert len(listed_ids(html)) == PAGE_SIZE
    row = section_row(html, "Client list")
    assert "0/10000 done" in row
    assert "10000 waiting for me" in row  # the leaver fills every one
    assert "Items 1\N{EN DASH}50 of 10,0" in html
    assert 'rel="next" href="/en/handovers/' in html


def test_filters_by_state_and_search_find_the_right_items(client, people, big_handover):
    submitted = list(clients(big_handover)[:3])
    Item.objects.filter(pk__in=[item.pk for item in submitted]).update(
        state=Item.State.SUBMITTED
    )
    client.force_login(people["successor"])

    html = page(client, big_handover, state="submitted", section=CLIENTS_SECTION)
    assert listed_ids(html) == [item.pk for item in submitted]

    html = page(client, big_handover, q="client 04242")
    found = clients(big_handover).get(label="Client 04242")
    assert listed_ids(html) == [found.pk]
    html = page(client, big_handover, q="C09999")  # the record's id upstream
    assert listed_ids(html) == [clients(big_handover).get(label="Client 09999").pk]


def test_waiting_for_me_differs_for_leaver_and_successor(client, people, big_handover):
    submitted = list(clients(big_handover)[:2])
    Item.objects.filter(pk__in=[item.pk for item in submitted]).update(
        state=Item.State.SUBMITTED
    )

    client.force_login(people["successor"])
    html = page(client, big_handover, mine="1", section=CLIENTS_SECTION)
    assert listed_ids(html) == [item.pk for item in submitted]
    assert "2 waiting for me" in section_row(html, "Client list")

    client.force_login(people["sales"])
    html = page(client, big_handover, mine="1", section=CLIENTS_SECTION)
    assert "9998 waiting for me" in section_row(html, "Client list")
    assert not set(listed_ids(html)) & {item.pk for item in submitted}
    assert len(listed_ids(html)) == PAGE_SIZE


def _queries(client, handover) -> int:
    with CaptureQueriesContext(connection) as queries:
        page(client, handover)
    return len(queries)


def test_the_page_costs_the_same_queries_at_100_and_1100_items(
    client, people, sales_handover
):
    add_client_records(sales_handover, 100, successor=people["successor"])
    client.force_login(people["successor"])
    page(client, sales_handover)  # warm the caches (templates, permissions)
    small = _queries(client, sales_handover)

    add_client_records(sales_handover, 1000, start=100, successor=people["successor"])
    big = _queries(client, sales_handover)

    assert big == small


# Small handovers stay one page ------------------------------------------------------


def test_a_handover_of_up_to_100_items_is_one_page(client, people, sales_handover):
    shown = sales_handover.items.count()
    add_client_records(sales_handover, ONE_PAGE_UP_TO - shown)
    client.force_login(people["sales"])

    html = page(client, sales_handover)

    assert len(listed_ids(html)) == ONE_PAGE_UP_TO
    assert "p-pagination" not in html
    assert 'href="/en/handovers/' in html and "#section-" in html  # anchors


# Actions come back to the same view ------------------------------------------------


def test_an_action_returns_to_the_same_filter_page_and_item(
    client, people, big_handover
):
    client.force_login(people["sales"])
    html = page(client, big_handover, section=CLIENTS_SECTION, page="3")
    item = Item.objects.get(pk=listed_ids(html)[0])
    action = f"/en/handovers/items/{item.pk}/save/?section={CLIENTS_SECTION}&amp;page=3"
    assert f'action="{action}#item-{item.pk}"' in html

    response = client.post(
        unescape(action),
        {"version": item.version, "data.data.customer": "ACME", "intent": "submit"},
    )

    assert response.status_code == 302
    assert response["Location"] == (
        f"/en/handovers/{big_handover.pk}/?section={CLIENTS_SECTION}&page=3"
        f"#item-{item.pk}"
    )
    item.refresh_from_db()
    assert item.state == Item.State.SUBMITTED
    assert item.data["data"]["customer"] == "ACME"


def test_a_refused_action_shows_the_same_view_with_its_message(
    client, people, big_handover
):
    client.force_login(people["sales"])
    item = clients(big_handover)[120]

    response = client.post(
        f"/en/handovers/items/{item.pk}/save/?state=pending&page=2",
        {"version": item.version + 5, "data.data.customer": "Globex"},
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert item.pk in listed_ids(html)
    assert "Page 2 of" in html
    assert 'value="Globex"' in html


# What each item shows ----------------------------------------------------------------


def test_hidden_items_have_no_form_and_are_listed_on_their_own(
    client, people, sales_handover
):
    laptop = item_of(sales_handover, "Return the laptop")
    client.force_login(people["sales"])

    html = page(client, sales_handover, state="hidden")

    assert laptop.pk in listed_ids(html)
    assert (
        "<form"
        not in html.split(f'data-item-id="{laptop.pk}"', 1)[1].split("</details>", 1)[0]
    )
    assert laptop.pk not in listed_ids(page(client, sales_handover, mine="1"))
    assert laptop.pk not in listed_ids(page(client, sales_handover, state="pending"))


def test_progress_shows_what_the_leaver_submitted(client, people, sales_handover):
    leaver = people["sales"]
    for label in ("Sales scripts", "Open orders and quotes"):
        item = item_of(sales_handover, label)
        services.item_submit(actor=leaver, item=item, version=item.version)
    client.force_login(leaver)

    text = re.sub(r"\s+", " ", unescape(page(client, sales_handover)))

    assert "2 submitted, waiting for confirmation" in text
    assert re.search(r"Your part: 2 of \d+ submitted", text)


def test_an_accepted_item_names_who_accepted_it_after_the_successor_changes(
    client, people, sales_handover
):
    scripts = item_of(sales_handover, "Sales scripts")
    scripts = services.item_submit(
        actor=people["sales"], item=scripts, version=scripts.version
    )
    services.item_accept(
        actor=people["successor"],
        item=scripts,
        version=scripts.version,
        password=PASSWORD,
    )
    services.participant_remove(
        actor=people["hr"],
        handover=sales_handover,
        user=people["successor"],
        role="successor",
    )
    client.force_login(people["sales"])

    html = page(client, sales_handover)
    block = html.split(f'data-item-id="{scripts.pk}"', 1)[1].split("</article>", 1)[0]

    name = people["successor"].get_full_name()
    assert "Accepted by" in block
    assert name in block
    assert "No successor yet" not in block


def _resolve_upstream(items):
    at = timezone.now().isoformat()
    for item in items:
        item.state = Item.State.NOT_APPLICABLE
        item.not_applicable_reason = "Resolved upstream in CRM (sample)."
        item.provenance = {
            **item.provenance,
            "resolved_upstream": {"at": at, "previous_state": "pending"},
        }
        item.version += 1
    Item.objects.bulk_update(
        items, ["state", "not_applicable_reason", "provenance", "version"]
    )


def test_items_resolved_upstream_say_they_are_not_signed_and_are_confirmed_at_once(
    client, people, sales_handover
):
    add_client_records(sales_handover, 3, successor=people["successor"])
    resolved = list(clients(sales_handover))
    _resolve_upstream(resolved)
    client.force_login(people["successor"])

    html = page(client, sales_handover, section=CLIENTS_SECTION)
    block = html.split(f'data-item-id="{resolved[0].pk}"', 1)[1].split("</article>")[0]
    assert "Resolved in crm on" in block
    assert "not signed" in block
    assert "Sign and accept" in block
    assert "Return with a question" not in block
    assert "Confirm all resolved" in html

    refused = client.post(
        f"/en/handovers/{sales_handover.pk}/accept-resolved/?section={CLIENTS_SECTION}",
        {"count": 2, "password": PASSWORD},
    )
    assert refused.status_code == 409
    response = client.post(
        f"/en/handovers/{sales_handover.pk}/accept-resolved/?section={CLIENTS_SECTION}",
        {"count": 3, "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"].endswith(f"?section={CLIENTS_SECTION}")
    assert (
        Signature.objects.filter(item__in=resolved, signer=people["successor"]).count()
        == 3
    )
    html = page(client, sales_handover, section=CLIENTS_SECTION)
    assert "Resolved in crm on" not in html
    assert "Confirm all resolved" not in html
    assert "Accepted by" in html
