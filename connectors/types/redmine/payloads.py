"""What the Redmine connector reads from Redmine's answers (REST API, JSON)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator

from ...sdk.common import clean_text
from ...sdk.payloads import Nested, NestedList, Payload, Text
from ...sdk.trackers import Percent


def _lines(value) -> str:
    """Text as Redmine stores it (CRLF line ends) with plain newlines."""
    return clean_text(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _only(kind):
    """A validator keeping values of ``kind`` only (else None)."""
    return BeforeValidator(lambda value: value if isinstance(value, kind) else None)


Lines = Annotated[str, BeforeValidator(_lines)]


class Named(Payload):
    """A reference such as ``{"id": 2, "name": "In Progress"}``."""

    id: Text = ""
    name: Text = ""


class Status(Named):
    is_closed: Annotated[bool | None, _only(bool)] = None


class Issue(Payload):
    id: Text = ""
    subject: Text = ""
    description: Lines = ""
    status: Nested[Status] = Status()
    done_ratio: Percent = None
    tracker: Nested[Named] = Named()
    priority: Nested[Named] = Named()
    project: Nested[Named] = Named()
    author: Nested[Named] = Named()
    assigned_to: Nested[Named] = Named()
    start_date: Text = ""
    due_date: Text = ""
    updated_on: Text = ""


class Role(Payload):
    id: Annotated[int | None, _only(int)] = None
    name: Text = ""
    inherited: Any = False


class Membership(Payload):
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
    id: Annotated[int | None, _only(int)] = None
    login: Text = ""
    mail: Text = ""
    admin: Any = False
    memberships: NestedList[Membership] = []


class Project(Named):
    identifier: Text = ""
    description: Lines = ""
    homepage: Text = ""
    parent: Nested[Named] = Named()
    status: Any = None


class Version(Named):
    due_date: Text = ""
    status: Text = ""
    project: Nested[Named] = Named()


class Count(Payload):
    total_count: Annotated[int | None, _only(int)] = None
