"""Employees kept in step with a real SCIM 2.0 server (scim2-server), and
leavers reported to intake: users are paged with startIndex and count, the
enterprise extension gives number, department and manager, ``active: false``
is disabled, a status attribute says leaving, and an HR extension holds the
last working day.

The server serves the RFC 7643 schemas plus an HR extension with
``lastWorkingDay``; each test gets a tenant of its own (an empty directory).
"""

import datetime
import json
import secrets
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

import pytest
import requests

from cms.models import Employee, ResignationEvent
from connectors.directory import directory_sync
from connectors.models import ConnectorConfig, SyncRun
from connectors.types import scim as scim_directory
from connectors.types.scim import ScimConnector

from .scim.server import ENTERPRISE, USER_SCHEMA, _command, _wait_until_serving
from .servers import free_port, stop_process

pytestmark = [pytest.mark.django_db, pytest.mark.scim]

HR = "urn:baton:params:scim:schemas:extension:hr:2.0:User"
LAST_WORKING_DAY = f"{HR}:lastWorkingDay"
HR_SCHEMA = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
    "id": HR,
    "name": "HR",
    "description": "What HR knows about a user",
    "attributes": [
        {
            "name": "lastWorkingDay",
            "type": "dateTime",
            "multiValued": False,
            "description": "The last working day",
            "required": False,
            "caseExact": False,
            "mutability": "readWrite",
            "returned": "default",
            "uniqueness": "none",
        }
    ],
    "meta": {"resourceType": "Schema", "location": f"/v2/Schemas/{HR}"},
}
LAST_DAY = datetime.date(2026, 12, 31)


def _discovery_files(directory: Path) -> list[str]:
    """The default schemas and resource types, with the HR extension on User."""
    bundled = resources.files("scim2_server") / "resources"
    schemas = json.loads((bundled / "default-schemas.json").read_text())
    types = json.loads((bundled / "default-resource-types.json").read_text())
    for resource_type in types:
        if resource_type["id"] == "User":
            resource_type["schemaExtensions"].append({"schema": HR, "required": False})
    (directory / "schemas.json").write_text(json.dumps([*schemas, HR_SCHEMA]))
    (directory / "types.json").write_text(json.dumps(types))
    return [
        *("--schema", str(directory / "schemas.json")),
        *("--resource-type", str(directory / "types.json")),
    ]


class Server:
    def __init__(self, root: str, token: str):
        self.root = root
        self.token = token


