"""Which start rule applies to an employee, and the sentence saying why."""

from django.utils.translation import gettext

from cms.models import Department, Employee, StartRule

__all__ = ["RuleMatching"]


class RuleMatching:
    """The active rules by priority, matched against employees; the rules and
    the department tree are read once per planner."""

    def rules(self) -> list[StartRule]:
        if self._rules is None:
            self._rules = list(
                StartRule.objects.filter(active=True)
                .select_related("role", "department", "template__locale", "successor")
                .order_by("priority", "pk")
            )
        return self._rules

    def _department_parents(self) -> dict[int, int | None]:
        if self._parents is None:
            self._parents = dict(Department.objects.values_list("pk", "parent_id"))
        return self._parents

    def _departments_up(self, department_id) -> set[int]:
        """The department and every department it sits in."""
        parents, seen = self._department_parents(), set()
        while department_id is not None and department_id not in seen:
            seen.add(department_id)
            department_id = parents.get(department_id)
        return seen

    def _matches(self, rule: StartRule, employee: Employee) -> bool:
        if rule.role_id and rule.role_id != employee.role_id:
            return False
        if rule.department_id and rule.department_id not in self._departments_up(
            employee.department_id
        ):
            return False
        needle = rule.position_contains.strip().casefold()
        return not needle or needle in (employee.position or "").casefold()

    def rule_for(self, employee: Employee) -> tuple[StartRule | None, str]:
        """The rule that applies to ``employee`` and the sentence saying why."""
        rules = self.rules()
        for rule in rules:
            if not rule.is_fallback and self._matches(rule, employee):
                return rule, self._why(rule, employee)
        fallback = next((rule for rule in rules if rule.is_fallback), None)
        if fallback is not None:
            return fallback, gettext(
                "No start rule matches %(employee)s: the fallback rule “%(rule)s” "
                "applies."
            ) % {"employee": employee.name, "rule": fallback.name}
        if rules:
            return None, gettext(
                "No start rule matches %(employee)s and there is no fallback rule: "
                "Baton's suggestions are used."
            ) % {"employee": employee.name}
        return None, gettext("No start rules are set up: Baton's suggestions are used.")

    def _why(self, rule: StartRule, employee: Employee) -> str:
        conditions = []
        if rule.role_id:
            conditions.append(gettext("role %(role)s") % {"role": rule.role.name})
        if rule.department_id:
            if rule.department_id == employee.department_id:
                text = gettext("department %(department)s")
            else:
                text = gettext("department %(department)s (a sub-department of it)")
            conditions.append(text % {"department": rule.department.name})
        if rule.position_contains.strip():
            conditions.append(
                gettext("position containing “%(text)s”")
                % {"text": rule.position_contains.strip()}
            )
        if not conditions:
            return gettext(
                "Rule “%(rule)s” (priority %(priority)d) applies to everyone."
            ) % {"rule": rule.name, "priority": rule.priority}
        return gettext(
            "Rule “%(rule)s” (priority %(priority)d) applies to %(employee)s: "
            "%(conditions)s."
        ) % {
            "rule": rule.name,
            "priority": rule.priority,
            "employee": employee.name,
            "conditions": ", ".join(conditions),
        }
