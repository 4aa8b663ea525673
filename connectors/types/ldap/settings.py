"""What an LDAP / Active Directory connector is told."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ...sdk.base import Setting
from ...sdk.common import flag_setting, optional, secret_setting, timeout_setting
from ...sdk.directory import directory_settings
from ...sdk.people import match_by_setting

__all__ = ["SETTINGS"]

OPENLDAP, ACTIVE_DIRECTORY = "openldap", "ad"
DEFAULT_USER_FILTER = "(objectClass=inetOrgPerson)"
AD_USER_FILTER = "(&(objectCategory=person)(objectClass=user))"
DEFAULT_GROUP_FILTER = (
    "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group))"
)
METHOD_ATTRIBUTE, METHOD_PPOLICY = "attribute", "pwdAccountLockedTime"
METHOD_PASSWORD = "password"  # noqa: S105 - a method name

SETTINGS = (
    Setting(
        "server_uri",
        _("Server address"),
        _(
            "ldap://host:389 or ldaps://host:636. Use ldaps:// or StartTLS unless "
            "the server is on a trusted network."
        ),
    ),
    Setting(
        "flavour",
        _("Directory type"),
        _(
            "Active Directory reads sAMAccountName, userPrincipalName, memberOf "
            "and userAccountControl."
        ),
        default=OPENLDAP,
        choices=(
            (OPENLDAP, _("OpenLDAP or another standard LDAP server")),
            (ACTIVE_DIRECTORY, _("Active Directory")),
        ),
    ),
    optional(
        "bind_dn",
        _("Bind DN"),
        _(
            "The account Baton reads the directory as, e.g. "
            "cn=baton,ou=services,dc=example,dc=com. Leave empty to bind "
            "anonymously."
        ),
    ),
    secret_setting(
        "bind_password",
        _("Bind password"),
        _(
            "The password of the bind DN above; empty for an anonymous bind. "
            "Stored encrypted; never shown again."
        ),
        required=False,
    ),
    flag_setting(
        "start_tls",
        _("Use StartTLS"),
        _("Upgrade an ldap:// connection to TLS before binding."),
    ),
    optional(
        "ca_certificate",
        _("CA certificate"),
        _(
            "PEM certificate of the authority that signed the server's "
            "certificate, when it is not a publicly trusted one."
        ),
    ),
    Setting(
        "user_base_dn",
        _("User base DN"),
        _("Where accounts are searched, e.g. ou=people,dc=example,dc=com."),
    ),
    optional(
        "user_filter",
        _("User filter"),
        _(
            "Which entries are accounts. Active Directory connectors left at the "
            "default use (&(objectCategory=person)(objectClass=user))."
        ),
        default=DEFAULT_USER_FILTER,
    ),
    Setting(
        "group_base_dn",
        _("Group base DN"),
        _("Where groups are searched, e.g. ou=groups,dc=example,dc=com."),
    ),
    optional(
        "group_filter",
        _("Group filter"),
        _("Which entries are groups."),
        default=DEFAULT_GROUP_FILTER,
    ),
    match_by_setting(("email", "employee_number", "directory_id", "username")),
    optional(
        "match_attribute",
        _("Match attribute"),
        _(
            "The account attribute holding that detail, e.g. mail, "
            "employeeNumber, uid or sAMAccountName."
        ),
        default="mail",
    ),
    optional(
        "disabled_attribute",
        _("Disabled attribute"),
        _(
            "OpenLDAP only: an account counts as disabled when it has this "
            "attribute, unless its value is FALSE, 0, no, active or enabled."
        ),
        default="pwdAccountLockedTime",
    ),
    optional(
        "disable_method",
        _("How to suspend accounts"),
        _(
            "OpenLDAP only (Active Directory always sets the disabled flag of "
            "userAccountControl). “Disabled attribute” writes the disabled "
            "value into the disabled attribute; “Password policy lock” sets "
            "pwdAccountLockedTime (needs the ppolicy overlay); “Unusable "
            "password” replaces userPassword."
        ),
        default=METHOD_ATTRIBUTE,
        choices=(
            (METHOD_ATTRIBUTE, _("Disabled attribute")),
            (METHOD_PPOLICY, _("Password policy lock (pwdAccountLockedTime)")),
            (METHOD_PASSWORD, _("Unusable password")),
        ),
    ),
    optional(
        "disabled_value",
        _("Disabled value"),
        _(
            "What suspending writes into the disabled attribute. When set, only "
            "this value counts as disabled. Defaults to 000001010000Z (a "
            "permanent lock) for pwdAccountLockedTime and TRUE otherwise."
        ),
    ),
    optional(
        "enabled_value",
        _("Enabled value"),
        _(
            "What restoring writes into the disabled attribute. Leave empty to "
            "remove the attribute."
        ),
    ),
    optional(
        "password_backup_attribute",
        _("Password backup attribute"),
        _(
            "“Unusable password” only: the account attribute that keeps the "
            "old password hash so restoring can put it back. Protect it like "
            "userPassword. Leave empty and restoring is refused: set a new "
            "password instead."
        ),
    ),
    optional(
        "write_bind_dn",
        _("Write bind DN"),
        _(
            "The account Baton suspends, restores and deletes accounts and "
            "changes group members as, when it differs from the read-only bind "
            "DN. Leave empty to write with the bind DN."
        ),
    ),
    secret_setting(
        "write_bind_password",
        _("Write bind password"),
        _(
            "The password of the write bind DN; empty when Baton writes with the "
            "bind DN. Stored encrypted; never shown again."
        ),
        required=False,
    ),
    optional(
        "system_name",
        _("System name"),
        _(
            "How items name this directory, e.g. “Company directory”. "
            "Defaults to the server's host name."
        ),
    ),
    timeout_setting(_("How long to wait for the server before giving up.")),
    *directory_settings(
        defaults={
            "employee_number": "employeeNumber",
            "department_code": "departmentNumber",
            "manager": "manager",
        },
        help_texts={
            "employee_number": _(
                "The attribute holding the employee number, e.g. employeeNumber "
                "(employeeID on some Active Directory servers)."
            ),
            "department_code": _(
                "The attribute holding the department's code, matched with the "
                "codes of Baton's departments, e.g. departmentNumber."
            ),
            "position": _("The attribute holding the job title, e.g. title."),
            "id": _(
                "Which attribute identifies a person for good. Empty: the entry's "
                "entryUUID (objectGUID on Active Directory), or the match attribute "
                "when employees are matched by directory id."
            ),
            "department_name": _("Empty: ou (department on Active Directory)."),
            "manager": _("Holds the DN of the person's manager."),
            "status": _(
                "An attribute whose value says someone is leaving or disabled, e.g. "
                "employeeType. Empty: only disabled accounts and the leaving group "
                "count."
            ),
            "disabled_values": _(
                "Status values meaning “disabled”, separated by commas, e.g. "
                "terminated. Disabled accounts count as disabled anyway."
            ),
            "last_working_day": _(
                "An attribute holding the last working day: a date (2026-12-31, "
                "20261231 or a generalized time), accountExpires on Active "
                "Directory or shadowExpire (the account's expiry: the day before "
                "is the last working day)."
            ),
        },
        extra={
            "directory_disabled_values": (
                optional(
                    "directory_leaving_group",
                    _("Leaving group"),
                    _(
                        "DN of a group whose members are leaving, e.g. "
                        "cn=leavers,ou=groups,dc=example,dc=com."
                    ),
                ),
            )
        },
    ),
)
