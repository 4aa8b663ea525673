"""Data retention: the policies per data class, legal holds, and the nightly
run that erases what is due through ``cms.services.erasure``."""

from .due import is_held, retention_due
from .holds import hold_place, hold_release
from .kept import kept_reasons
from .policies import policy_update
from .rules import MINIMUMS, data_class_label, minimum_problem
from .run import retention_run, rows_holding

__all__ = [
    "MINIMUMS",
    "data_class_label",
    "hold_place",
    "hold_release",
    "is_held",
    "kept_reasons",
    "minimum_problem",
    "policy_update",
    "retention_due",
    "retention_run",
    "rows_holding",
]
