"""The planner: every decision of a start, explained, with what every plan
reads loaded once (a bulk start plans hundreds of rows with one planner)."""

from datetime import timedelta

from django.utils.translation import gettext, ngettext

from cms.models import ChecklistTemplatePage, Employee, Handover

from . import codes
from .people import PeopleDecisions
from .plan import Decisions, StartPlan, day_text, language_name
from .rules import RuleMatching

__all__ = ["StartPlanner", "start_plan"]


class StartPlanner(RuleMatching, PeopleDecisions):
    """Plans starts. What every plan reads (rules, departments, templates,
    groups, who has an open handover) is read once per planner: a bulk start
    plans hundreds of rows with one."""

    def __init__(self):
        self._rules = None
        self._parents = None
        self._templates = {}
        self._groups = {}
        self._open_employee_ids = None

    # What every plan reads ------------------------------------------------------

    def _live_templates(self, language: str) -> list[ChecklistTemplatePage]:
        if language not in self._templates:
            templates = (
                ChecklistTemplatePage.objects.live()
                .select_related("role", "locale", "live_revision")
                .prefetch_related("departments")
                .order_by("title", "pk")
            )
            if language:
                templates = templates.filter(locale__language_code=language)
            self._templates[language] = list(templates)
        return self._templates[language]

    def preload_open_handovers(self, employee_ids) -> None:
        """Answer "has an open handover" for these employees from one query."""
        self._open_employee_ids = set(
            Handover.objects.filter(
                employee_id__in=list(employee_ids), state__in=Handover.OPEN_STATES
            ).values_list("employee_id", flat=True)
        )

    def _has_open_handover(self, employee) -> bool:
        if self._open_employee_ids is not None:
            return employee.pk in self._open_employee_ids
        return Handover.objects.filter(
            employee=employee, state__in=Handover.OPEN_STATES
        ).exists()

    # The plan -------------------------------------------------------------------

    def plan(
        self,
        *,
        employee: Employee,
        last_working_day,
        resignation_date=None,
        template=None,
        successors=None,
        manager=None,
        language: str = "",
    ) -> StartPlan:
        decisions = Decisions()
        self._check_employee(decisions, employee)
        self._check_dates(decisions, last_working_day, resignation_date)
        rule, why = self.rule_for(employee)
        decisions.explain(why)
        template = self._template(decisions, employee, rule, template, language)
        policy, successors, choice_days = self._successors(
            decisions, employee, rule, successors, last_working_day
        )
        manager = self._manager(
            decisions, employee, manager, rule if successors == [] else None
        )
        it_users = self._it_users(decisions, employee, rule, template, manager)
        due_offset_days = rule.due_offset_days if rule is not None else None
        self._due_dates(decisions, rule, last_working_day)
        return StartPlan(
            employee=employee,
            template=template,
            successors=successors,
            manager=manager,
            it_users=it_users,
            due_offset_days=due_offset_days,
            rule=rule,
            successor_policy=policy,
            explanations=decisions.explanations,
            problems=decisions.problems,
            codes=decisions.codes,
            manager_choice_days=choice_days,
        )

    def _check_employee(self, decisions, employee) -> None:
        if not employee.user_id:
            decisions.refuse(
                "employee",
                codes.NO_USER_ACCOUNT,
                gettext(
                    "%(name)s has no user account, so they could not fill the handover."
                )
                % {"name": employee.name},
            )
        if self._has_open_handover(employee):
            decisions.refuse(
                "employee",
                codes.ALREADY_OPEN,
                gettext("%(name)s already has an open handover.")
                % {"name": employee.name},
            )

    def _check_dates(self, decisions, last_working_day, resignation_date) -> None:
        if last_working_day is None:
            decisions.refuse(
                "last_working_day",
                codes.DATES_MISSING,
                gettext("The last working day is missing."),
            )
        elif resignation_date and last_working_day < resignation_date:
            decisions.refuse(
                "last_working_day",
                codes.LAST_DAY_BEFORE_RESIGNATION,
                gettext(
                    "The last working day (%(last_day)s) is before the resignation "
                    "date (%(resignation)s)."
                )
                % {
                    "last_day": day_text(last_working_day),
                    "resignation": day_text(resignation_date),
                },
            )

    def _template(self, decisions, employee, rule, template, language):
        if template is not None:
            reason = gettext("Template “%(template)s”, as chosen for this start.")
        elif rule is not None and rule.template_id:
            template = rule.template
            reason = gettext("Template “%(template)s”, set by rule “%(rule)s”.")
        else:
            wanted = language or (rule.language if rule is not None else "")
            template, reason = self._suggested_template(employee, wanted)
            if template is None:
                decisions.refuse(
                    "template",
                    codes.NO_TEMPLATE,
                    gettext("No published template in %(language)s: choose one.")
                    % {"language": language_name(wanted)}
                    if wanted
                    else gettext("No template is published: publish one first."),
                )
                return None
        template_language = template.locale.language_code
        decisions.explain(
            reason
            % {
                "template": template.title,
                "rule": getattr(rule, "name", ""),
                "language": language_name(template_language),
                "role": getattr(employee.role, "name", ""),
                "department": getattr(employee.department, "name", ""),
            }
        )
        if not template.live or not template.live_revision_id:
            decisions.refuse(
                "template",
                codes.NO_TEMPLATE,
                gettext("Only a published template can be used."),
            )
        elif language and template_language != language:
            decisions.refuse(
                "template",
                codes.TEMPLATE_LOCALE,
                gettext(
                    "Template “%(template)s” is in %(template_language)s, but this "
                    "handover is to be in %(language)s."
                )
                % {
                    "template": template.title,
                    "template_language": language_name(template_language),
                    "language": language_name(language),
                },
            )
        return template

    def _suggested_template(self, employee, language):
        """The ranking of ``suggest_templates`` (same role, then same
        department, then by title) over the planner's templates."""
        ranked = []
        for template in self._live_templates(language):
            same_role = bool(employee.role_id and template.role_id == employee.role_id)
            same_department = bool(
                employee.department_id
                and any(
                    department.pk == employee.department_id
                    for department in template.departments.all()
                )
            )
            ranked.append((-(2 * same_role + same_department), template))
        if not ranked:
            return None, ""
        score, template = min(ranked, key=lambda pair: pair[0])
        if score == -3:
            reason = gettext(
                "Template “%(template)s” (%(language)s), suggested: it is written for "
                "the employee's role (%(role)s) and department (%(department)s)."
            )
        elif score == -2:
            reason = gettext(
                "Template “%(template)s” (%(language)s), suggested: it is written for "
                "the employee's role (%(role)s)."
            )
        elif score == -1:
            reason = gettext(
                "Template “%(template)s” (%(language)s), suggested: it is written for "
                "the employee's department (%(department)s)."
            )
        else:
            reason = gettext(
                "Template “%(template)s” (%(language)s): no template is written for "
                "the employee's role or department, so the first one by title is used."
            )
        return template, reason

    def _due_dates(self, decisions, rule, last_working_day) -> None:
        if last_working_day is None:
            return
        if rule is not None and rule.due_offset_days is not None:
            days = rule.due_offset_days
            decisions.explain(
                ngettext(
                    "Every item is due %(days)d day before the last working day, on "
                    "%(due)s (rule “%(rule)s”).",
                    "Every item is due %(days)d days before the last working day, on "
                    "%(due)s (rule “%(rule)s”).",
                    days,
                )
                % {
                    "days": days,
                    "due": day_text(last_working_day - timedelta(days=days)),
                    "rule": rule.name,
                }
            )
            return
        decisions.explain(
            gettext(
                "Items are due as the template sets them, counted from the last "
                "working day (%(day)s)."
            )
            % {"day": day_text(last_working_day)}
        )


def start_plan(
    *,
    employee: Employee,
    last_working_day,
    resignation_date=None,
    template=None,
    successors=None,
    manager=None,
    language: str = "",
) -> StartPlan:
    """What starting a handover for ``employee`` would give, and why: the rule
    that applies, then one explanation per decision (template, successor,
    manager, IT, due dates). Reads only. Named ``template``, ``successors`` or
    ``manager`` win over the rules; a ``language`` refuses a template of
    another one."""
    return StartPlanner().plan(
        employee=employee,
        last_working_day=last_working_day,
        resignation_date=resignation_date,
        template=template,
        successors=successors,
        manager=manager,
        language=language,
    )
