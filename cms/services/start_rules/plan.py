"""A start's plan: what it gets, why, and what keeps it from starting."""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils import formats

from cms import names
from cms.models import ChecklistTemplatePage, Employee, StartRule

__all__ = [
    "Decisions",
    "Policy",
    "StartPlan",
    "can_sign_in",
    "day_text",
    "language_name",
    "people_names",
    "person_name",
]

Policy = StartRule.SuccessorPolicy


@dataclass(frozen=True)
class StartPlan:
    """What a start would get and why; ``problems`` (field -> translated
    reasons) empty means it can start. ``codes`` names each problem field's
    refusal code."""

    employee: Employee
    template: ChecklistTemplatePage | None
    successors: list
    manager: object | None
    it_users: list
    due_offset_days: int | None
    rule: StartRule | None
    successor_policy: str
    explanations: list[str]
    problems: dict[str, list[str]]
    codes: dict[str, str] = field(default_factory=dict)
    manager_choice_days: int | None = None

    @property
    def startable(self) -> bool:
        return not self.problems

    @property
    def successor_pending(self) -> bool:
        """The manager picks the successor after the start."""
        return self.successor_policy == Policy.MANAGER_CHOICE and not self.successors

    @property
    def refusal_code(self) -> str:
        return next(iter(self.codes.values()), "")

    @property
    def refusal(self) -> str:
        return " ".join(
            message for messages in self.problems.values() for message in messages
        )

    def as_json(self) -> dict:
        """What a resignation event keeps of the plan (ids and the text shown)."""
        return {
            "template": getattr(self.template, "pk", None),
            "successors": [user.pk for user in self.successors],
            "manager": getattr(self.manager, "pk", None),
            "it_users": [user.pk for user in self.it_users],
            "rule": getattr(self.rule, "pk", None),
            "successor_policy": self.successor_policy,
            "manager_choice_days": self.manager_choice_days,
            "due_offset_days": self.due_offset_days,
            "explanations": [str(line) for line in self.explanations],
            "problems": {
                key: [str(message) for message in messages]
                for key, messages in self.problems.items()
            },
            "codes": dict(self.codes),
        }


def person_name(user) -> str:
    """A user by the one name rule (``cms.names``) in the active language."""
    return names.person_name(user)


def people_names(users) -> str:
    return ", ".join(person_name(user) for user in users)


def day_text(value) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def language_name(code: str) -> str:
    return str(dict(settings.LANGUAGES).get(code, code))


def can_sign_in(user) -> bool:
    return user is not None and user.is_active


class Decisions:
    """Explanations and problems collected while planning one start."""

    def __init__(self):
        self.explanations: list[str] = []
        self.problems: dict[str, list[str]] = {}
        self.codes: dict[str, str] = {}

    def explain(self, text: str) -> None:
        self.explanations.append(str(text))

    def refuse(self, field_name: str, code: str, message: str) -> None:
        self.problems.setdefault(field_name, []).append(str(message))
        self.codes.setdefault(field_name, code)
