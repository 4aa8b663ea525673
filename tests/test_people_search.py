"""Pickers that scale: HR's people search (``/admin/people/search/``) finds
employees and users by any part of their name, number, email or department,
only for HR, and the forms that use it never list everyone."""

import re
from html import unescape
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cms.models import Department, Employee, Handover
from tests.fixtures.handovers import PASSWORD

pytestmark = pytest.mark.django_db

SEARCH_URL = "/admin/people/search/"
START_URL = "/admin/handovers/start/"


@pytest.fixture
def hr_client(people, client):
    assert client.login(username="hr", password=PASSWORD)
    return client


def _search(client, **params):
    response = client.get(SEARCH_URL, params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()["results"]


def _texts(results) -> list[str]:
    return [result["text"] for result in results]


@pytest.fixture
def crowd(people):
    """Forty more employees in Sales, none of them named like the demo people."""
    sales = Department.objects.get(code="sales")
    Employee.objects.bulk_create(
        Employee(
            employee_number=f"X{number:04d}",
            name=f"Crowd Member {number:02d}",
            department=sales,
            work_email=f"crowd{number:02d}@baton.example",
        )
        for number in range(40)
    )


# Employees ----------------------------------------------------------------------------


def test_hr_finds_an_employee_by_any_part_of_name_number_or_email(hr_client):
    by_name = _search(hr_client, q="fang", kind="employee")
    by_number = _search(hr_client, q="e0005", kind="employee")
    by_email = _search(hr_client, q="sales@baton", kind="employee")

    for results in (by_name, by_number, by_email):
        assert _texts(results)[0] == "Chen Fang (E0005)"
    chen = by_name[0]
    assert chen["value"] == str(Employee.objects.get(employee_number="E0005").pk)
    assert "Sales" in chen["detail"]
    assert "sales@baton.example" in chen["detail"]


def test_every_word_typed_must_match_and_a_department_counts(hr_client):
    in_sales = _texts(_search(hr_client, q="sales", kind="employee"))
    chen_in_sales = _texts(_search(hr_client, q="chen sales", kind="employee"))
    chen_in_rnd = _texts(_search(hr_client, q="chen r&d", kind="employee"))

    # Everyone in the Sales department, whatever their name.
    assert {"Chen Fang (E0005)", "Yang Jing (E0007)", "Zhang Wei (E0002)"} <= set(
        in_sales
    )
    assert chen_in_sales == ["Chen Fang (E0005)"]
    assert chen_in_rnd == []


def test_an_exact_employee_number_comes_first_and_the_limit_holds(hr_client, crowd):
    everyone = _search(hr_client, q="crowd", kind="employee", limit=100)
    five = _search(hr_client, q="crowd", kind="employee", limit=5)
    exact = _search(hr_client, q="X0012", kind="employee")

    assert len(everyone) == 40  # at most 50 a lookup, all 40 here
    assert len(five) == 5
    assert _texts(exact)[0] == "Crowd Member 12 (X0012)"


def test_when_hundreds_match_the_closest_still_come_first(hr_client, people):
    # Given 300 people whose names contain an "m", and two whose names start
    # with one; and an account named "m" exactly.
    sales = Department.objects.get(code="sales")
    user_model = get_user_model()
    crowd = user_model.objects.bulk_create(
        user_model(username=f"amy{n}", first_name="Amy", last_name=f"Crowd {n:03d}")
        for n in range(300)
    )
    Employee.objects.bulk_create(
        Employee(
            employee_number=f"Y{n:04d}",
            name=f"Amy Crowd {n:03d}",
            department=sales,
            user=user,
        )
        for n, user in enumerate(crowd)
    )
    Employee.objects.bulk_create(
        [
            Employee(employee_number="Y9001", name="Mo Bo", department=sales),
            Employee(employee_number="Y9002", name="Ma Li", department=sales),
        ]
    )
    user_model.objects.create_user(username="m", first_name="Zed")

    employees = _texts(_search(hr_client, q="m", kind="employee", limit=5))
    users = _texts(_search(hr_client, q="m", kind="user", limit=4))

    assert employees[:2] == ["Ma Li (Y9002)", "Mo Bo (Y9001)"]
    assert employees[2:] == [
        "Amy Crowd 000 (Y0000)",
        "Amy Crowd 001 (Y0001)",
        "Amy Crowd 002 (Y0002)",
    ]
    assert users[0] == "Zed (m)"  # the exact username first
    assert users[1:] == [
        "Min Wang (hrhead)",  # a given name starting with "m"
        "Wei Zhang (manager)",  # a username starting with "m"
        "Amy Crowd 000 (amy0)",
    ]


def test_nothing_typed_finds_nobody(hr_client):
    assert _search(hr_client, q="   ", kind="employee") == []
    assert _search(hr_client, kind="user") == []


def test_the_start_form_searches_only_employees_it_can_start(hr_client, people):
    # Given dev's handover is open (the demo started it) and sales has none.
    assert Handover.objects.filter(
        employee__user__username="dev", state__in=Handover.OPEN_STATES
    ).exists()

    startable = _texts(_search(hr_client, q="e000", kind="employee", scope="startable"))
    anyone = _texts(_search(hr_client, q="e000", kind="employee"))

    assert "Chen Fang (E0005)" in startable
    assert "Liu Lei (E0006)" not in startable
    assert "Liu Lei (E0006)" in anyone


# Users --------------------------------------------------------------------------------


def test_users_are_found_by_account_or_by_employee_record(hr_client, people):
    by_username = _search(hr_client, q="successor", kind="user")
    by_record_number = _search(hr_client, q="E0007", kind="user")
    by_department = _texts(_search(hr_client, q="human resources", kind="user"))

    assert _texts(by_username) == ["Jing Yang (successor)"]
    assert _texts(by_record_number) == ["Jing Yang (successor)"]
    assert by_username[0]["value"] == str(people["successor"].pk)
    assert "E0007" in by_username[0]["detail"]
    assert {"Na Li (hr)", "Min Wang (hrhead)"} <= set(by_department)


def test_people_who_cannot_sign_in_are_not_offered(hr_client, people):
    successor = people["successor"]
    successor.is_active = False
    successor.save(update_fields=["is_active"])

    assert _search(hr_client, q="successor", kind="user") == []


# Who may search -----------------------------------------------------------------------


def test_only_hr_may_search(people, client):
    assert client.login(username="it", password=PASSWORD)  # in the admin, not HR
    assert client.get(SEARCH_URL, {"q": "chen", "kind": "user"}).status_code == 404

    client.logout()
    assert client.login(username="sales", password=PASSWORD)  # no admin access
    response = client.get(SEARCH_URL, {"q": "chen"})
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_an_unknown_kind_is_not_found(hr_client):
    assert hr_client.get(SEARCH_URL, {"q": "chen", "kind": "group"}).status_code == 404


def _queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        _search(client, **params)
    return len(queries)


@pytest.mark.parametrize("kind", ["employee", "user"])
@pytest.mark.parametrize(
    "query", ["crowd", "crowd member 1", "e", "sales crowd", "nobody-by-this-name"]
)
def test_a_lookup_costs_the_same_whatever_the_company_size(
    hr_client, people, kind, query
):
    # Given ten people like the crowd, then five hundred: a few match or many.
    sales = Department.objects.get(code="sales")
    user_model = get_user_model()

    def add(first, count):
        users = user_model.objects.bulk_create(
            user_model(username=f"crowd{n}", first_name="Crowd", last_name=f"M{n}")
            for n in range(first, first + count)
        )
        Employee.objects.bulk_create(
            Employee(
                employee_number=f"X{n:04d}",
                name=f"Crowd Member {n}",
                department=sales,
                user=user,
            )
            for n, user in zip(range(first, first + count), users, strict=True)
        )

    add(0, 10)
    few = _queries(hr_client, q=query, kind=kind)
    add(10, 490)
    many = _queries(hr_client, q=query, kind=kind)

    # The request's own six (session, user, admin access, profile, HR check),
    # one per word for the departments it names, at most two per word for the
    # people it matches, and five to rank and describe them: never per person.
    words = len(query.split())
    budget = 6 + words + 2 * words + 5
    assert few <= budget
    assert many <= budget


# The forms ----------------------------------------------------------------------------


def _select(html: str, name: str) -> str:
    return re.search(rf'<select name="{name}"[^>]*>.*?</select>', html, re.S).group(0)


def test_the_start_form_lists_no_one_until_hr_types(hr_client, crowd):
    html = unescape(hr_client.get(START_URL).content.decode())

    employee = _select(html, "employee")
    assert "data-people-picker" in employee
    assert "scope=startable" in employee
    assert "Crowd Member" not in html
    assert "Chen Fang" not in html
    for name in ("successors", "manager", "it_users"):
        assert "kind=user" in _select(html, name)
    assert "cms/vendor/tom-select/tom-select.complete.min.js" in html
    assert "cms/people_picker.js" in html


def test_a_chosen_person_is_shown_by_name(hr_client, people):
    sales = Employee.objects.get(employee_number="E0005")

    html = unescape(hr_client.get(f"{START_URL}?employee={sales.pk}").content.decode())

    employee_options = re.findall(
        r"<option[^>]*>([^<]*)</option>", _select(html, "employee")
    )
    assert [label for label in employee_options if label] == ["Chen Fang (E0005)"]
    assert "Jing Yang (successor)" in _select(html, "successors")


def test_the_employee_form_searches_managers_and_accounts(hr_client, crowd):
    chen = Employee.objects.get(employee_number="E0005")
    url = reverse("wagtailsnippets_cms_employee:edit", args=[chen.pk])

    html = unescape(hr_client.get(url).content.decode())

    for name in ("manager", "backup", "user"):
        assert "data-people-picker" in _select(html, name)
    assert "Crowd Member" not in html
    assert "Zhang Wei (E0002)" in _select(html, "manager")  # Chen's manager


def test_tom_select_is_served_by_baton_with_its_licence():
    script = finders.find("cms/vendor/tom-select/tom-select.complete.min.js")
    styles = finders.find("cms/vendor/tom-select/tom-select.default.min.css")
    licence = Path(finders.find("cms/vendor/tom-select/LICENSE"))

    assert script and styles
    assert "Apache License" in licence.read_text()
    # Never from a CDN: the picker asks Baton's own endpoint, nothing else.
    picker = Path(finders.find("cms/people_picker.js")).read_text()
    assert "http" not in picker
