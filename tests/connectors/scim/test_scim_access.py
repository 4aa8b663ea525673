"""Access changes (suspend, restore, delete, group membership) of the SCIM
connector against the real scim2-server of server.py, plus pytest-httpserver for
answers scim2-server never gives (a read-only token, noTarget).

Each test makes its own users and groups and deletes them after, so the seeded
people other test modules read stay as they are.
"""

import json
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest
import requests

from connectors.sdk.base import (
    REVOKE,
    ConnectorError,
    EmployeeRef,
    MisconfiguredError,
)
from connectors.types.scim import ScimConnector

from ..servers import free_port
from .server import GROUP_SCHEMA, USER_SCHEMA, _stop, start_scim_server

pytestmark = pytest.mark.scim


class Throwaway:
    """Users and groups made for one test on a server, deleted after it."""

    def __init__(self, server):
        self.server = server
        self.tag = secrets.token_hex(4)
        self.made = []

    def user(self, name, **attributes) -> str:
        username = f"{name}-{self.tag}"
        created = self.server.create(
            "Users",
            {
                "schemas": [USER_SCHEMA],
                "userName": username,
                "emails": [{"value": self.email(name), "primary": True}],
                "active": True,
                **attributes,
            },
        )
        self.made.append(("Users", created["id"]))
        return created["id"]

    def group(self, name, members) -> str:
        created = self.server.create(
            "Groups",
            {
                "schemas": [GROUP_SCHEMA],
                "displayName": f"{name} {self.tag}",
                "members": [{"value": member} for member in members],
            },
        )
        self.made.append(("Groups", created["id"]))
        return created["id"]

    def email(self, name) -> str:
        return f"{name}-{self.tag}@access.example"

    def person(self, name) -> EmployeeRef:
        return EmployeeRef(email=self.email(name), name=name.title())

    def read(self, resource_type, resource_id) -> dict:
        response = requests.get(
            f"{self.server.base_url}/{resource_type}/{resource_id}",
            headers=self.server.headers,
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def members(self, group_id) -> set:
        group = self.read("Groups", group_id)
        return {member["value"] for member in group.get("members", [])}

    def remove(self):
        for resource_type, resource_id in reversed(self.made):
            requests.delete(
                f"{self.server.base_url}/{resource_type}/{resource_id}",
                headers=self.server.headers,
                timeout=10,
            )


@pytest.fixture
def sandbox(scim_server):
    box = Throwaway(scim_server)
    yield box
    box.remove()


@pytest.fixture(scope="module")
def patchless_server():
    """A second scim2-server that refuses PATCH with 501."""
    directory = Path(tempfile.mkdtemp(prefix="baton-scim-nopatch-"))
    server, process = start_scim_server(directory, patch=False)
    try:
        yield server
    finally:
        _stop(process)
        shutil.rmtree(directory, ignore_errors=True)


_made = []


@pytest.fixture(autouse=True)
def _close_connectors():
    yield
    while _made:
        _made.pop().close()


def connector(server_or_url, token=None, **secrets_):
    base_url = getattr(server_or_url, "base_url", server_or_url)
    made = ScimConnector(
        settings={"base_url": base_url, "auth": "bearer"},
        secrets={
            "token": server_or_url.token if token is None else token,
            **secrets_,
        },
        timeout=5,
    )
    _made.append(made)
    return made


@pytest.fixture
def leaver(sandbox):
    """A leaver in two groups of their own: "Solo" (leaver alone) and "Team"
    (leaver and a successor)."""
    user_id = sandbox.user("leaver")
    successor_id = sandbox.user("successor")
    solo = sandbox.group("Solo", [user_id])
    team = sandbox.group("Team", [user_id, successor_id])
    return {"id": user_id, "successor": successor_id, "solo": solo, "team": team}


def test_the_type_declares_access_changes():
    assert ScimConnector.can(REVOKE)
    assert "write_token" in [
        spec.name for spec in ScimConnector.setting_specs(secret=True)
    ]


def test_access_state_matches_what_discover_reports(scim_server, sandbox, leaver):
    conn = connector(scim_server)
    groups = conn.discover(employee=sandbox.person("leaver"), record_kind="group")

    state = conn.access_state(account_id=leaver["id"])

    assert (state.exists, state.active) == (True, True)
    assert sorted(state.groups) == sorted(record.external_id for record in groups)
    assert sorted(state.groups) == sorted([leaver["solo"], leaver["team"]])


def test_access_state_of_an_unknown_account(scim_server):
    state = connector(scim_server).access_state(account_id="no-such-user")

    assert (state.exists, state.active, state.groups) == (False, False, [])


def test_suspend_and_restore(scim_server, sandbox, leaver):
    conn = connector(scim_server)
    person = sandbox.person("leaver")

    result = conn.suspend_account(account_id=leaver["id"])

    assert result.response["operation"] == "suspend"
    assert result.response["active"] is False
    assert sandbox.read("Users", leaver["id"])["active"] is False
    assert conn.access_state(account_id=leaver["id"]).active is False
    (account,) = conn.discover(employee=person, record_kind="account")
    assert account.fields["active"] is False
    # Twice is fine.
    conn.suspend_account(account_id=leaver["id"])
    assert conn.access_state(account_id=leaver["id"]).active is False

    conn.restore_account(account_id=leaver["id"])
    conn.restore_account(account_id=leaver["id"])

    assert sandbox.read("Users", leaver["id"])["active"] is True
    (account,) = conn.discover(employee=person, record_kind="account")
    assert account.fields["active"] is True
    assert conn.access_state(account_id=leaver["id"]).active is True


def test_suspending_an_unknown_account_is_an_error(scim_server):
    with pytest.raises(MisconfiguredError, match="has no user no-such-user"):
        connector(scim_server).suspend_account(account_id="no-such-user")


def test_remove_member(scim_server, sandbox, leaver):
    conn = connector(scim_server)

    result = conn.remove_member(group_id=leaver["team"], account_id=leaver["id"])
    again = conn.remove_member(group_id=leaver["team"], account_id=leaver["id"])

    assert result.response["changed"] is True
    assert again.response["changed"] is False
    assert conn.access_state(account_id=leaver["id"]).groups == [leaver["solo"]]
    assert sandbox.members(leaver["team"]) == {leaver["successor"]}


def test_add_the_successor(scim_server, sandbox, leaver):
    conn = connector(scim_server)

    result = conn.add_member(
        group_id=leaver["solo"], person=sandbox.person("successor")
    )
    again = conn.add_member(group_id=leaver["solo"], person=sandbox.person("successor"))

    assert result.response["changed"] is True
    assert result.response["member"] == leaver["successor"]
    assert again.response["changed"] is False
    assert sandbox.members(leaver["solo"]) == {leaver["id"], leaver["successor"]}
    assert leaver["solo"] in conn.access_state(account_id=leaver["successor"]).groups


def test_add_member_needs_an_account(scim_server, sandbox, leaver):
    stranger = EmployeeRef(email="stranger@access.example", name="Stan Stranger")

    with pytest.raises(MisconfiguredError, match="Stan Stranger has no account"):
        connector(scim_server).add_member(group_id=leaver["solo"], person=stranger)


def test_delete(scim_server, sandbox, leaver):
    conn = connector(scim_server)

    result = conn.delete_account(account_id=leaver["id"])
    again = conn.delete_account(account_id=leaver["id"])

    assert result.response["changed"] is True
    assert again.response["changed"] is False
    state = conn.access_state(account_id=leaver["id"])
    assert (state.exists, state.active, state.groups) == (False, False, [])
    assert conn.discover(employee=sandbox.person("leaver"), record_kind="account") == []


def test_writes_use_the_write_token(scim_server, sandbox, leaver):
    wrong = "wr0ng-" + secrets.token_hex(8)
    conn = connector(scim_server, write_token=wrong)

    # Reads still use the (right) token.
    assert conn.access_state(account_id=leaver["id"]).active is True
    with pytest.raises(MisconfiguredError) as caught:
        conn.suspend_account(account_id=leaver["id"])

    assert str(caught.value) == "The SCIM server refused the write token."
    assert caught.value.retryable is False
    assert wrong not in str(caught.value)
    assert sandbox.read("Users", leaver["id"])["active"] is True

    # The write token is what writes: the right one works whatever the read token.
    writer = connector(scim_server, write_token=scim_server.token)
    writer.suspend_account(account_id=leaver["id"])
    assert sandbox.read("Users", leaver["id"])["active"] is False


def test_a_server_that_is_down_is_retryable():
    conn = connector(f"http://127.0.0.1:{free_port()}/v2", token="t0ken")

    for change in (
        lambda: conn.suspend_account(account_id="u1"),
        lambda: conn.remove_member(group_id="g1", account_id="u1"),
        lambda: conn.access_state(account_id="u1"),
    ):
        with pytest.raises(ConnectorError) as caught:
            change()
        assert caught.value.retryable is True
        assert "Could not connect" in str(caught.value)


# A server that cannot PATCH -----------------------------------------------------------


def test_without_patch_the_whole_resource_is_put(patchless_server):
    box = Throwaway(patchless_server)
    try:
        user_id = box.user("leaver")
        successor_id = box.user("successor")
        group_id = box.group("Team", [user_id])
        conn = connector(patchless_server)

        conn.suspend_account(account_id=user_id)
        assert box.read("Users", user_id)["active"] is False
        conn.restore_account(account_id=user_id)
        assert box.read("Users", user_id)["active"] is True

        conn.add_member(group_id=group_id, person=box.person("successor"))
        assert box.members(group_id) == {user_id, successor_id}
        conn.remove_member(group_id=group_id, account_id=user_id)
        assert box.members(group_id) == {successor_id}
        assert conn.access_state(account_id=user_id).groups == []
    finally:
        box.remove()


# Answers scim2-server does not give ---------------------------------------------------


def test_a_read_only_token_is_told_to_add_a_write_token(httpserver):
    httpserver.expect_request("/scim/v2/Users/u1", method="PATCH").respond_with_json(
        {"detail": "insufficient scope for t0ken"}, status=403
    )
    conn = connector(httpserver.url_for("/scim/v2"), token="t0ken")

    with pytest.raises(MisconfiguredError) as caught:
        conn.suspend_account(account_id="u1")

    assert "Add a write token" in str(caught.value)
    assert "t0ken" not in str(caught.value)


def test_removing_a_member_the_server_cannot_find_succeeds(httpserver):
    # No member list in the group, and a PATCH that finds nothing to remove.
    httpserver.expect_request("/scim/v2/Groups/g1", method="GET").respond_with_json(
        {"id": "g1", "displayName": "Team"}
    )
    httpserver.expect_request("/scim/v2/Groups/g1", method="PATCH").respond_with_json(
        {"scimType": "noTarget", "status": "400", "detail": "no such member"},
        status=400,
    )
    conn = connector(httpserver.url_for("/scim/v2"), token="t0ken")

    result = conn.remove_member(group_id="g1", account_id="u1")

    assert result.response["changed"] is False
    patch = [
        json.loads(request.get_data())
        for request, _response in httpserver.log
        if request.method == "PATCH"
    ]
    assert patch == [
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "remove", "path": 'members[value eq "u1"]'}],
        }
    ]
