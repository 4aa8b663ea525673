"""Successor changes move the work: removing, adding and swapping successors
reassign their open items (audited, one version each); accepted items keep who
signed them; suggestions put peers before the manager and say why."""

from rest_framework.test import APIClient

from cms import services
from cms.models import AuditEvent, ChecklistTemplatePage, Employee, Item, ItemVersion
from reports.services import certificate_data
from tests.fixtures.handovers import PASSWORD, item_of

API = "/api/v1"


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _successor_items(handover):
    return handover.items.filter(confirmed_by_role="successor")


def _open(handover, user) -> int:
    return (
        _successor_items(handover)
        .filter(assignee=user)
        .exclude(state__in=Item.DONE_STATES)
        .count()
    )


def _accepted_scripts(handover, people) -> Item:
    scripts = item_of(handover, "Sales scripts")
    services.item_submit(actor=people["sales"], item=scripts, version=1)
    return services.item_accept(
        actor=people["successor"], item=scripts, version=2, password=PASSWORD
    )


def test_a_swap_moves_every_open_item_and_keeps_who_signed(sales_handover, people):
    scripts = _accepted_scripts(sales_handover, people)
    open_before = _open(sales_handover, people["successor"])
    assert open_before > 0

    response = as_user(people["hr"]).post(
        f"{API}/handovers/{sales_handover.pk}/participants/replace/",
        {"user": people["successor"].pk, "replacement": people["dev"].pk},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert _open(sales_handover, people["dev"]) == open_before
    assert _open(sales_handover, people["successor"]) == 0
    scripts.refresh_from_db()
    assert scripts.assignee == people["successor"]
    dev = as_user(people["dev"])
    mine = dev.get(
        f"{API}/handovers/{sales_handover.pk}/items/"
        f"?assignee={people['dev'].pk}&page_size=100"
    ).json()
    assert mine["count"] == open_before
    listed = dev.get(f"{API}/items/{scripts.pk}/").json()
    assert listed["accepted_by"]["username"] == "successor"
    moved = ItemVersion.objects.filter(item__handover=sales_handover, action="assign")
    assert moved.count() == open_before
    assert AuditEvent.objects.filter(
        handover=sales_handover, action="items.reassigned"
    ).exists()
    assert not any(
        "no successor" in b for b in services.handover_blockers(sales_handover)
    )


def test_removing_one_of_two_successors_hands_their_items_to_the_other(
    sales_handover, people
):
    services.participant_add(
        actor=people["hr"],
        handover=sales_handover,
        user=people["dev"],
        role="successor",
    )
    open_items = _open(sales_handover, people["successor"])

    services.participant_remove(
        actor=people["hr"],
        handover=sales_handover,
        user=people["successor"],
        role="successor",
    )

    assert _open(sales_handover, people["dev"]) == open_items


def test_removing_one_of_three_leaves_the_items_unassigned_and_says_so(
    sales_handover, people
):
    for username in ("dev", "manager"):
        services.participant_add(
            actor=people["hr"],
            handover=sales_handover,
            user=people[username],
            role="successor",
        )
    open_items = _open(sales_handover, people["successor"])

    services.participant_remove(
        actor=people["hr"],
        handover=sales_handover,
        user=people["successor"],
        role="successor",
    )

    assert _open(sales_handover, None) == open_items
    blockers = services.handover_blockers(sales_handover)
    assert any(b.endswith("item(s) have no successor yet.") for b in blockers)


def test_the_only_successor_added_takes_the_items_nobody_has(sales_handover, people):
    services.participant_remove(
        actor=people["hr"],
        handover=sales_handover,
        user=people["successor"],
        role="successor",
    )
    unassigned = _open(sales_handover, None)
    assert unassigned > 0

    services.participant_add(
        actor=people["hr"],
        handover=sales_handover,
        user=people["dev"],
        role="successor",
    )

    assert _open(sales_handover, people["dev"]) == unassigned
    assert _open(sales_handover, None) == 0


def test_accepting_an_item_nobody_had_makes_the_signer_its_successor(
    sales_handover, people
):
    scripts = item_of(sales_handover, "Sales scripts")
    services.item_assign(actor=people["hr"], item=scripts, successor=None)
    scripts.refresh_from_db()
    services.item_submit(actor=people["sales"], item=scripts, version=scripts.version)
    scripts.refresh_from_db()

    services.item_accept(
        actor=people["successor"],
        item=scripts,
        version=scripts.version,
        password=PASSWORD,
    )

    scripts.refresh_from_db()
    assert scripts.assignee == people["successor"]


def test_the_certificate_names_who_signed_even_after_a_swap(sales_handover, people):
    _accepted_scripts(sales_handover, people)
    services.participant_replace(
        actor=people["hr"],
        handover=sales_handover,
        user=people["successor"],
        replacement=people["dev"],
    )
    data = certificate_data(sales_handover, code="TEST", root_hash="0" * 64)

    rows = {item.label: item for section in data.sections for item in section.items}
    assert rows["Sales scripts"].successor_name == "Jing Yang"
    open_row = rows["Key client list"]
    assert open_row.successor_name == "Lei Liu"


def test_suggestions_put_a_peer_first_and_the_manager_last_with_reasons(people):
    sales = Employee.objects.get(user=people["sales"])

    suggestions = services.suggest_successors(employee=sales)

    assert [s.user.username for s in suggestions] == ["successor", "manager"]
    assert suggestions[0].reason == "Same department (Sales) and role (Sales)."
    assert suggestions[-1].reason == "Their manager, if no colleague should take over."
    assert "sales" not in [s.user.username for s in suggestions]


def test_without_a_peer_the_manager_is_suggested_and_says_why(people):
    dev = Employee.objects.get(user=people["dev"])

    suggestions = services.suggest_successors(employee=dev)

    assert [s.user.username for s in suggestions] == ["manager"]
    assert "no colleague in the department" in suggestions[0].reason


def test_started_without_successors_the_best_peer_takes_over(people):
    response = as_user(people["hr"]).post(
        f"{API}/handovers/",
        {
            "employee": Employee.objects.get(user=people["sales"]).pk,
            "template": ChecklistTemplatePage.objects.get(
                slug="sales", locale__language_code="en"
            ).pk,
            "last_working_day": "2026-12-31",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    successors = [
        p["user"]["username"]
        for p in response.json()["participants"]
        if p["role"] == "successor"
    ]
    assert successors == ["successor"]
