"""The SCIM connector's settings: the server, authentication, matching, the
directory attributes and access handover."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ...sdk.common import (
    TIMEOUT,
    VERIFY_TLS,
    optional,
    secret_setting,
    url_setting,
)
from ...sdk.directory import (
    directory_settings,
)
from ...sdk.people import match_by_setting
from .payloads import ENTERPRISE

__all__ = ["ID_ATTRIBUTES", "SETTINGS"]


ID_ATTRIBUTES = (
    ("", _("The SCIM id (or the match attribute when matching by directory id)")),
    ("id", _("The SCIM id (id)")),
    ("externalId", _("External id (externalId)")),
    ("userName", _("User name (userName)")),
)

SETTINGS = (
    url_setting(
        _("Base URL"), _("The SCIM endpoint, e.g. https://idp.example.com/scim/v2")
    ),
    optional(
        "auth",
        _("Authentication"),
        _(
            "How Baton signs in to the SCIM endpoint: most identity providers "
            "issue a bearer token in their SCIM or provisioning settings."
        ),
        default="bearer",
        choices=(
            ("bearer", _("Bearer token")),
            ("basic", _("User name and password")),
            ("none", _("None")),
        ),
    ),
    optional(
        "username", _("User name"), _("Only for user name and password authentication.")
    ),
    optional(
        "match_attribute",
        _("SCIM attribute to search"),
        _("The user attribute compared with the employee's value."),
        default="emails.value",
        choices=(
            ("emails.value", _("E-mail address (emails.value)")),
            ("userName", _("User name (userName)")),
            ("externalId", _("External id (externalId)")),
            (
                f"{ENTERPRISE}:employeeNumber",
                _("Employee number (enterprise extension)"),
            ),
        ),
    ),
    match_by_setting(
        ("email", "employee_number", "directory_id", "username"),
        label=_("Employee value to search for"),
        help_text=_(
            "Which of the employee's details Baton looks for in the SCIM "
            "attribute above, e.g. the e-mail address in emails.value."
        ),
    ),
    TIMEOUT,
    VERIFY_TLS,
    secret_setting(
        "token",
        _("Bearer token"),
        _(
            "For bearer token authentication: the SCIM API token from the identity "
            "provider's provisioning settings. Stored encrypted; never shown again."
        ),
        required=False,
    ),
    secret_setting(
        "password",
        _("Password"),
        _(
            "Only for user name and password authentication. Stored encrypted; "
            "never shown again."
        ),
        required=False,
    ),
    secret_setting(
        "write_token",
        _("Write token"),
        _(
            "A bearer token with write rights, used to suspend, restore and "
            "delete accounts and to change group members. Leave empty to "
            "write with the credentials above."
        ),
        required=False,
    ),
    *directory_settings(
        defaults={
            "employee_number": f"{ENTERPRISE}:employeeNumber",
            "department_name": f"{ENTERPRISE}:department",
            "manager": f"{ENTERPRISE}:manager.value",
        },
        help_texts={
            "id": _(
                "Which attribute identifies a person for good, even when their "
                "e-mail or user name changes. Empty: the SCIM id."
            ),
            "employee_number": _(
                "The attribute holding the employee number, e.g. "
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
                "employeeNumber."
            ),
            "department_name": _(
                "The attribute holding the department's name, matched with the "
                "names of Baton's departments."
            ),
            "position": _("The attribute holding the job title, e.g. title."),
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
                optional(
                    "directory_filter",
                    _("Which users are employees"),
                    _('A SCIM filter, e.g. userType eq "Employee". Empty: every user.'),
                    default="",
                ),
            )
        },
    ),
)
