"""Start rules: what a start gets (template, successor, manager, IT, due dates),
decided by the first active rule that matches the employee, explained one
sentence per decision and refused per field where it cannot start.

``start_plan`` reads only; ``StartPlanner`` is the same for many employees at
once (bulk start), with what every plan reads loaded once."""

from . import codes
from .codes import REFUSAL_CODES
from .plan import StartPlan
from .planner import StartPlanner, start_plan

__all__ = ["REFUSAL_CODES", "StartPlan", "StartPlanner", "codes", "start_plan"]
