"""Employee records follow the directory: created and updated by it, while
what HR typed is never overwritten silently — the directory's differing value
is kept aside for HR to see."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from cms.models import Department, Employee
from cms.services import (
    DirectoryValues,
    employee_record_edit,
    employees_apply_directory,
)

SOURCE = "ldap"


def _person(directory_id, **values):
    return DirectoryValues(directory_id=directory_id, **values)


def test_people_new_to_the_archive_are_created_with_directory_provenance(db):
    result = employees_apply_directory(
        source=SOURCE,
        people=[
            _person(
                "uid=zhou",
                employee_number="E0200",
                name="Zhou Xin",
                email="zhou@baton.example",
                department_code="ops",
                department_name="Operations",
                position="Planner",
                manager_directory_id="uid=boss",
            ),
            _person("uid=boss", employee_number="E0201", name="Qian Bo"),
        ],
    )

    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    zhou = Employee.objects.get(directory_id="uid=zhou")
    assert zhou.name == "Zhou Xin"
    assert zhou.work_email == "zhou@baton.example"
    assert zhou.position == "Planner"
    assert zhou.department == Department.objects.get(code="ops", name="Operations")
    assert zhou.manager == Employee.objects.get(directory_id="uid=boss")
    assert zhou.user is None
    assert zhou.provenance["name"]["source"] == "directory:ldap"
    assert zhou.provenance["position"]["source"] == "directory:ldap"
    assert zhou.provenance["manager"]["source"] == "directory:ldap"


def test_a_field_hr_typed_is_kept_and_the_directory_value_set_aside(people):
    # given HR typed Chen Fang's position by hand
    sales = Employee.objects.get(employee_number="E0005")
    employee_record_edit(
        actor=people["hr"], employee=sales, changed_fields=["position"]
    )

    # when the directory says another position and another name
    result = employees_apply_directory(
        source=SOURCE,
        people=[
            _person(
                "uid=sales",
                employee_number="E0005",
                name="Chen Fang (Sales)",
                position="Sales lead",
            )
        ],
    )

    # then the typed position stays and the directory's is kept aside; the
    # name nobody typed follows the directory
    sales.refresh_from_db()
    assert sales.position == "Key account manager"
    assert sales.provenance["position"]["source"] == "person"
    assert sales.provenance["position"]["by"] == people["hr"].pk
    assert sales.provenance["position"]["directory_value"] == "Sales lead"
    assert result.kept == [(sales.pk, "position", "Sales lead")]
    assert sales.name == "Chen Fang (Sales)"
    assert sales.provenance["name"]["source"] == "directory:ldap"
    assert sales.directory_id == "uid=sales"
    assert result.updated == 1


def test_a_manager_hr_typed_is_kept_and_named_for_hr(people):
    # given HR set Chen Fang's manager by hand
    sales = Employee.objects.get(employee_number="E0005")
    employee_record_edit(actor=people["hr"], employee=sales, changed_fields=["manager"])

    # when the directory says Wang Min manages her
    result = employees_apply_directory(
        source=SOURCE,
        people=[
            _person("uid=hrhead", employee_number="E0001"),
            _person(
                "uid=sales", employee_number="E0005", manager_directory_id="uid=hrhead"
            ),
        ],
    )

    # then her manager stays, and HR reads whom the directory names instead
    sales.refresh_from_db()
    assert sales.manager.employee_number == "E0002"
    assert sales.provenance["manager"]["directory_value"] == "Wang Min"
    assert (sales.pk, "manager", "Wang Min") in result.kept


def test_matching_by_email_and_an_unchanged_person(people):
    employees_apply_directory(
        source=SOURCE,
        people=[_person("uid=dev", email="DEV@baton.example", name="Liu Lei")],
    )

    again = employees_apply_directory(
        source=SOURCE,
        people=[_person("uid=dev", email="DEV@baton.example", name="Liu Lei")],
    )

    dev = Employee.objects.get(employee_number="E0006")
    assert dev.directory_id == "uid=dev"
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_people_turning_leaving_are_reported_once(people):
    employees_apply_directory(
        source=SOURCE, people=[_person("uid=sales", employee_number="E0005")]
    )
    last_day = datetime.date(2027, 1, 31)

    turned = employees_apply_directory(
        source=SOURCE,
        people=[
            _person(
                "uid=sales",
                employee_number="E0005",
                status="leaving",
                last_working_day=last_day,
            )
        ],
    )
    still = employees_apply_directory(
        source=SOURCE,
        people=[
            _person(
                "uid=sales",
                employee_number="E0005",
                status="leaving",
                last_working_day=last_day,
            )
        ],
    )

    assert [employee.employee_number for employee, _ in turned.leaving] == ["E0005"]
    assert turned.leaving[0][1].last_working_day == last_day
    assert Employee.objects.get(employee_number="E0005").status == "leaving"
    assert still.leaving == []


def test_a_new_last_working_day_is_reported(people):
    employees_apply_directory(
        source=SOURCE, people=[_person("uid=it", employee_number="E0004")]
    )

    result = employees_apply_directory(
        source=SOURCE,
        people=[
            _person(
                "uid=it",
                employee_number="E0004",
                last_working_day=datetime.date(2027, 2, 1),
            )
        ],
    )

    assert [employee.employee_number for employee, _ in result.leaving] == ["E0004"]


def test_two_thousand_people_apply_in_a_few_queries_per_batch(db):
    # given a directory of 2,000 people under 20 departments and 20 managers
    people = [
        _person(
            f"uid=p{index}",
            employee_number=f"P{index:05d}",
            name=f"Person {index}",
            email=f"p{index}@baton.example",
            department_code=f"dept-{index % 20}",
            department_name=f"Department {index % 20}",
            position="Engineer",
            manager_directory_id=f"uid=p{index % 20}" if index >= 20 else "",
        )
        for index in range(2000)
    ]

    # when it is applied, then again with a few changes
    with CaptureQueriesContext(connection) as first:
        created = employees_apply_directory(source=SOURCE, people=people)
    people[5] = _person(
        "uid=p5", employee_number="P00005", name="Person 5", position="Architect"
    )
    with CaptureQueriesContext(connection) as second:
        updated = employees_apply_directory(source=SOURCE, people=people)

    # then everyone is in, with their manager, in a number of queries that
    # grows with the batches, not the people
    assert created.created == 2000
    assert Employee.objects.filter(manager__directory_id="uid=p3").count() == 99
    assert len(first.captured_queries) <= 40
    assert updated.updated == 1
    assert updated.unchanged == 1999
    assert Employee.objects.get(directory_id="uid=p5").position == "Architect"
    assert len(second.captured_queries) <= 30