@pytest.fixture(scope="module")
def scim_root():
    """A scim2-server with the HR extension and a tenant per test."""
    directory = Path(tempfile.mkdtemp(prefix="baton-scim-directory-"))
    token = secrets.token_urlsafe(24)
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    with open(directory / "scim2-server.log", "ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own dev dependency
            [
                *_command(),
                *_discovery_files(directory),
                *("--hostname", "127.0.0.1", "--port", str(port)),
                "--dynamic-tenants",
                f"--bearer-token={token}",
            ],
            cwd=directory,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        if not _wait_until_serving(process, f"{root}/probe/v2", token):
            pytest.fail(
                "scim2-server did not start:\n"
                + (directory / "scim2-server.log").read_text(errors="replace")[-3000:],
                pytrace=False,
            )
        yield Server(root, token)
    finally:
        stop_process(process, timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


class Directory:
    """One tenant of the server: an identity provider's users."""

    def __init__(self, root: Server):
        self.base_url = f"{root.root}/t{secrets.token_hex(4)}/v2"
        self.token = root.token
        self.ids = {}

    @property
    def headers(self):
        return {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/scim+json",
        }

    def add(self, username, name, number, *, manager=None, department="", **extra):
        enterprise = {"employeeNumber": number}
        if department:
            enterprise["department"] = department
        if manager:
            enterprise["manager"] = {"value": self.ids[manager]}
        payload = {
            "schemas": [USER_SCHEMA, ENTERPRISE],
            "userName": username,
            "displayName": name,
            "externalId": f"ext-{username}",
            "emails": [
                {"value": f"{username}@baton.example", "type": "work", "primary": True}
            ],
            "active": True,
            ENTERPRISE: enterprise,
            **extra,
        }
        response = requests.post(
            f"{self.base_url}/Users", json=payload, headers=self.headers, timeout=10
        )
        assert response.status_code == 201, response.text
        self.ids[username] = response.json()["id"]

    def change(self, username, **values):
        """Replace the user with its attributes changed (``None`` removes)."""
        url = f"{self.base_url}/Users/{self.ids[username]}"
        user = requests.get(url, headers=self.headers, timeout=10).json()
        user.pop("meta", None)
        for name, value in values.items():
            if name == "last_working_day":
                if value is None:
                    user.pop(HR, None)
                else:
                    user[HR] = {"lastWorkingDay": f"{value.isoformat()}T00:00:00Z"}
                    if HR not in user["schemas"]:
                        user["schemas"].append(HR)
            else:
                user[name] = value
        response = requests.put(url, json=user, headers=self.headers, timeout=10)
        assert response.status_code == 200, response.text


@pytest.fixture
def idp(scim_root):
    """Zhang Wei manages Chen Fang (sales) and Yang Jing; Sun Li is new, in
    Marketing."""
    directory = Directory(scim_root)
    directory.add("manager", "Zhang Wei", "E0002", department="Sales", title="Director")
    directory.add(
        "sales",
        "Chen Fang",
        "E0005",
        manager="manager",
        department="Sales",
        title="Senior key account manager",
        phoneNumbers=[{"value": "+86 10 5555 0105", "type": "work"}],
    )
    directory.add("successor", "Yang Jing", "E0007", manager="manager")
    directory.add(
        "sunli",
        "Sun Li",
        "E9001",
        manager="manager",
        department="Marketing",
        title="Marketing specialist",
    )
    return directory


def connector(idp, **settings):
    config = ConnectorConfig(
        type="scim",
        name="Identity provider",
        slug="idp",
        settings={
            "base_url": idp.base_url,
            "auth": "bearer",
            "directory_sync": True,
            "directory_status_attribute": "userType",
            "directory_last_working_day_attribute": LAST_WORKING_DAY,
            **settings,
        },
    )
    config.set_secrets({"token": idp.token})
    config.save()
    return config


def listed(idp, **settings):
    client = ScimConnector(
        settings={
            "base_url": idp.base_url,
            "auth": "bearer",
            "directory_last_working_day_attribute": LAST_WORKING_DAY,
            **settings,
        },
        secrets={"token": idp.token},
    )
    try:
        return {person.employee_number: person for person in client.list_people()}
    finally:
        client.close()


def employee(number):
    return Employee.objects.select_related("manager", "department").get(
        employee_number=number
    )


def test_the_type_lists_people_page_by_page(idp, monkeypatch):
    # Given pages of two users, and Chen Fang with a last working day
    monkeypatch.setattr(scim_directory, "DIRECTORY_PAGE_SIZE", 2)
    idp.change("sales", last_working_day=LAST_DAY)

    # When the type lists the people
    people = listed(idp)

    # Then everyone is there, with what the extensions say
    assert ScimConnector.supports_directory
    assert set(people) == {"E0002", "E0005", "E0007", "E9001"}
    sales = people["E0005"]
    assert sales.directory_id == idp.ids["sales"]
    assert sales.manager_directory_id == idp.ids["manager"]
    assert (sales.name, sales.email, sales.phone) == (
        "Chen Fang",
        "sales@baton.example",
        "+86 10 5555 0105",
    )
    assert (sales.department_name, sales.position) == (
        "Sales",
        "Senior key account manager",
    )
    assert (sales.status, sales.last_working_day) == ("active", LAST_DAY)
    assert people["E0007"].last_working_day is None


def test_directory_ids_can_be_external_ids(idp):
    # When employees are matched by directory id against externalId
    people = listed(idp, match_by="directory_id", match_attribute="externalId")

    # Then people and their managers are named by it
    assert people["E0005"].directory_id == "ext-sales"
    assert people["E0005"].manager_directory_id == "ext-manager"


def test_employees_are_kept_in_step_and_leavers_reported_once(people, idp):
    # Given the identity provider synced once
    config = connector(idp)
    run = directory_sync(config)
    assert (run.state, run.seen, run.created) == (SyncRun.State.OK, 4, 1)
    sun = employee("E9001")
    assert (sun.name, sun.department.name, sun.position) == (
        "Sun Li",
        "Marketing",
        "Marketing specialist",
    )
    assert sun.manager == employee("E0002")
    assert sun.directory_id == idp.ids["sunli"]
    assert employee("E0005").manager == employee("E0002")
    assert not ResignationEvent.objects.exists()

    # When Chen Fang is deactivated, Yang Jing gets a last working day, and
    # Sun Li's user type turns "leaving"
    idp.change("sales", active=False)
    idp.change("successor", last_working_day=LAST_DAY)
    idp.change("sunli", userType="Leaving")
    directory_sync(config)

    # Then each is a resignation event, proposed to HR (Sun Li's, without a
    # date and without an account, refused with the reason)
    events = {
        event.employee.employee_number: event
        for event in ResignationEvent.objects.select_related("employee")
    }
    assert set(events) == {"E0005", "E0007", "E9001"}
    assert events["E0005"].state == ResignationEvent.State.PROPOSED
    assert employee("E0005").status == Employee.Status.LEFT
    dated = events["E0007"]
    assert (dated.source, dated.connector_slug) == ("directory", "idp")
    assert dated.external_id == f"{idp.ids['successor']}:2026-12-31"
    assert dated.last_working_day == LAST_DAY
    assert dated.state == ResignationEvent.State.PROPOSED
    assert events["E9001"].state == ResignationEvent.State.REFUSED
    assert events["E9001"].refusal.endswith("The last working day is missing.")
    assert employee("E9001").status == Employee.Status.LEAVING

    # When it is synced again
    directory_sync(config)

    # Then nothing new
    assert ResignationEvent.objects.count() == 3


def test_a_wrong_token_fails_the_run(people, idp):
    # Given a connector whose token the server refuses
    config = connector(idp)
    config.set_secrets({"token": "wrong"})
    config.save()

    # When it is synced
    run = directory_sync(config)

    # Then the run failed with the reason, and nothing was written
    assert run.state == SyncRun.State.FAILED
    assert run.errors[-1]["message"] == "The SCIM server refused the token."
    assert not Employee.objects.filter(employee_number="E9001").exists()
