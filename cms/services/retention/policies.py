"""Editing a retention policy: HR admins only, never below the legal minimum."""

from django.db import transaction

from cms.errors import InvalidInput
from cms.models import RetentionPolicy

from ..common import require_hr
from .rules import minimum_problem

__all__ = ["policy_update"]


@transaction.atomic
def policy_update(
    *,
    actor,
    policy: RetentionPolicy,
    period_months: int,
    counted_from: str,
    action: str,
    legal_basis: str,
    enabled: bool,
) -> RetentionPolicy:
    require_hr(actor)
    problem = minimum_problem(policy.data_class, period_months)
    if problem:
        raise InvalidInput(problem, fields={"period_months": [problem]})
    if counted_from not in RetentionPolicy.CountedFrom.values:
        raise InvalidInput(fields={"counted_from": [str(InvalidInput.default_message)]})
    if action not in RetentionPolicy.Action.values:
        raise InvalidInput(fields={"action": [str(InvalidInput.default_message)]})
    policy.period_months = period_months
    policy.counted_from = counted_from
    policy.action = action
    policy.legal_basis = (legal_basis or "").strip()
    policy.enabled = enabled
    policy.updated_by = actor
    policy.save()
    return policy
