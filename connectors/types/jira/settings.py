"""What an admin sets for the Jira connector."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ...sdk.base import Setting
from ...sdk.common import (
    TIMEOUT,
    VERIFY_TLS,
    map_setting,
    optional,
    page_size_setting,
    secret_setting,
    status_map_setting,
    url_setting,
    webhook_secret_setting,
)

__all__ = ["DEFAULT_STATUS_MAP", "SETTINGS"]

# Status names (lower-cased) that mean "stuck" although Jira files them under
# "In Progress"; everything else follows the status category.
DEFAULT_STATUS_MAP = {
    "blocked": "blocked",
    "on hold": "blocked",
    "waiting for customer": "blocked",
}
SETTINGS = (
    url_setting(
        _("Site URL"), _("Your Jira Cloud site, e.g. https://example.atlassian.net")
    ),
    Setting(
        "email",
        _("Account e-mail address"),
        _("The Atlassian account the API token belongs to."),
    ),
    secret_setting(
        "api_token",
        _("API token"),
        _(
            "Created at id.atlassian.com → Security → API tokens. The account "
            "needs “Browse users and groups” to find people, and to be a Jira "
            "administrator to change project leads."
        ),
    ),
    optional(
        "jql",
        _("Extra JQL"),
        _(
            "Narrows the issues, e.g. project in (FIN, WEB). Combined with the "
            "employee's unresolved issues by AND."
        ),
        default="",
    ),
    map_setting(
        "account_id_map",
        _("Atlassian account ids"),
        _(
            "Employee value (as the connector matches people, e.g. e-mail) → "
            "Atlassian account id. Needed where Jira hides e-mail addresses, "
            "or to match by anything but e-mail."
        ),
    ),
    status_map_setting(
        _(
            "Jira status name → task status (not_started, in_progress, blocked "
            "or done). Unlisted statuses follow their category: To Do → "
            "not_started, In Progress → in_progress, Done → done; Blocked, On "
            "Hold and Waiting for customer count as blocked."
        )
    ),
    page_size_setting(50),
    TIMEOUT,
    VERIFY_TLS,
    webhook_secret_setting(
        _(
            "For an automation rule or bridge that signs its calls to Baton's "
            "hook when issues change."
        )
    ),
)
