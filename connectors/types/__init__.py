"""Built-in connector types, one module or package each, built on
``connectors.sdk``. ``connectors.extensions`` lists them in the
``baton_connector_types`` hook."""

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
