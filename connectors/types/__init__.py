"""Built-in connector types. Importing this package registers them."""

from . import (  # noqa: F401
    dingtalk,
    feishu,
    github,
    gitlab,
    jira,
    ldap,
    redmine,
    rest,
    sample,
    scim,
    spreadsheet,
)
