"""What GitLab answers, as the connector reads it."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator

from ...sdk.payloads import Payload, Text

# An access level as a number; 0 (no access) for anything else.
Level = Annotated[int, BeforeValidator(lambda v: int(v) if str(v).isdigit() else 0)]


class User(Payload):
    id: int | str
    username: Text = ""
    name: Text = ""
    state: Text = ""
    web_url: Text = ""
    email: Text = ""
    public_email: Text = ""
    is_admin: bool | None = None


class Member(Payload):
    """A project member, or one of a user's memberships (``source_id``)."""

    id: int | str | None = None
    source_id: int | str | None = None
    username: Text = ""
    access_level: Level = 0
    state: Text = ""


class Project(Payload):
    id: int | str | None = None
    name: Text = ""
    path_with_namespace: Text = ""
    web_url: Text = ""
    description: Text = ""
    visibility: Text = ""
    archived: bool = False
    default_branch: Text = ""


class Group(Payload):
    full_path: Text = ""
