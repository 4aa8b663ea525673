"""SCIM resources (RFC 7643) as Baton reads them, the filter that finds them
(RFC 7644 §3.4.2.2), and attribute paths read from resources."""

from __future__ import annotations

import json
from typing import Annotated, Any

from django.utils.translation import gettext_lazy as _
from pydantic import AliasChoices, BeforeValidator, Field

from ...sdk.base import ConnectorError
from ...sdk.payloads import Nested, NestedList, Payload, Text

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
# What ``primary`` of a multi-valued attribute's entry may say for "yes".
PRIMARY = (True, "true", "True")


def scim_filter(attribute: str, value: str) -> str:
    """``attribute eq "value"`` with the value quoted as a JSON string."""
    return f"{attribute} eq {json.dumps(value, ensure_ascii=False)}"


def _objects_or_none(value):
    """None when the server left a multi-valued attribute out (it may not say,
    and then Baton asks another way)."""
    if isinstance(value, list):
        return [entry for entry in value if isinstance(entry, dict)]
    return None


class Reference(Payload):
    """A member of a group, a group of a user, an e-mail: ``value`` (+ label)."""

    value: Text = ""
    display: Text = ""
    primary: Any = None


References = Annotated[list[Reference] | None, BeforeValidator(_objects_or_none)]


class Enterprise(Payload):
    employeeNumber: Text = ""
    department: Text = ""


class Page(Payload):
    """A list answer; some servers spell ``Resources`` in lower case."""

    Resources: NestedList[dict] = Field(
        [], validation_alias=AliasChoices("Resources", "resources")
    )


class Total(Payload):
    totalResults: int


class User(Payload):
    id: Text = ""
    userName: Text = ""
    displayName: Text = ""
    externalId: Text = ""
    title: Text = ""
    active: Any = None  # as sent: "true"/"false" count too (``flag``)
    emails: NestedList[Reference] = []
    groups: References = None
    enterprise: Nested[Enterprise] = Field(default_factory=Enterprise, alias=ENTERPRISE)

    def flag(self, name: str) -> bool | None:
        """``active`` as a bool (None when absent); a ``ConnectorError`` naming
        the user (``name``) when it is neither a boolean nor "true"/"false"."""
        text = self.active.strip().lower() if isinstance(self.active, str) else None
        if text in ("true", "false"):
            return text == "true"
        if self.active is None or isinstance(self.active, bool):
            return self.active
        raise ConnectorError(
            _(
                "User %(user)s has an “active” value that is neither true "
                "nor false: %(value)s"
            )
            % {"user": name, "value": str(self.active)[:50]},
            retryable=False,
        )

    @property
    def email(self) -> str:
        entries = [entry for entry in self.emails if entry.value]
        chosen = [entry for entry in entries if entry.primary in PRIMARY] + entries
        return chosen[0].value if chosen else ""


class Group(Payload):
    id: Text = ""
    displayName: Text = ""
    externalId: Text = ""
    members: References = None

    @property
    def member_ids(self) -> set[str] | None:
        return None if self.members is None else {m.value for m in self.members}


def scim_value(resource: dict, path: str):
    """The value at an attribute path of a SCIM resource, or None. Names are
    matched in any case (RFC 7643 §2.1); of a multi-valued attribute the
    primary (else the first) value counts."""
    if not path:
        return None
    current = resource
    if path.lower().startswith("urn:"):
        schema, _sep, path = path.rpartition(":")
        current = _member(resource, schema)
    for name in path.split("."):
        current = _member(_single(current), name)
    current = _single(current)
    return current.get("value") if isinstance(current, dict) else current


def _member(value, name):
    if not isinstance(value, dict):
        return None
    wanted = name.lower()
    found = [item for key, item in value.items() if key.lower() == wanted]
    return value.get(name, found[0] if found else None)


def _single(value):
    if not isinstance(value, list):
        return value
    entries = [entry for entry in value if entry not in (None, "")]
    primary = [
        e for e in entries if isinstance(e, dict) and e.get("primary") in PRIMARY
    ]
    return (primary + entries)[0] if entries else None
