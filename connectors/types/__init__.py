"""Built-in connector types. Importing this package registers them."""

from . import (  # noqa: F401
    dingtalk,
    feishu,
    github,
    gitlab,
    hubspot,
    jira,
    ldap,
    redmine,
    rest,
    sample,
    scim,
    spreadsheet,
    tryton,
)
