"""Redmine's answers (issues, projects, memberships, users, versions) read into
typed models, in the shapes of its REST API."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from ...sdk.common import (
    clean_text,
)
from ...sdk.payloads import (
    Nested,
    NestedList,
    Payload,
    Text,
)
from ...sdk.trackers import Percent, at

__all__ = [
    "Issue",
    "Lines",
    "Membership",
    "Named",
    "Project",
    "Role",
    "User",
    "Version",
]


def _lines(value) -> str:
    """Text as Redmine stores it (CRLF line ends) with plain newlines."""
    return clean_text(value).replace("\r\n", "\n").replace("\r", "\n").strip()


Lines = Annotated[str, BeforeValidator(_lines)]


class Named(Payload):
    """A reference such as ``{"id": 2, "name": "In Progress"}``."""

    id: Text = ""
    name: Text = ""


class Issue(Payload):
    id: Text
    subject: Text = ""
    description: Lines = ""
    due_date: Text = ""
    status: Text = at("status", "name")
    status_id: Text = at("status", "id")
    is_closed: bool | None = at("status", "is_closed", default=None)
    done_ratio: Percent = None
    tracker: Text = at("tracker", "name")
    priority: Text = at("priority", "name")
    project: Text = at("project", "name")
    project_id: Text = at("project", "id")
    author: Text = at("author", "name")
    assigned_to: Text = at("assigned_to", "name")
    assigned_to_id: Text = at("assigned_to", "id")
    start_date: Text = ""
    updated_on: Text = ""


class Role(Payload):
    id: int | None = None
    name: Text = ""
    inherited: Any = False


class Membership(Payload):
    """A project's member (a user or a group), or one of a user's projects."""

    id: Text = ""
    project: Nested[Named] = Named()
    user: Nested[Named] = Named()
    group: Nested[Named] = Named()
    roles: NestedList[Role] = []

    @property
    def name(self) -> str:
        return self.user.name or self.group.name

    @property
    def own_roles(self) -> list[Role]:
        """The roles given directly (a user's inherited ones left out)."""
        return [
            role
            for role in self.roles
            if role.id is not None and not (role.inherited and self.user.id)
        ]


class User(Payload):
    id: int
    login: Text = ""
    mail: Text = ""
    admin: Any = False
    memberships: NestedList[Membership] = []


class Project(Payload):
    id: Text = ""
    name: Text = ""
    identifier: Text = ""
    description: Lines = ""
    homepage: Text = ""
    parent: Text = at("parent", "name")
    status: Any = Field(None, exclude=True)


class Version(Payload):
    name: Text = ""
    due_date: Text = ""
    status: Text = ""
    project_id: Text = at("project", "id")
