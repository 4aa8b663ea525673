"""What GitHub answers, as the connector reads it."""

from __future__ import annotations

from ...sdk.payloads import Nested, NestedList, Payload, Text


class Account(Payload):
    """A user, organisation or team as GitHub lists them."""

    login: Text = ""
    type: Text = ""
    slug: Text = ""
    name: Text = ""


class Repo(Payload):
    id: int | str | None = None
    full_name: Text = ""
    name: Text = ""
    owner: Nested[Account] = Account()
    html_url: Text = ""
    description: Text = ""
    private: bool = False
    archived: bool = False
    default_branch: Text = ""


class Collaborator(Payload):
    login: Text = ""
    role_name: Text = ""
    permissions: dict[str, bool | None] = {}

    @property
    def role(self) -> str:
        granted = ("admin", "maintain", "push", "triage", "pull")
        first = next((name for name in granted if self.permissions.get(name)), "")
        return self.role_name or first


class Role(Payload):
    """A membership (``role``, ``state``) or a collaborator's permission."""

    role: Text = ""
    state: Text = ""
    role_name: Text = ""
    permission: Text = ""


class Search(Payload):
    items: NestedList[Account] = []
