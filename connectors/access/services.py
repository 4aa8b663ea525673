"""Every access handover service, for callers that use several (the admin
screens, the API, the tests): each is defined in the module of its step."""

from .common import access_connectors
from .controls import (
    access_action_complete,
    access_action_retry,
    access_actions_cancel,
    access_actions_run_now,
    access_delete,
    access_restore,
    access_revoke_now,
)
from .inventory import access_grant_add, access_scan
from .planning import access_dry_run, access_plan, plan_on_accept, revoke_time
from .residual import access_residual_check
from .running import access_run_due

__all__ = [
    "access_action_complete",
    "access_action_retry",
    "access_actions_cancel",
    "access_actions_run_now",
    "access_connectors",
    "access_delete",
    "access_dry_run",
    "access_grant_add",
    "access_plan",
    "access_residual_check",
    "access_restore",
    "access_revoke_now",
    "access_run_due",
    "access_scan",
    "plan_on_accept",
    "revoke_time",
]
