"""The list filters the dashboard links to: handover list filters added by
other apps through the ``baton_handover_list_filters`` hook, the existing
state / overdue links, and the IT queue's ``due=today``."""

import csv
import datetime
import io
import re
from html import unescape

import django_filters
import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail import hooks

from cms.admin_views.filters import HANDOVER_LIST_FILTERS_HOOK
from cms.models import Handover
from connectors.models import AccessAction, AccessGrant
from tests.fixtures.handovers import PASSWORD

pytestmark = pytest.mark.django_db

NUMBER = re.compile(r"HO-\d{4}-\d{5}")


def _login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


def _numbers(client, url) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200
    return set(NUMBER.findall(unescape(response.content.decode())))


def _csv(client, url) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture
def hr(people, client):
    return _login(client, "hr")


@pytest.fixture
def dev_handover(people):
    return Handover.objects.get(employee__user__username="dev")


def _only_number(queryset, name, value):
    return queryset.filter(number=value)


def _number_filter():
    return {
        "only": django_filters.CharFilter(label="Only", method=_only_number),
    }


# Filters added through the hook ------------------------------------------------------


def test_a_filter_registered_on_the_hook_narrows_the_handover_list(
    hr, sales_handover, dev_handover
):
    # Given a hook that adds an "only" filter
    with hooks.register_temporarily(HANDOVER_LIST_FILTERS_HOOK, _number_filter):
        # When HR follows a link with it
        url = f"/admin/handovers/?only={sales_handover.number}"
        numbers = _numbers(hr, url)
        sheet = _csv(hr, f"{url}&export=csv")

    # Then the list and its download hold that handover alone
    assert numbers == {sales_handover.number}
    assert [row[0] for row in sheet[1:]] == [sales_handover.number]


def test_without_the_hook_the_parameter_is_ignored(hr, sales_handover, dev_handover):
    numbers = _numbers(hr, f"/admin/handovers/?only={sales_handover.number}")

    assert numbers == {sales_handover.number, dev_handover.number}


def test_a_hook_cannot_replace_a_filter_the_list_declares(
    hr, sales_handover, dev_handover
):
    def nothing(queryset, name, value):
        return queryset.none()

    def hostile():
        return {"state": django_filters.CharFilter(method=nothing)}

    with hooks.register_temporarily(HANDOVER_LIST_FILTERS_HOOK, hostile):
        numbers = _numbers(hr, "/admin/handovers/?state=in_progress")

    assert numbers == {sales_handover.number, dev_handover.number}


def test_a_hook_filter_shows_in_the_filter_panel(hr, sales_handover):
    with hooks.register_temporarily(HANDOVER_LIST_FILTERS_HOOK, _number_filter):
        page = hr.get("/admin/handovers/").content.decode()

    assert 'name="only"' in page


# The links the dashboard uses that exist already ------------------------------------


def test_the_state_link_shows_exactly_those_handovers(hr, sales_handover, dev_handover):
    Handover.objects.filter(pk=dev_handover.pk).update(state=Handover.State.IN_REVIEW)

    assert _numbers(hr, "/admin/handovers/?state=in_progress") == {
        sales_handover.number
    }
    assert _numbers(hr, "/admin/handovers/?state=in_review") == {dev_handover.number}
    assert _numbers(hr, "/admin/handovers/?state=in_progress&state=in_review") == {
        sales_handover.number,
        dev_handover.number,
    }


def test_the_overdue_link_shows_exactly_the_overdue_handovers(
    hr, sales_handover, dev_handover
):
    today = timezone.localdate()
    Handover.objects.filter(pk=sales_handover.pk).update(
        last_working_day=today - datetime.timedelta(days=1)
    )
    Handover.objects.filter(pk=dev_handover.pk).update(last_working_day=today)

    assert _numbers(hr, "/admin/handovers/?overdue=yes") == {sales_handover.number}
    assert _numbers(hr, "/admin/handovers/?overdue=no") == {dev_handover.number}


def test_the_handover_list_url_name_is_the_one_links_use():
    assert reverse("handovers:index") == "/admin/handovers/"


# The IT queue: due today -------------------------------------------------------------


def _local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time(hour, minute))
    )


@pytest.fixture
def actions(sales_handover):
    """Planned changes yesterday, late tonight and just after midnight (local
    time), a failed one today and a manual one tomorrow."""
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)

    def action(description, when, **fields):
        # The queue describes a change in the reader's language from its
        # grant: each change's account is named after it, to tell them apart.
        grant = AccessGrant.objects.create(
            handover=sales_handover,
            system="Mail",
            kind=AccessGrant.Kind.ACCOUNT,
            account_id=description,
        )
        return AccessAction.objects.create(
            grant=grant,
            handover=sales_handover,
            operation=fields.pop("operation", AccessAction.Operation.SUSPEND),
            description=description,
            scheduled_for=when,
            **fields,
        )

    return {
        "yesterday": action(
            "Yesterday's change", _local(today - datetime.timedelta(days=1), 9)
        ),
        "tonight": action("Tonight's change", _local(today, 23, 59)),
        "after_midnight": action("After midnight", _local(tomorrow, 0, 1)),
        "failed": action(
            "Failed today", _local(today, 8), state=AccessAction.State.FAILED
        ),
        "manual": action(
            "By hand tomorrow",
            _local(tomorrow, 10),
            operation=AccessAction.Operation.MANUAL,
        ),
    }


LABELS = (
    "Yesterday's change",
    "Tonight's change",
    "After midnight",
    "Failed today",
    "By hand tomorrow",
)


def _descriptions(client, url) -> set[str]:
    """The changes listed, by the account each is named after."""
    sheet = _csv(client, f"{url}{'&' if '?' in url else '?'}export=csv")
    column = sheet[0].index("Change")
    return {label for row in sheet[1:] for label in LABELS if label in row[column]}


def test_due_today_lists_planned_changes_of_today_and_before(people, client, actions):
    _login(client, "it")
    url = reverse("connectors_access_queue") + "?due=today"

    page = unescape(client.get(url).content.decode())

    expected = {"Yesterday's change", "Tonight's change"}
    assert _descriptions(client, url) == expected
    assert all(description in page for description in expected)
    assert "After midnight" not in page
    assert "Failed today" not in page


def test_due_today_uses_the_company_time_zone(people, client, actions, settings):
    # 23:59 in Shanghai is 15:59 UTC: still today there whatever UTC says
    _login(client, "it")
    tonight = actions["tonight"]
    assert timezone.localtime(tonight.scheduled_for).date() == timezone.localdate()

    url = reverse("connectors_access_queue") + "?due=today&state=planned"

    assert "Tonight's change" in _descriptions(client, url)
    assert "After midnight" not in _descriptions(client, url)


def test_due_today_with_another_state_lists_nothing(people, client, actions):
    _login(client, "it")

    url = reverse("connectors_access_queue") + "?due=today&state=failed"

    assert _descriptions(client, url) == set()


def test_the_existing_queue_filters_still_work(people, client, actions):
    _login(client, "it")
    queue = reverse("connectors_access_queue")

    assert _descriptions(client, queue + "?state=failed") == {"Failed today"}
    assert _descriptions(client, queue + "?operation=manual&state=planned") == {
        "By hand tomorrow"
    }
    assert _descriptions(client, queue) == {
        "Yesterday's change",
        "Tonight's change",
        "After midnight",
        "Failed today",
        "By hand tomorrow",
    }


def test_a_garbage_due_value_is_no_server_error(people, client, actions):
    _login(client, "it")

    response = client.get(reverse("connectors_access_queue") + "?due=someday")

    assert response.status_code == 200
