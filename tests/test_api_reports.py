"""The figures in the API (/api/v1/reports/): who reads which report, the same
numbers as the report pages, filters checked like everywhere else, and
answers shaped as the schema says.

The company is ``tests/reports/builders.World``: ``boss`` ← ``lead`` ←
``teamlead`` ← ``worker``, and ``boss`` ← ``peer`` ← ``peer_report``."""

import json
from datetime import date

import pytest
from jsonschema import Draft7Validator
from rest_framework.test import APIClient

from cms.models import Handover, ParticipantRole, Signature
from reports.figures import (
    REPORTS,
    ReportFilterForm,
    build_report,
    dashboard_for,
    scope_for,
)
from tests.reports.builders import (
    add_employee,
    add_participant,
    build_world,
    issue_certificate,
    make_handover,
    sign,
    utc,
)

API = "/api/v1/reports"
JANUARY = {"start": "2026-01-01", "end": "2026-01-31"}
MANAGER_REPORTS = ["cycle-time", "acceptance", "questions", "access", "workload"]


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def certified(world):
    """Three handovers certified in January 2026 (company time, UTC+8):

    worker (Sales East, lead's chain):     start→certificate 3.0 d, lwd→cert. 1 d
    worker2 (Sales East, lead's chain):    1.0 d, 0 d
    peer_report (R&D, not lead's chain):   2.0 d, -1 d (issued the day before)"""
    worker2 = add_employee(
        world, "worker2", department="sales-east", role="sales", manager="teamlead"
    )
    stories = [
        (world.employees["worker"], "sales", utc(2026, 1, 5, 1), date(2026, 1, 7), 3),
        (worker2, "sales", utc(2026, 1, 12, 1), date(2026, 1, 13), 1),
        (
            world.employees["peer_report"],
            "engineer",
            utc(2026, 1, 20, 1),
            date(2026, 1, 23),
            2,
        ),
    ]
    handovers = []
    for employee, template, started, last_day, days in stories:
        issued = started.replace(day=started.day + days)
        handover = make_handover(
            world,
            employee,
            template=template,
            state=Handover.State.COMPLETED,
            last_working_day=last_day,
            started_at=started,
            completed_at=issued,
        )
        issue_certificate(handover, issued)
        add_participant(handover, world.users["successor"], ParticipantRole.SUCCESSOR)
        sign(
            handover,
            signer=world.users["successor"],
            role=ParticipantRole.SUCCESSOR,
            decision=Signature.Decision.ACCEPT,
            signed_at=started.replace(hour=9),
        )
        handovers.append(handover)
    return handovers


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def get(user, path, query=None):
    return client_for(user).get(f"{API}/{path}", query or {})


def assert_not_found(response):
    assert response.status_code == 404, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"


def figures(response) -> dict:
    assert response.status_code == 200, response.content
    body = response.json()
    return {item["label"]: item["value"] for item in body["summary"]}


# Who reads what --------------------------------------------------------------------


def test_hr_reads_every_report(world, certified):
    hr = world.users["hr"]

    listed = get(hr, "")

    assert listed.status_code == 200
    assert [report["key"] for report in listed.json()] == list(REPORTS)
    for report in listed.json():
        assert report["url"].endswith(f"{API}/{report['key']}/")
        assert get(hr, f"{report['key']}/").status_code == 200


def test_it_reads_access_and_connectors_only(world, certified):
    it = world.users["it"]

    listed = [report["key"] for report in get(it, "").json()]

    assert listed == ["access", "connectors"]
    for key in REPORTS:
        response = get(it, f"{key}/")
        if key in listed:
            assert response.status_code == 200
        else:
            assert_not_found(response)


def test_a_manager_counts_only_their_reporting_chain(world, certified):
    lead, hr = world.users["lead"], world.users["hr"]

    listed = [report["key"] for report in get(lead, "").json()]
    mine = figures(get(lead, "cycle-time/", JANUARY))
    everyone = figures(get(hr, "cycle-time/", JANUARY))

    assert listed == MANAGER_REPORTS
    assert mine["Handovers"] == 2  # worker and worker2, not peer_report
    assert everyone["Handovers"] == 3
    assert_not_found(get(lead, "connectors/"))


