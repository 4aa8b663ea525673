"""Splitting a handover between several successors on the participant pages:
HR and the manager add successors and assign items, HR removes successors."""

import re

import pytest

from cms import services
from cms.models import Item, Participant, ParticipantRole, Signature
from tests.fixtures.handovers import PASSWORD, item_of
from tests.test_participant_pages import _detail, _item_html, _login, _submit


def _panel(html: str) -> str:
    """The rendered participants panel."""
    match = re.search(r'<details[^>]*id="participants".*?</details>', html, re.S)
    assert match, "the participants panel is not on the page"
    return match.group(0)


def _successors(handover) -> set:
    return set(
        Participant.objects.filter(
            handover=handover, role=ParticipantRole.SUCCESSOR
        ).values_list("user__username", flat=True)
    )


def _add_url(handover):
    return f"/en/handovers/{handover.pk}/participants/add/"


def _remove_url(handover):
    return f"/en/handovers/{handover.pk}/participants/remove/"


def _assign_url(item, language="en"):
    return f"/{language}/handovers/items/{item.pk}/assign/"


def _decide(client, item, password=PASSWORD):
    item.refresh_from_db()
    return client.post(
        f"/en/handovers/items/{item.pk}/decide/",
        {"decision": "accept", "version": item.version, "password": password},
    )


@pytest.fixture
def scripts(sales_handover):
    """An item the leaver fills and a successor confirms."""
    return item_of(sales_handover, "Sales scripts")


def test_manager_adds_a_successor_and_assigns_them_an_item(
    client, people, sales_handover, scripts
):
    _login(client, people["manager"])
    panel = _panel(client.get(_detail(sales_handover)).content.decode())
    assert "Add successor" in panel
    options = re.findall(r'<option value="(\d+)"', panel)
    assert str(people["dev"].pk) in options
    assert str(people["sales"].pk) not in options  # the leaver
    assert str(people["successor"].pk) not in options  # a successor already

    response = client.post(
        _add_url(sales_handover), {"user": people["dev"].pk}, follow=True
    )

    html = response.content.decode()
    assert "Lei Liu is now a successor." in html
    assert _successors(sales_handover) == {"successor", "dev"}
    block = _item_html(html, scripts)
    assert f'<option value="{people["dev"].pk}">Lei Liu</option>' in block

    response = client.post(
        _assign_url(scripts), {"successor": people["dev"].pk}, follow=True
    )

    assert "Assigned to Lei Liu." in response.content.decode()
    scripts.refresh_from_db()
    assert scripts.assignee == people["dev"]

    _submit(people["sales"], scripts)
    _login(client, people["successor"])
    block = _item_html(client.get(_detail(sales_handover)).content.decode(), scripts)
    assert "Lei Liu" in block
    assert "Accept with remarks" not in block
    refused = _decide(client, scripts)
    assert refused.status_code == 403
    assert "This item is confirmed by its successor." in refused.content.decode()
    assert not Signature.objects.filter(item=scripts).exists()

    _login(client, people["dev"])
    block = _item_html(client.get(_detail(sales_handover)).content.decode(), scripts)
    assert "Accept with remarks" in block
    assert _decide(client, scripts).status_code == 302
    scripts.refresh_from_db()
    assert scripts.state == Item.State.ACCEPTED
    assert Signature.objects.get(item=scripts).signer == people["dev"]


def test_hr_removes_a_successor_and_their_items_go_to_the_one_left(
    client, people, sales_handover, scripts
):
    services.participant_add(
        actor=people["hr"],
        handover=sales_handover,
        user=people["dev"],
        role=ParticipantRole.SUCCESSOR,
    )
    services.item_assign(actor=people["hr"], item=scripts, successor=people["dev"])
    _login(client, people["manager"])
    assert "Remove" not in _panel(client.get(_detail(sales_handover)).content.decode())

    _login(client, people["hr"])
    panel = _panel(client.get(_detail(sales_handover)).content.decode())
    assert "Remove Lei Liu as a successor?" in panel

    response = client.post(
        _remove_url(sales_handover), {"user": people["dev"].pk}, follow=True
    )

    html = response.content.decode()
    assert "Lei Liu is no longer a successor." in html
    assert _successors(sales_handover) == {"successor"}
    scripts.refresh_from_db()
    assert scripts.assignee == people["successor"]
    assert "No successor yet" not in _item_html(html, scripts)
    assert "have no successor yet" not in html

    _login(client, people["dev"])
    assert client.get(_detail(sales_handover)).status_code == 404


def test_leaver_and_successor_are_refused_and_a_stranger_gets_404(
    client, people, stranger, sales_handover, scripts
):
    posts = [
        (_add_url(sales_handover), {"user": people["dev"].pk}),
        (_remove_url(sales_handover), {"user": people["successor"].pk}),
        (_assign_url(scripts), {"successor": ""}),
    ]
    for person in (people["sales"], people["successor"]):
        _login(client, person)
        html = client.get(_detail(sales_handover)).content.decode()
        assert 'name="user"' not in _panel(html)
        assert 'name="successor"' not in _item_html(html, scripts)
        for url, data in posts:
            response = client.post(url, data)
            assert response.status_code == 403, (person, url)
            assert "<form" in response.content.decode()  # the page, with the reason

    _login(client, stranger)
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 404, url
        assert sales_handover.number not in response.content.decode()

    _login(client, people["manager"])
    assert client.post(*posts[1]).status_code == 403  # only HR removes

    assert _successors(sales_handover) == {"successor"}
    scripts.refresh_from_db()
    assert scripts.assignee == people["successor"]


def test_a_refused_choice_is_shown_next_to_its_form_in_the_users_language(
    client, people, sales_handover, scripts
):
    _login(client, people["manager"])

    response = client.post(
        _assign_url(scripts, "zh-hans"), {"successor": people["it"].pk}
    )

    assert response.status_code == 400
    block = _item_html(response.content.decode(), scripts)
    assert "请从此交接单的接交人中选择一位。" in block
    scripts.refresh_from_db()
    assert scripts.assignee == people["successor"]

    response = client.post(_add_url(sales_handover), {"user": people["sales"].pk})

    assert response.status_code == 400
    assert "The departing employee cannot be their own successor." in _panel(
        response.content.decode()
    )
    assert _successors(sales_handover) == {"successor"}


def test_live_state_and_item_blocks_change_with_assignments_and_participants(
    client, people, sales_handover, scripts
):
    _login(client, people["successor"])
    state_url = f"/en/handovers/{sales_handover.pk}/state/"
    etags = [client.get(state_url).json()["etag"]]

    def stamp():
        block = _item_html(
            client.get(_detail(sales_handover)).content.decode(), scripts
        )
        return re.search(r'data-version="([^"]+)"', block).group(1)

    stamps = [stamp()]
    services.participant_add(
        actor=people["manager"],
        handover=sales_handover,
        user=people["dev"],
        role=ParticipantRole.SUCCESSOR,
    )
    services.item_assign(actor=people["manager"], item=scripts, successor=people["dev"])
    changed = client.get(state_url, headers={"if-none-match": f'"{etags[-1]}"'})
    assert changed.status_code == 200
    etags.append(changed.json()["etag"])
    stamps.append(stamp())

    services.participant_remove(
        actor=people["hr"],
        handover=sales_handover,
        user=people["dev"],
        role=ParticipantRole.SUCCESSOR,
    )
    etags.append(client.get(state_url).json()["etag"])
    stamps.append(stamp())

    assert len(set(etags)) == 3
    assert len(set(stamps)) == 3
