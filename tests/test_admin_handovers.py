"""HR's side of handovers in the Wagtail admin: the handover list, starting and
cancelling a handover, and the employee archive."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.users.models import UserProfile

from cms import services
from cms.models import (
    Certificate,
    ChecklistTemplatePage,
    Department,
    Employee,
    Handover,
)
from cms.selectors import handover_progress
from tests.fixtures.handovers import PASSWORD

INDEX_URL = "/admin/handovers/"
START_URL = "/admin/handovers/start/"


def _client_for(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def hr_client(people, client):
    return _client_for(client, "hr")


def _employee(user) -> Employee:
    return Employee.objects.get(user=user)


def _sales_template() -> ChecklistTemplatePage:
    return ChecklistTemplatePage.objects.get(slug="sales", locale__language_code="en")


def _start_form(people, **overrides):
    return {
        "employee": _employee(people["sales"]).pk,
        "template": _sales_template().pk,
        "successors": [people["successor"].pk],
        "manager": people["manager"].pk,
        "it_users": [people["it"].pk],
        "resignation_date": "2026-12-01",
        "last_working_day": "2026-12-31",
        **overrides,
    }


def _main_menu_names(response) -> set[str]:
    match = re.search(
        r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "the admin page has no sidebar"
    names = set(re.findall(r'"name": "([^"]+)"', unescape(match.group(1))))
    return names


def _select_options(html: str, name: str) -> list[tuple[str, str, bool]]:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    return [
        (value, unescape(label).strip(), "selected" in attributes)
        for value, attributes, label in re.findall(
            r'<option value="([^"]*)"([^>]*)>(.*?)</option>', select, re.S
        )
    ]


def _field_html(response, name: str) -> str:
    """The rendered form field called ``name``, with its errors."""
    html = _text(response)
    field_input = html.index(f'name="{name}"')
    return html[html.rindex("data-field-wrapper", 0, field_input) : field_input]


def _text(response) -> str:
    return unescape(response.content.decode())


# Access -------------------------------------------------------------------------------


def test_hr_sees_the_handovers_menu_and_every_handover(hr_client):
    dev_handover = Handover.objects.get(employee__user__username="dev")

    home = hr_client.get("/admin/")
    index = hr_client.get(INDEX_URL)

    assert "handovers" in _main_menu_names(home)
    assert index.status_code == 200
    page = _text(index)
    assert dev_handover.number in page
    assert "Liu Lei" in page
    assert "Engineering handover" in page
    assert "In progress" in page
    assert reverse("participant:detail", args=[dev_handover.pk]) in page


def test_people_without_hr_rights_cannot_reach_the_handover_admin(
    people, client, sales_handover
):
    urls = [INDEX_URL, START_URL, f"/admin/handovers/{sales_handover.pk}/cancel/"]

    _client_for(client, "sales")  # no admin access at all
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/admin/login/")

    client.logout()
    _client_for(client, "it")  # in the admin, but not HR
    assert "handovers" not in _main_menu_names(client.get("/admin/"))
    for url in urls:
        assert client.get(url).status_code == 404
    refused = client.post(urls[2], {"reason": "Not mine to cancel"})

    assert refused.status_code == 404
    sales_handover.refresh_from_db()
    assert sales_handover.state == Handover.State.IN_PROGRESS


# Start --------------------------------------------------------------------------------


def test_hr_starts_a_handover_through_the_admin_form(hr_client, people):
    response = hr_client.post(START_URL, _start_form(people))

    assert response.status_code == 302
    assert response.url == INDEX_URL
    handover = Handover.objects.get(employee=_employee(people["sales"]))
    assert handover.state == Handover.State.IN_PROGRESS
    assert handover.template == _sales_template()
    assert handover.items.filter(label="Key client list").exists()
    assert {(p.user.username, p.role) for p in handover.participants.all()} == {
        ("sales", "leaver"),
        ("successor", "successor"),
        ("manager", "manager"),
        ("it", "it"),
        ("hr", "hr"),
    }
    index = _text(hr_client.get(INDEX_URL))
    assert f"Handover {handover.number} started for Chen Fang." in index
    assert handover.number in index


def test_a_second_handover_for_the_same_employee_shows_the_conflict(
    hr_client, people, sales_handover
):
    response = hr_client.post(START_URL, _start_form(people))

    assert response.status_code == 409
    assert "Chen Fang already has an open handover." in _text(response)
    assert Handover.objects.filter(employee=sales_handover.employee).count() == 1


def test_last_working_day_before_resignation_is_shown_on_the_field(hr_client, people):
    response = hr_client.post(
        START_URL,
        _start_form(
            people, resignation_date="2026-12-31", last_working_day="2026-12-01"
        ),
    )

    assert response.status_code == 400
    assert "The last working day cannot be before the resignation date." in (
        _field_html(response, "last_working_day")
    )
    assert "The handover could not be started." in _text(response)
    assert not Handover.objects.filter(employee__user=people["sales"]).exists()


def test_the_form_suggests_the_sales_template_and_people_for_sales(hr_client, people):
    sales = _employee(people["sales"])

    from_link = hr_client.get(f"{START_URL}?employee={sales.pk}").content.decode()
    after_picking = hr_client.post(
        START_URL, {"employee": sales.pk, "last_working_day": "2026-12-31"}
    )

    for html in (from_link, after_picking.content.decode()):
        templates = _select_options(html, "template")
        assert templates[1] == (
            str(_sales_template().pk),
            "Sales handover (English)",
            True,
        )
        # A peer in the same department and role, not the manager.
        successors = [o for o in _select_options(html, "successors") if o[2]]
        assert [label for _value, label, _selected in successors] == [
            "Jing Yang (successor)"
        ]
        assert "Same department (Sales) and role (Sales)." in html
        assert "Their manager, if no colleague should take over." in html
        managers = [o for o in _select_options(html, "manager") if o[2]]
        assert [label for _value, label, _selected in managers] == [
            "Wei Zhang (manager)"
        ]
    assert after_picking.status_code == 200
    assert 'value="2026-12-31"' in after_picking.content.decode()
    assert not Handover.objects.filter(employee=sales).exists()


def test_index_search_and_state_filter(hr_client, people, sales_handover):
    dev_handover = Handover.objects.get(employee__user__username="dev")
    services.handover_cancel(
        actor=people["hr"], handover=dev_handover, reason="Stays after all"
    )

    by_name = _text(hr_client.get(INDEX_URL, {"q": "chen"}))
    by_number = _text(hr_client.get(INDEX_URL, {"q": dev_handover.number}))
    cancelled = _text(hr_client.get(INDEX_URL, {"state": "cancelled"}))
    completed = _text(hr_client.get(INDEX_URL, {"state": "completed"}))

    assert sales_handover.number in by_name
    assert dev_handover.number not in by_name
    assert dev_handover.number in by_number
    assert sales_handover.number not in by_number
    assert dev_handover.number in cancelled
    assert sales_handover.number not in cancelled
    assert "No handover matches your search and filters." in completed


def test_index_marks_overdue_handovers(hr_client, people, sales_handover):
    Handover.objects.filter(pk=sales_handover.pk).update(last_working_day="2020-01-31")

    overdue = _text(hr_client.get(INDEX_URL, {"overdue": "yes"}))
    on_time = _text(hr_client.get(INDEX_URL, {"overdue": "no"}))

    assert sales_handover.number in overdue
    assert "Overdue" in overdue
    assert sales_handover.number not in on_time


def _queries_to_list_handovers(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(INDEX_URL).status_code == 200
    return len(queries)


def test_index_shows_progress_without_a_query_per_handover(
    hr_client, people, sales_handover
):
    progress = handover_progress(handover=sales_handover)
    _queries_to_list_handovers(hr_client)  # warm per-process caches
    with_two = _queries_to_list_handovers(hr_client)
    services.handover_start(
        actor=people["hr"],
        employee=_employee(people["successor"]),
        template=_sales_template(),
        last_working_day=datetime.date(2026, 11, 30),
    )

    with_three = _queries_to_list_handovers(hr_client)
    page = _text(hr_client.get(INDEX_URL))

    assert with_three == with_two
    assert f"0 of {progress['total']} done (0%)" in page


def test_index_says_clearly_when_nothing_matches(hr_client):
    empty = _text(hr_client.get(INDEX_URL, {"q": "nobody-has-this-number"}))

    assert "No handover matches your search and filters." in empty


# Cancel -------------------------------------------------------------------------------


def test_cancel_needs_a_reason_and_then_cancels(hr_client, people, sales_handover):
    cancel_url = f"/admin/handovers/{sales_handover.pk}/cancel/"

    form = hr_client.get(cancel_url)
    without_reason = hr_client.post(cancel_url, {"reason": "  "})
    sales_handover.refresh_from_db()
    state_after_refusal = sales_handover.state
    with_reason = hr_client.post(cancel_url, {"reason": "Chen Fang stays"}, follow=True)
    sales_handover.refresh_from_db()

    assert form.status_code == 200
    assert "Cancel handover" in _text(hr_client.get(INDEX_URL))
    assert without_reason.status_code == 400
    assert "Say why the handover is cancelled." in _text(without_reason)
    assert state_after_refusal == Handover.State.IN_PROGRESS
    assert sales_handover.state == Handover.State.CANCELLED
    assert sales_handover.cancel_reason == "Chen Fang stays"
    assert f"Handover {sales_handover.number} cancelled." in _text(with_reason)


def test_cancelling_a_cancelled_handover_is_refused_with_a_message(
    hr_client, people, sales_handover
):
    cancel_url = f"/admin/handovers/{sales_handover.pk}/cancel/"
    hr_client.post(cancel_url, {"reason": "Chen Fang stays"})

    again = hr_client.post(cancel_url, {"reason": "Twice"})

    assert again.status_code == 409
    assert "This handover is cancelled" in _text(again)
    sales_handover.refresh_from_db()
    assert sales_handover.cancel_reason == "Chen Fang stays"


# Employee archive ---------------------------------------------------------------------


def test_employee_list_filters_by_department(hr_client):
    sales_department = Department.objects.get(code="sales")
    list_url = reverse("wagtailsnippets_cms_employee:list")

    everyone = _text(hr_client.get(list_url))
    in_sales = _text(hr_client.get(list_url, {"department": sales_department.pk}))

    assert "Liu Lei" in everyone
    assert "Chen Fang" in in_sales
    assert "Yang Jing" in in_sales
    assert "Liu Lei" not in in_sales


def test_the_archive_lists_the_employees_handovers(hr_client, people):
    dev = _employee(people["dev"])
    dev_handover = Handover.objects.get(employee=dev)

    archive = hr_client.get(
        reverse("wagtailsnippets_cms_employee:inspect", args=[dev.pk])
    )
    sales_archive = hr_client.get(
        reverse(
            "wagtailsnippets_cms_employee:inspect",
            args=[_employee(people["sales"]).pk],
        )
    )

    assert archive.status_code == 200
    page = _text(archive)
    assert dev_handover.number in page
    assert "Engineering handover" in page
    assert "No certificate yet" in page
    sales_page = _text(sales_archive)
    assert "No handover has been started for this employee." in sales_page
    assert f"{START_URL}?employee={_employee(people['sales']).pk}" in sales_page


def test_the_archive_links_each_certificate_for_download(hr_client, people):
    dev = _employee(people["dev"])
    dev_handover = Handover.objects.get(employee=dev)
    # Given a certificate on record (how it is issued is not this screen's part).
    Certificate.objects.create(
        handover=dev_handover,
        code="7KQ2-M9XD-4PLA",
        language="en",
        pdf_sha256="0" * 64,
        root_hash="1" * 64,
        issued_at=datetime.datetime(2026, 3, 12, 9, 45, tzinfo=datetime.UTC),
    )

    page = _text(
        hr_client.get(reverse("wagtailsnippets_cms_employee:inspect", args=[dev.pk]))
    )

    assert "7KQ2-M9XD-4PLA" in page
    assert reverse("api:handover-certificate", args=[dev_handover.pk]) in page
    assert "No certificate yet" not in page


def test_the_archive_writes_every_date_one_way_in_the_company_time_zone(
    hr_client, people, settings
):
    settings.TIME_ZONE = "Asia/Shanghai"
    dev = _employee(people["dev"])
    dev_handover = Handover.objects.get(employee=dev)
    Handover.objects.filter(pk=dev_handover.pk).update(
        resignation_date=datetime.date(2026, 12, 1),
        last_working_day=datetime.date(2026, 12, 31),
        # 20:30 UTC is the next morning in Shanghai.
        started_at=datetime.datetime(2026, 12, 6, 20, 30, tzinfo=datetime.UTC),
    )
    url = reverse("wagtailsnippets_cms_employee:inspect", args=[dev.pk])

    english = _text(hr_client.get(url))
    profile = UserProfile.get_for_user(people["hr"])
    profile.preferred_language = "zh-hans"
    profile.save()
    chinese = _text(hr_client.get(url))

    for day in ("Dec. 1, 2026", "Dec. 31, 2026", "Dec. 7, 2026"):
        assert day in english
    assert not re.search(r"\b\d{2}/\d{2}/\d{4}\b", english)
    for day in ("2026年12月1日", "2026年12月31日", "2026年12月7日"):
        assert day in chinese


def test_an_employee_with_handovers_keeps_their_archive_record(hr_client, people):
    dev = _employee(people["dev"])
    delete_url = reverse("wagtailsnippets_cms_employee:delete", args=[dev.pk])

    refused = hr_client.post(delete_url, follow=True)

    assert "Liu Lei has handovers, so their archive record cannot be deleted." in (
        _text(refused)
    )
    assert Employee.objects.filter(pk=dev.pk).exists()
