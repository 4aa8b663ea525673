"""Suggestions for HR starting a handover: templates and successors."""

from dataclasses import dataclass

from django.utils.translation import gettext

from cms.models import ChecklistTemplatePage, Employee

__all__ = ["SuccessorSuggestion", "suggest_successors", "suggest_templates"]


def suggest_templates(*, employee: Employee, language: str | None = None):
    """Published templates, best match first: same role, then same department."""
    templates = ChecklistTemplatePage.objects.live().select_related("role", "locale")
    if language:
        templates = templates.filter(locale__language_code=language)
    ranked = []
    for template in templates.prefetch_related("departments"):
        score = 0
        if employee.role_id and template.role_id == employee.role_id:
            score += 2
        if employee.department_id and any(
            department.pk == employee.department_id
            for department in template.departments.all()
        ):
            score += 1
        ranked.append((-score, template.title, template))
    return [
        template for _score, _title, template in sorted(ranked, key=lambda t: t[:2])
    ]


@dataclass(frozen=True)
class SuccessorSuggestion:
    """Someone who could take over, and why they were picked."""

    user: object
    employee: Employee | None
    reason: str


# At most this many peers are offered: enough to choose from, few enough to read.
SUGGESTED_PEERS = 5


def suggest_successors(*, employee: Employee) -> list[SuccessorSuggestion]:
    """Who could take over from ``employee``, best first: active colleagues who
    can sign in with the same department and role, then the same department,
    and the manager up the reporting chain only as a last resort."""
    leaver_user = employee.user_id
    colleagues = (
        Employee.objects.filter(
            status=Employee.Status.ACTIVE,
            user__isnull=False,
            user__is_active=True,
        )
        .exclude(pk=employee.pk)
        .select_related("user", "role", "department")
        .order_by("name", "pk")
    )
    if leaver_user:
        colleagues = colleagues.exclude(user_id=leaver_user)
    chain_ids = [boss.pk for boss in employee.reporting_chain()]
    suggestions = []
    if employee.department_id:
        peers = [
            colleague
            for colleague in colleagues.filter(department_id=employee.department_id)
            if colleague.pk not in chain_ids
        ]
        role_id = employee.role_id
        same_role = [peer for peer in peers if role_id and peer.role_id == role_id]
        others = [peer for peer in peers if peer not in same_role]
        for peer in same_role:
            reason = gettext("Same department (%(department)s) and role (%(role)s).")
            suggestions.append(
                SuccessorSuggestion(
                    user=peer.user,
                    employee=peer,
                    reason=reason
                    % {"department": peer.department.name, "role": peer.role.name},
                )
            )
        for peer in others:
            suggestions.append(
                SuccessorSuggestion(
                    user=peer.user,
                    employee=peer,
                    reason=gettext("Same department (%(department)s).")
                    % {"department": peer.department.name},
                )
            )
    suggestions = suggestions[:SUGGESTED_PEERS]
    for boss in employee.reporting_chain():
        if boss.user_id and boss.user.is_active and boss.user_id != leaver_user:
            reason = (
                gettext("Their manager: no colleague in the department can sign in.")
                if not suggestions
                else gettext("Their manager, if no colleague should take over.")
            )
            suggestions.append(
                SuccessorSuggestion(user=boss.user, employee=boss, reason=reason)
            )
            break
    return suggestions