def test_anyone_else_gets_404_everywhere(world, certified):
    member = world.users["member"]

    for path in ["", "dashboard/", *(f"{key}/" for key in REPORTS)]:
        assert_not_found(get(member, path))


def test_an_unknown_report_is_404(world):
    assert_not_found(get(world.users["hr"], "speed/"))
    assert_not_found(get(world.users["hr"], "speed/", {"start": "garbage"}))


def test_without_credentials_it_is_401(world):
    for path in ["", "dashboard/", "cycle-time/"]:
        response = get(None, path)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


# The figures -----------------------------------------------------------------------


def test_cycle_time_of_known_timestamps(world, certified):
    response = get(world.users["hr"], "cycle-time/", JANUARY)
    body = response.json()

    # start→certificate: 1, 2, 3 days; last working day→certificate: 0, -1, 1.
    assert figures(response) == {
        "Handovers": 3,
        "Start → certificate, median": 2.0,
        "Start → certificate, p90": 2.8,
        "Last working day → certificate, median": 0.0,
        "Last working day → certificate, p90": 0.8,
    }
    assert body["chart"]["labels"] == ["2026-01"]
    assert [series["data"] for series in body["chart"]["series"]] == [[2.0], [0.0]]
    assert body["rows"] == [
        {
            "group": "2026-01",
            "handovers": 3,
            "start_median": 2.0,
            "start_p90": 2.8,
            "lwd_median": 0.0,
            "lwd_p90": 0.8,
        }
    ]
    assert body["filters"] == {
        "start": "2026-01-01",
        "end": "2026-01-31",
        "department": None,
        "role": None,
        "template": None,
        "group": "month",
    }


def _same_as_build_report(world, user, key, query):
    response = get(user, f"{key}/", query)
    form = ReportFilterForm(query)
    assert form.is_valid(), form.errors
    expected = build_report(scope_for(user), key, form.filters()).as_dict()
    assert response.status_code == 200, response.content
    assert response.json() == json.loads(json.dumps(expected))
    return response.json()


def test_filters_change_the_figures_as_the_report_pages_compute_them(world, certified):
    hr, lead = world.users["hr"], world.users["lead"]
    sales = world.departments["sales"].pk
    engineer = world.roles["engineer"].pk
    queries = [
        {},
        JANUARY,
        {**JANUARY, "department": sales},
        {**JANUARY, "role": engineer},
        {**JANUARY, "template": world.templates["sales"].pk, "group": "department"},
        {**JANUARY, "group": "role"},
        {"start": "2026-02-01", "end": "2026-02-28"},
    ]
    for key in REPORTS:
        for query in queries:
            _same_as_build_report(world, hr, key, query)
    for key in MANAGER_REPORTS:
        _same_as_build_report(world, lead, key, JANUARY)

    counts = [
        figures(get(hr, "cycle-time/", query))["Handovers"]
        for query in (
            JANUARY,
            {**JANUARY, "department": sales},
            {**JANUARY, "role": engineer},
            {"start": "2026-02-01", "end": "2026-02-28"},
        )
    ]
    assert counts == [3, 2, 1, 0]


def test_grouping_by_department_names_the_groups(world, certified):
    body = get(world.users["hr"], "cycle-time/", {**JANUARY, "group": "department"})

    groups = {row["group"]: row["handovers"] for row in body.json()["rows"]}

    assert groups == {"Sales East": 2, "R&D": 1}


def test_the_dashboard_is_the_callers_panels(world, certified):
    for username in ("hr", "it", "lead"):
        user = world.users[username]
        expected = [
            {
                "key": panel.key,
                "title": str(panel.title),
                "groups": [
                    {
                        "title": str(group.title),
                        "figures": [
                            {
                                "key": figure.key,
                                "label": str(figure.label),
                                "value": figure.value,
                                "url": figure.url,
                                "tone": figure.tone,
                            }
                            for figure in group.figures
                        ],
                    }
                    for group in panel.groups
                ],
            }
            for panel in dashboard_for(user)
        ]

        response = get(user, "dashboard/")

        assert response.status_code == 200
        assert response.json() == expected
        assert expected, username


