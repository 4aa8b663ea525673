"""What the Feishu and DingTalk types share for resignation approvals: the
settings HR fills in (the approval code and which form field holds what), and
the neutral shape a type reports an approval in (``ApprovedResignation``), read
into a ``ResignationNotice`` by ``connectors.intake.approvals``.

Types import this module; it imports nothing of cms, so listing approvals
needs no database.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ._common import clean_text
from .base import DIRECTORY_SYNC, INTAKE_MODE, Setting

__all__ = [
    "ApprovedResignation",
    "PersonRef",
    "field_matches",
    "intake_settings",
    "person_from_text",
    "read_dates",
]

WATERMARK_SETTING = "resignation_polled_until"


@dataclass(frozen=True)
class PersonRef:
    """Who an approval names: any of these may be empty."""

    user_id: str = ""
    email: str = ""
    employee_number: str = ""
    name: str = ""

    def __bool__(self):
        return bool(self.user_id or self.email or self.employee_number)


@dataclass(frozen=True)
class ApprovedResignation:
    """One instance of the resignation approval, as a type reads it. Dates are
    the form's values as read (None when the field is empty or unreadable)."""

    instance_code: str
    approval_code: str
    status: str  # "approved", "pending", "rejected", "other"
    employee: PersonRef
    last_working_day: datetime.date | None = None
    resignation_date: datetime.date | None = None
    reason: str = ""
    submitted_on: datetime.date | None = None
    finished_at: datetime.datetime | None = None
    # Field name -> why it could not be read (shown to HR with the event).
    problems: dict = field(default_factory=dict)
    # What the vendor returned, for HR's event log (form values, ids, status).
    summary: dict = field(default_factory=dict)

    @property
    def approved(self) -> bool:
        return self.status == "approved"


def field_matches(configured: str, *names) -> bool:
    """Whether a form field (its id, name or label) is the configured one;
    case and surrounding spaces do not matter."""
    wanted = clean_text(configured).casefold()
    return bool(wanted) and any(
        clean_text(name).casefold() == wanted for name in names if name
    )


def read_dates(found: dict, problems: dict, read) -> dict:
    """The two date fields of a form (setting -> date or None): ``read`` turns
    a field into a date; a field that holds something else is a problem."""
    dates = {}
    for setting in (
        "resignation_field_last_working_day",
        "resignation_field_resignation_date",
    ):
        field_ = found.get(setting)
        dates[setting] = read(field_) if field_ is not None else None
        value = (field_ or {}).get("value")
        if dates[setting] is None and value not in (None, "", [], {}):
            problems[setting] = gettext(
                "The form field “%(field)s” holds no date Baton can read: %(value)s."
            ) % {
                "field": clean_text(field_.get("name")) or clean_text(field_.get("id")),
                "value": str(value)[:100],
            }
    return dates


def person_from_text(value) -> PersonRef:
    """A person typed into a text field: an e-mail address, else an employee
    number."""
    text = clean_text(value)
    if not text:
        return PersonRef()
    if "@" in text:
        return PersonRef(email=text)
    return PersonRef(employee_number=text)


def intake_settings(*, system, employee_help) -> tuple[Setting, ...]:
    """The settings of resignation intake, the same for both approval types
    (``system`` names the vendor in help texts)."""
    return (
        Setting(
            "resignation_approval_code",
            _("Resignation approval code"),
            format_lazy(
                _(
                    "The code of the {system} approval definition employees resign "
                    "with. When one of its instances is approved, a handover starts "
                    "(or is proposed). Empty: resignations are not taken from "
                    "{system}."
                ),
                system=system,
            ),
            required=False,
            default="",
        ),
        Setting(
            "resignation_field_last_working_day",
            _("Form field: last working day"),
            _("The name (or id) of the form field holding the last working day."),
            required=False,
            default="最后工作日",
        ),
        Setting(
            "resignation_field_resignation_date",
            _("Form field: resignation date"),
            _(
                "The name (or id) of the form field holding the resignation date. "
                "Empty, or empty in the form: the day the approval was submitted."
            ),
            required=False,
            default="离职日期",
        ),
        Setting(
            "resignation_field_reason",
            _("Form field: reason"),
            _("The name (or id) of the form field holding the reason."),
            required=False,
            default="离职原因",
        ),
        Setting(
            "resignation_field_employee",
            _("Form field: employee"),
            employee_help,
            required=False,
            default="",
        ),
        INTAKE_MODE,
        Setting(
            "resignation_poll_minutes",
            _("Look for missed approvals every (minutes)"),
            format_lazy(
                _(
                    "Approvals whose event never arrived are found by asking "
                    "{system} this often. 0 turns the poll off."
                ),
                system=system,
            ),
            required=False,
            default=10,
            type="integer",
        ),
        Setting(
            "resignation_lookback_days",
            _("Resignation approvals submitted within (days)"),
            _("How far back the poll looks for approvals submitted but decided late."),
            required=False,
            default=30,
            type="integer",
        ),
        Setting(
            WATERMARK_SETTING,
            _("Approvals looked for until"),
            _(
                "Set by Baton after each poll (ISO date and time). Clear it to look "
                "back one day again."
            ),
            required=False,
            default="",
        ),
        DIRECTORY_SYNC,
    )
