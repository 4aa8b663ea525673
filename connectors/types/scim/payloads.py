"""SCIM resources (RFC 7643) as Baton reads them: users with their e-mails,
group references and enterprise extension, groups with their members; and
the filter that finds them (RFC 7644 §3.4.2.2)."""

from __future__ import annotations

from typing import Annotated, Any

from django.utils.translation import gettext_lazy as _
from pydantic import BeforeValidator, Field

from ...sdk.base import ConnectorError
from ...sdk.payloads import Nested, NestedList, Payload, Text

__all__ = ["ENTERPRISE", "PRIMARY", "Group", "User", "scim_filter"]

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
# What ``primary`` of a multi-valued attribute's entry may say for "yes".
PRIMARY = (True, "true", "True")


def scim_filter(attribute: str, value: str) -> str:
    """``attribute eq "value"`` with the value quoted as a JSON string."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{attribute} eq "{escaped}"'


def _objects_or_none(value):
    """A multi-valued attribute's objects; None when the server left it out
    (it may not say, and then Baton asks another way)."""
    if not isinstance(value, list):
        return None
    return [entry for entry in value if isinstance(entry, dict)]


class Reference(Payload):
    """A member of a group, a group of a user, an e-mail: ``value`` (+ label)."""

    value: Text = ""
    display: Text = ""
    primary: Any = None


References = Annotated[list[Reference] | None, BeforeValidator(_objects_or_none)]


class Enterprise(Payload):
    employeeNumber: Text = ""
    department: Text = ""


class User(Payload):
    id: Text = ""
    userName: Text = ""
    displayName: Text = ""
    externalId: Text = ""
    title: Text = ""
    # Kept as sent: "true"/"false" strings count too (``flag``).
    active: Any = None
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
    def email_list(self) -> list[str]:
        return [entry.value for entry in self.emails if entry.value]

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
        """Ids of the members; None when the server did not list them."""
        if self.members is None:
            return None
        return {member.value for member in self.members}
