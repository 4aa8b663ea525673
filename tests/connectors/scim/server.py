"""A real SCIM 2.0 server for the connector tests: ``scim2-server`` (a pip dev
dependency) run as a subprocess on 127.0.0.1, seeded through its own SCIM API.

Import ``scim_server`` into a test module (or conftest) to use it.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from ..servers import free_port, stop_process, wait_until_serving

__all__ = ["GROUPS", "USERS", "ScimServer", "scim_server", "start_scim_server"]

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

# The demo people (cms/demo/seed.py: username@baton.example) the tests look up.
USERS = {
    "sales": {
        "displayName": "Sam Sales",
        "employeeNumber": "E1001",
        "externalId": "dir-sales",
        "active": True,
    },
    "successor": {
        "displayName": "Sue Successor",
        "employeeNumber": "E1002",
        "externalId": "dir-successor",
        "active": True,
    },
    "dev": {
        "displayName": "Dana Dev",
        "employeeNumber": "E1003",
        "externalId": "dir-dev",
        "active": False,
    },
}
# group display name -> member usernames. "Key accounts" has sales alone.
GROUPS = {
    "Key accounts": ["sales"],
    "Sales team": ["sales", "successor"],
    "Engineering": ["dev"],
}
STARTUP_SECONDS = 30


@dataclass
class ScimServer:
    """What the fixture yields."""

    base_url: str  # e.g. http://127.0.0.1:40123/v2
    token: str
    pid: int
    # username -> SCIM id; group display name -> SCIM id
    users: dict = field(default_factory=dict)
    groups: dict = field(default_factory=dict)

    @property
    def headers(self) -> dict:
        return {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/scim+json",
        }

    def create(self, resource_type: str, payload: dict) -> dict:
        """POST one resource (``Users`` or ``Groups``); returns it as created."""
        response = requests.post(
            f"{self.base_url}/{resource_type}",
            json=payload,
            headers=self.headers,
            timeout=10,
        )
        assert response.status_code == 201, response.text
        return response.json()

    def add_user(self, username: str, **attributes) -> str:
        email = attributes.pop("email", f"{username}@baton.example")
        employee_number = attributes.pop("employeeNumber", None)
        payload = {
            "schemas": [USER_SCHEMA],
            "userName": username,
            "emails": [{"value": email, "type": "work", "primary": True}],
            **attributes,
        }
        if employee_number:
            payload["schemas"].append(ENTERPRISE)
            payload[ENTERPRISE] = {"employeeNumber": employee_number}
        user_id = self.create("Users", payload)["id"]
        self.users[username] = user_id
        return user_id

    def add_group(self, name: str, members: list[str]) -> str:
        payload = {
            "schemas": [GROUP_SCHEMA],
            "displayName": name,
            "members": [
                {"value": self.users[member], "type": "User"} for member in members
            ],
        }
        group_id = self.create("Groups", payload)["id"]
        self.groups[name] = group_id
        return group_id


def _command() -> list[str]:
    script = Path(sys.executable).with_name("scim2-server")
    if script.exists():
        return [str(script)]
    found = shutil.which("scim2-server")
    if found:
        return [found]
    pytest.fail(
        "scim2-server is not installed; it is a dev dependency: "
        "`.venv/bin/pip install -e '.[dev]'` (or `make install`).",
        pytrace=False,
    )


def _wait_until_serving(process, base_url, token) -> bool:
    def probe():
        response = requests.get(
            f"{base_url}/ServiceProviderConfig",
            headers={"Authorization": f"Bearer {token}"},
            timeout=1,
        )
        return response.status_code == 200

    return wait_until_serving(
        process,
        probe,
        seconds=STARTUP_SECONDS,
        pause=0.1,
        errors=requests.RequestException,
    )


def _stop(process) -> None:
    stop_process(process, timeout=10)  # SIGTERM to this one PID


def _without_patch(directory: Path) -> list[str]:
    """Arguments announcing (and enforcing) that the server cannot PATCH."""
    path = directory / "service-provider-config.json"
    path.write_text(
        json.dumps(
            {
                "schemas": [
                    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
                ],
                "patch": {"supported": False},
                "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
                "filter": {"supported": True, "maxResults": 1000},
                "changePassword": {"supported": False},
                "sort": {"supported": False},
                "etag": {"supported": False},
            }
        )
    )
    return ["--service-provider-config", str(path)]


def start_scim_server(
    directory: Path, *, patch: bool = True
) -> tuple[ScimServer, subprocess.Popen]:
    """Start a seeded server; fail the tests loudly when it will not start.
    ``patch=False``: a server that refuses PATCH (HTTP 501), as some do."""
    token = secrets.token_urlsafe(24)
    command = _command() + ([] if patch else _without_patch(directory))
    log_path = directory / "scim2-server.log"
    # A free port can be taken by someone else before the server binds it: retry.
    for _attempt in range(3):
        port = free_port()
        base_url = f"http://127.0.0.1:{port}/v2"
        with open(log_path, "ab") as log:
            process = subprocess.Popen(  # noqa: S603 - our own dev dependency
                [
                    *command,
                    "--hostname",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    # One argument: a token may start with "-", which
                    # argparse would take for an option.
                    f"--bearer-token={token}",
                ],
                cwd=directory,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        if _wait_until_serving(process, base_url, token):
            break
        _stop(process)
    else:
        pytest.fail(
            "scim2-server did not start:\n"
            + log_path.read_text(errors="replace")[-3000:],
            pytrace=False,
        )
    server = ScimServer(base_url=base_url, token=token, pid=process.pid)
    try:
        for username, attributes in USERS.items():
            server.add_user(username, **attributes)
        for name, members in GROUPS.items():
            server.add_group(name, members)
    except BaseException:
        _stop(process)
        raise
    return server, process


@pytest.fixture(scope="session")
def scim_server():
    """A running scim2-server seeded with sales, successor and dev, and the
    groups "Key accounts" (sales alone), "Sales team" and "Engineering"."""
    directory = Path(tempfile.mkdtemp(prefix="baton-scim-"))
    server, process = start_scim_server(directory)
    try:
        yield server
    finally:
        _stop(process)
        shutil.rmtree(directory, ignore_errors=True)