# Bad filters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"department": "abc"}, "department"),
        ({"role": "-1"}, "role"),
        ({"template": "1.5"}, "template"),
        ({"start": "2026-13-01"}, "start"),
        ({"end": "yesterday"}, "end"),
        ({"group": "week"}, "group"),
        ({"start": "2026-03-01", "end": "2026-02-01"}, "end"),
        ({"start": "2015-01-01", "end": "2026-01-01"}, "start"),
        ({"department": "999999"}, "department"),
        ({"start": "9999-12-31", "end": "9999-12-31"}, "start"),
        ({"start": "0001-01-01", "end": "0001-01-02"}, "start"),
    ],
)
def test_bad_filters_are_400_naming_the_field(world, query, field):
    response = get(world.users["hr"], "cycle-time/", query)

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"]
    assert all(isinstance(message, str) for message in body["errors"][field])


@pytest.mark.parametrize("value", [str(2**63), str(2**70), "9" * 40])
@pytest.mark.parametrize("name", ["department", "role", "template"])
def test_ids_past_the_largest_are_400_not_500(world, name, value):
    response = get(world.users["hr"], "acceptance/", {name: value})

    assert response.status_code == 400, response.content
    assert name in response.json()["errors"]


def test_the_largest_id_is_an_id_nobody_has(world):
    response = get(world.users["hr"], "acceptance/", {"department": str(2**63 - 1)})

    assert response.status_code == 400
    assert "department" in response.json()["errors"]


# The schema ------------------------------------------------------------------------


@pytest.fixture
def schema(db):
    response = APIClient().get("/api/v1/schema/", {"format": "json"})
    return json.loads(response.content)


def _json_schema(node):
    """OpenAPI 3.0's ``nullable`` as JSON Schema's null type."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if "type" in node and not any(key in node for key in ("oneOf", "anyOf")):
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


def assert_documented(schema, path, response):
    operation = schema["paths"][f"/api/v1/reports/{path}"]["get"]
    documented = operation["responses"][str(response.status_code)]
    body_schema = documented["content"]["application/json"]["schema"]
    validator = Draft7Validator(
        {**_json_schema(body_schema), "components": _json_schema(schema["components"])}
    )
    errors = sorted(validator.iter_errors(response.json()), key=str)
    assert not errors, [f"{list(error.path)}: {error.message}" for error in errors]


def test_the_schema_lists_the_endpoints_and_their_parameters(schema):
    paths = schema["paths"]
    detail = paths["/api/v1/reports/{key}/"]["get"]
    parameters = {parameter["name"]: parameter for parameter in detail["parameters"]}

    assert {"/api/v1/reports/", "/api/v1/reports/dashboard/"} <= set(paths)
    assert parameters["key"]["in"] == "path"
    assert sorted(parameters["key"]["schema"]["enum"]) == sorted(REPORTS)
    assert sorted(parameters["group"]["schema"]["enum"]) == [
        "department",
        "month",
        "role",
        "template",
    ]
    for name in ("department", "role", "template"):
        assert parameters[name]["schema"]["maximum"] == 2**63 - 1
    assert parameters["start"]["schema"]["format"] == "date"
    assert {"200", "400", "401", "404"} <= set(detail["responses"])


def test_answers_match_the_schema(schema, world, certified):
    hr, lead = world.users["hr"], world.users["lead"]

    assert_documented(schema, "", get(hr, ""))
    assert_documented(schema, "dashboard/", get(hr, "dashboard/"))
    assert_documented(schema, "dashboard/", get(lead, "dashboard/"))
    for key in REPORTS:
        assert_documented(schema, "{key}/", get(hr, f"{key}/", JANUARY))
        assert_documented(
            schema, "{key}/", get(hr, f"{key}/", {**JANUARY, "group": "template"})
        )
    assert_documented(schema, "{key}/", get(hr, "cycle-time/", {"group": "week"}))
    assert_documented(schema, "{key}/", get(lead, "connectors/"))
    assert_documented(schema, "", get(None, ""))
