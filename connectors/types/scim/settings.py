"""The settings of the SCIM connector: where the server is, how Baton signs
in (a separate write token may do the changes), which attribute finds the
employee, and — as a directory — which attributes hold what."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from ...sdk.base import MisconfiguredError, Setting
from ...sdk.common import TIMEOUT, VERIFY_TLS
from ...sdk.directory import directory_settings
from .payloads import ENTERPRISE

__all__ = [
    "ATTRIBUTE_PATH",
    "AUTH_CHOICES",
    "ID_ATTRIBUTES",
    "MATCH_BY",
    "SETTINGS",
    "attribute_path",
]

# An attribute path: "title", "name.formatted" or "<schema URN>:<attribute>";
# anything else could change the filter it goes into.
ATTRIBUTE_PATH = re.compile(r"^[A-Za-z][A-Za-z0-9_.:$-]*$")
MATCH_ATTRIBUTES = (
    ("emails.value", _("E-mail address (emails.value)")),
    ("userName", _("User name (userName)")),
    ("externalId", _("External id (externalId)")),
    (f"{ENTERPRISE}:employeeNumber", _("Employee number (enterprise extension)")),
)
MATCH_BY = (
    ("email", _("E-mail address")),
    ("employee_number", _("Employee number")),
    ("directory_id", _("Directory id")),
    ("username", _("User name")),
)
AUTH_CHOICES = (
    ("bearer", _("Bearer token")),
    ("basic", _("User name and password")),
    ("none", _("None")),
)
ID_ATTRIBUTES = (
    ("", _("The SCIM id (or the match attribute when matching by directory id)")),
    ("id", _("The SCIM id (id)")),
    ("externalId", _("External id (externalId)")),
    ("userName", _("User name (userName)")),
)


def attribute_path(value: str, choices=None) -> str:
    """``value`` when it is empty or an attribute path (one of ``choices``
    when given); else refused."""
    wrong = choices is not None and value not in dict(choices)
    if wrong or (value and not ATTRIBUTE_PATH.match(value)):
        raise MisconfiguredError(
            _("“%(attribute)s” is not a SCIM attribute name.") % {"attribute": value}
        )
    return value


BAD_BASE_URL = _("The SCIM base URL must start with https:// (or http://).")

DIRECTORY_SETTINGS = directory_settings(
    defaults={
        "employee_number": f"{ENTERPRISE}:employeeNumber",
        "department_name": f"{ENTERPRISE}:department",
        "manager": f"{ENTERPRISE}:manager.value",
    },
    help_texts={
        "department_code": _("Empty: departments are matched by name."),
        "manager": _("Holds the SCIM id of the person's manager."),
        "status": _(
            "An attribute whose value says someone is leaving or disabled, e.g. "
            "userType. Empty: only inactive users count (as disabled)."
        ),
        "disabled_values": _(
            "Status values meaning “disabled”, separated by commas. Inactive "
            "users count as disabled anyway."
        ),
        "last_working_day": _(
            "An attribute holding the last working day as a date or date-time, "
            "e.g. urn:example:params:scim:schemas:extension:hr:2.0:User:"
            "lastWorkingDay."
        ),
    },
    id_choices=ID_ATTRIBUTES,
    extra={
        "intake_mode": (
            Setting(
                "directory_filter",
                _("Which users are employees"),
                help_text=_(
                    'A SCIM filter, e.g. userType eq "Employee". Empty: every user.'
                ),
                required=False,
                default="",
            ),
        )
    },
)

SETTINGS = (
    Setting(
        "base_url",
        _("Base URL"),
        _("The SCIM endpoint, e.g. https://idp.example.com/scim/v2"),
        type="url",
        missing=BAD_BASE_URL,
        invalid=BAD_BASE_URL,
    ),
    Setting("auth", _("Authentication"), default="bearer", choices=AUTH_CHOICES),
    Setting(
        "username",
        _("User name"),
        _("Only for user name and password authentication."),
        required=False,
    ),
    Setting(
        "match_attribute",
        _("SCIM attribute to search"),
        _("The user attribute compared with the employee's value."),
        required=False,
        default="emails.value",
        choices=MATCH_ATTRIBUTES,
    ),
    Setting(
        "match_by",
        _("Employee value to search for"),
        required=False,
        default="email",
        choices=MATCH_BY,
    ),
    TIMEOUT,
    VERIFY_TLS,
    Setting("token", _("Bearer token"), required=False, secret=True),
    Setting("password", _("Password"), required=False, secret=True),
    Setting(
        "write_token",
        _("Write token"),
        _(
            "A bearer token with write rights, used to suspend, restore and "
            "delete accounts and to change group members. Leave empty to "
            "write with the credentials above."
        ),
        required=False,
        secret=True,
    ),
    *DIRECTORY_SETTINGS,
)
