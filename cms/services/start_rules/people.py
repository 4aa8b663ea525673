"""Who takes part in a start: the successor (by the rule's policy), the
manager, and IT."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from cms.models import ParticipantRole

from ..handovers import _item_prototypes, _leaver_in_role, _manager_user
from ..roles import DEFAULT_ROLE_GROUPS, role_name
from ..suggestions import suggest_successors
from . import codes
from .plan import Policy, can_sign_in, day_text, people_names, person_name

__all__ = ["PeopleDecisions"]


class PeopleDecisions:
    """The decisions about people of ``StartPlanner``; groups are read once
    per planner."""

    def _group_users(self, name: str) -> list:
        if name not in self._groups:
            self._groups[name] = list(
                get_user_model()
                .objects.filter(is_active=True, groups__name=name)
                .order_by("pk")
            )
        return self._groups[name]

    def _successors(self, decisions, employee, rule, successors, last_working_day):
        rule_name = getattr(rule, "name", "")
        if successors:
            successors = list(successors)
            decisions.explain(
                ngettext(
                    "Successor %(names)s, as chosen for this start.",
                    "Successors %(names)s, as chosen for this start.",
                    len(successors),
                )
                % {"names": people_names(successors)}
            )
            self._check_successors(decisions, employee, successors)
            return Policy.NAMED, successors, None
        policy = rule.successor_policy if rule is not None else Policy.SUGGESTED
        if policy == Policy.NAMED:
            successor = rule.successor
            if not can_sign_in(successor):
                decisions.refuse(
                    "successors",
                    codes.NO_SUCCESSOR,
                    gettext(
                        "Rule “%(rule)s” names no successor who can sign in: name one."
                    )
                    % {"rule": rule_name},
                )
                return policy, [], None
            decisions.explain(
                gettext("Successor %(name)s, named by rule “%(rule)s”.")
                % {"name": person_name(successor), "rule": rule_name}
            )
            self._check_successors(decisions, employee, [successor])
            return policy, [successor], None
        if policy == Policy.TEAM_BACKUP:
            return policy, self._team_backup(decisions, employee, rule_name), None
        if policy == Policy.MANAGER_CHOICE:
            days = rule.manager_choice_days
            # The manager is named by ``_manager``, which explains the choice.
            return policy, [], days
        suggestions = suggest_successors(employee=employee)
        if not suggestions:
            decisions.refuse(
                "successors",
                codes.NO_SUCCESSOR,
                gettext(
                    "Name a successor: nobody in the employee's department or "
                    "reporting chain can take over."
                ),
            )
            return policy, [], None
        best = suggestions[0]
        decisions.explain(
            gettext("Successor %(name)s, suggested by Baton. %(reason)s")
            % {"name": person_name(best.user), "reason": best.reason}
        )
        return policy, [best.user], None

    def _team_backup(self, decisions, employee, rule_name) -> list:
        candidates = [(employee.backup, employee)]
        if employee.manager_id:
            candidates.append((employee.manager.backup, employee.manager))
        for backup, of in candidates:
            if backup is None or backup.pk == employee.pk:
                continue
            user = backup.user if backup.user_id else None
            if not can_sign_in(user) or user.pk == employee.user_id:
                continue
            if of is employee:
                text = gettext(
                    "Successor %(name)s, the designated backup of %(employee)s "
                    "(rule “%(rule)s”)."
                )
            else:
                text = gettext(
                    "Successor %(name)s, the designated backup of the team of "
                    "%(manager)s, manager of %(employee)s (rule “%(rule)s”)."
                )
            decisions.explain(
                text
                % {
                    "name": backup.name,
                    "employee": employee.name,
                    "manager": of.name,
                    "rule": rule_name,
                }
            )
            return [user]
        decisions.refuse(
            "successors",
            codes.NO_SUCCESSOR,
            gettext(
                "No designated backup: neither %(employee)s nor their manager's "
                "record names a backup who can sign in (rule “%(rule)s”)."
            )
            % {"employee": employee.name, "rule": rule_name},
        )
        return []

    def _check_successors(self, decisions, employee, successors) -> None:
        if employee.user_id and employee.user_id in {user.pk for user in successors}:
            decisions.refuse(
                "successors",
                codes.NO_SUCCESSOR,
                gettext("The departing employee cannot be their own successor."),
            )

    def _manager(self, decisions, employee, manager, choosing_rule):
        """The manager; ``choosing_rule`` when they are to pick the successor."""
        if manager is not None:
            decisions.explain(
                gettext("Manager %(name)s, as chosen for this start.")
                % {"name": person_name(manager)}
            )
        else:
            manager = _manager_user(employee)
            if manager is not None:
                decisions.explain(
                    gettext(
                        "Manager %(name)s: the first manager up the reporting chain "
                        "of %(employee)s who can sign in."
                    )
                    % {"name": person_name(manager), "employee": employee.name}
                )
        if manager is not None and manager.pk == employee.user_id:
            decisions.refuse(
                "manager", codes.NOT_ALLOWED, _leaver_in_role(ParticipantRole.MANAGER)
            )
        choosing = (
            choosing_rule is not None
            and choosing_rule.successor_policy == Policy.MANAGER_CHOICE
        )
        if choosing and manager is None:
            decisions.refuse(
                "manager",
                codes.NO_MANAGER,
                gettext(
                    "The manager is to pick the successor, but nobody in the "
                    "reporting chain of %(employee)s can sign in: name a manager "
                    "or a successor."
                )
                % {"employee": employee.name},
            )
        elif choosing:
            days = choosing_rule.manager_choice_days
            decisions.explain(
                ngettext(
                    "No successor yet: %(manager)s picks one within %(days)d day, "
                    "by %(due)s (rule “%(rule)s”).",
                    "No successor yet: %(manager)s picks one within %(days)d days, "
                    "by %(due)s (rule “%(rule)s”).",
                    days,
                )
                % {
                    "manager": person_name(manager),
                    "days": days,
                    "due": day_text(timezone.localdate() + timedelta(days=days)),
                    "rule": choosing_rule.name,
                }
            )
        elif manager is None:
            decisions.explain(
                gettext("No manager: nobody in the reporting chain can sign in.")
            )
        return manager

    def _roles_needed(self, template) -> dict[str, int]:
        needs = {}
        if template is None or not template.live_revision_id:
            return needs
        for prototype in _item_prototypes(template.live_revision):
            for role in {prototype["filled_by_role"], prototype["confirmed_by_role"]}:
                needs[role] = needs.get(role, 0) + 1
        return needs

    def _it_users(self, decisions, employee, rule, template, manager) -> list:
        needs = self._roles_needed(template)
        if manager is None and needs.get(ParticipantRole.MANAGER):
            group = self._role_group(ParticipantRole.MANAGER)
            if not group or not self._group_members(group, employee):
                decisions.refuse(
                    "manager",
                    codes.NO_MANAGER,
                    self._missing_role(ParticipantRole.MANAGER, needs),
                )
        if rule is not None and rule.it_group.strip():
            group = rule.it_group.strip()
            users = self._group_members(group, employee)
            if users:
                decisions.explain(
                    gettext(
                        "IT: %(names)s, members of group “%(group)s” (rule “%(rule)s”)."
                    )
                    % {"names": people_names(users), "group": group, "rule": rule.name}
                )
            elif needs.get(ParticipantRole.IT):
                decisions.refuse(
                    "it_users",
                    codes.NO_IT,
                    gettext(
                        "Group “%(group)s” of rule “%(rule)s” has no active members, "
                        "and %(count)d item(s) of this template are for IT."
                    )
                    % {
                        "group": group,
                        "rule": rule.name,
                        "count": needs[ParticipantRole.IT],
                    },
                )
            return users
        if not needs.get(ParticipantRole.IT):
            if template is not None:
                decisions.explain(
                    gettext("IT: nobody is needed, no item of this template is for IT.")
                )
            return []
        group = self._role_group(ParticipantRole.IT)
        users = self._group_members(group, employee) if group else []
        if not users:
            decisions.refuse(
                "it_users", codes.NO_IT, self._missing_role(ParticipantRole.IT, needs)
            )
            return []
        decisions.explain(
            gettext("IT: %(names)s, members of the IT group “%(group)s”.")
            % {"names": people_names(users), "group": group}
        )
        return users

    def _role_group(self, role) -> str:
        groups = getattr(settings, "BATON_ROLE_GROUPS", DEFAULT_ROLE_GROUPS)
        return groups.get(role) or groups.get(str(role)) or ""

    def _group_members(self, group: str, employee) -> list:
        return [
            user for user in self._group_users(group) if user.pk != employee.user_id
        ]

    def _missing_role(self, role, needs) -> str:
        return gettext(
            "Name someone as %(role)s: %(count)d item(s) of this template "
            "are filled or confirmed by one, and nobody can take the role "
            "by default."
        ) % {"role": role_name(role), "count": needs[role]}
