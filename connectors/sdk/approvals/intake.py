"""Resignation approvals shared by Feishu and DingTalk: the settings, reading a
form with them (``read_resignation``), ``ApprovedResignation``, the platform's
user (``PlatformUser``) and the ``ResignationIntake`` mixin. Imports nothing
of cms but the directory's ``DirectoryValues``."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..base import DIRECTORY_SYNC, INTAKE_MODE, Setting
from ..common import clean_text, optional
from ..directory import DirectoryValues
from ..network import guarded
from ..payloads import Payload, Text
from .forms import ATTACHMENT, FormField, local_day, moment_of

WATERMARK_SETTING = "resignation_polled_until"


@dataclass(frozen=True)
class PersonRef:
    user_id: str = ""
    email: str = ""
    employee_number: str = ""
    name: str = ""

    def __bool__(self):
        return bool(self.user_id or self.email or self.employee_number)


@dataclass(frozen=True)
class ApprovedResignation:
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


class PlatformUser(Payload):
    """A user as a platform answers with them; a type's subclass names the
    answer's fields (aliases) and adds its ids."""

    name: Text = ""
    email: Text = ""
    # The other address a platform keeps, used when ``email`` is empty.
    fallback_email: Text = ""
    employee_number: Text = ""
    position: Text = ""
    manager_id: Text = ""
    mobile: Text = ""

    def person(self, user_id: str) -> PersonRef:
        return PersonRef(
            user_id=user_id,
            email=self.email or self.fallback_email,
            employee_number=self.employee_number,
            name=self.name,
        )

    def listed(self, directory_id: str, department, *, disabled: bool):
        """The directory's values, in ``department`` (its code and name)."""
        code, name = department
        return DirectoryValues(
            directory_id=directory_id,
            employee_number=self.employee_number,
            name=self.name,
            email=self.email or self.fallback_email,
            department_code=code,
            department_name=name,
            position=self.position,
            manager_directory_id=self.manager_id,
            phone=self.mobile,
            status="disabled" if disabled else "active",
        )


FIELD_SETTINGS = (
    "resignation_field_last_working_day",
    "resignation_field_resignation_date",
    "resignation_field_reason",
    "resignation_field_employee",
)
DATE_SETTINGS = FIELD_SETTINGS[:2]


def read_resignation(
    connector,
    *,
    instance_code: str,
    approval_code: str,
    status: str,
    form: list[FormField],
    submitted,
    finished,
    applicant: str,
    summary: dict,
) -> ApprovedResignation:
    problems, found = {}, {}
    for setting in FIELD_SETTINGS:
        configured = clean_text(connector.option(setting))
        if not configured:
            continue
        wanted = configured.casefold()
        names = ((w, (w.id, w.name, w.label)) for w in form)
        matches = (w for w, n in names if wanted in map(_folded, n))
        widget = next(matches, None)
        if widget is None:
            problems[setting] = gettext(
                "The approval form has no field “%(field)s”."
            ) % {"field": configured}
        else:
            found[setting] = widget
    dates = {
        setting: _day(found.get(setting), setting, problems)
        for setting in DATE_SETTINGS
    }
    if "resignation_field_employee" in found:
        employee = _form_person(connector, found["resignation_field_employee"])
    elif "resignation_field_employee" in problems:
        employee = PersonRef()  # HR named a field the form lacks: nobody
    else:
        employee = connector.person(applicant) if applicant else PersonRef()
    reason = found.get("resignation_field_reason")
    return ApprovedResignation(
        instance_code=instance_code,
        approval_code=approval_code,
        status=status,
        employee=employee,
        last_working_day=dates["resignation_field_last_working_day"],
        resignation_date=dates["resignation_field_resignation_date"],
        reason=reason.text()[:2000] if reason else "",
        submitted_on=local_day(moment_of(submitted)),
        finished_at=moment_of(finished) if status != "pending" else None,
        problems=problems,
        summary={
            "system": connector.system,
            "instance_code": instance_code,
            "applicant": applicant,
            **summary,
            "form": {
                widget.name or widget.id: widget.value
                for widget in form
                if widget.kind != ATTACHMENT
            },
        },
    )


class ResignationIntake:
    """Mixin for approval types that report resignations and list their
    directory: a type implements ``resignation_approval(instance_code)``
    (``read_resignation``), ``_instance_codes(approval_code, start_ms,
    end_ms)``, ``_user(user_id)`` (a ``PlatformUser``, None when unknown),
    ``contact_ids(widget)`` (None for a widget that is no contact field),
    ``_departments()`` and ``_members(department)`` (``DirectoryValues``)."""

    supports_directory = True

    def person(self, user_id: str) -> PersonRef:
        user = self._user(user_id)
        return user.person(user_id) if user else PersonRef(user_id=user_id)

    def list_people(self):
        """Everyone once, as the first department listing them has them."""
        seen = set()
        for department in self._departments():
            for person in self._members(department):
                if person.directory_id and person.directory_id not in seen:
                    seen.add(person.directory_id)
                    yield person

    @guarded
    def resignation_instance_codes(
        self, *, submitted_after: datetime.datetime, submitted_before: datetime.datetime
    ) -> list[str]:
        """The instances of the resignation approval submitted in the window."""
        code = clean_text(self.option("resignation_approval_code"))
        if not code:
            return []
        start, end = (
            int(moment.timestamp() * 1000)
            for moment in (submitted_after, submitted_before)
        )
        return self._instance_codes(code, start, end)


def _folded(name) -> str:
    return clean_text(name).casefold()


def _day(widget: FormField | None, setting: str, problems: dict):
    day = widget.day() if widget is not None else None
    if day is None and widget is not None and widget.value not in (None, "", [], {}):
        problems[setting] = gettext(
            "The form field “%(field)s” holds no date Baton can read: %(value)s."
        ) % {"field": widget.name or widget.id, "value": str(widget.value)[:100]}
    return day


def _form_person(connector, widget: FormField) -> PersonRef:
    """A contact field names users by id; a text field holds an e-mail
    address or an employee number."""
    ids, text = connector.contact_ids(widget), clean_text(widget.value)
    if ids is not None:
        return connector.person(ids[0]) if ids else PersonRef()
    return PersonRef(**{"email" if "@" in text else "employee_number": text})


def intake_settings(*, system) -> tuple[Setting, ...]:
    return (
        optional(
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
            default="",
        ),
        optional(
            "resignation_field_last_working_day",
            _("Form field: last working day"),
            _("The name (or id) of the form field holding the last working day."),
            default="最后工作日",
        ),
        optional(
            "resignation_field_resignation_date",
            _("Form field: resignation date"),
            _(
                "The name (or id) of the form field holding the resignation date. "
                "Empty, or empty in the form: the day the approval was submitted."
            ),
            default="离职日期",
        ),
        optional(
            "resignation_field_reason",
            _("Form field: reason"),
            _("The name (or id) of the form field holding the reason."),
            default="离职原因",
        ),
        optional(
            "resignation_field_employee",
            _("Form field: employee"),
            _(
                "The name (or id) of the form field naming who resigns (a contact "
                "field, or a text field with an e-mail address or employee "
                "number). Empty: the applicant."
            ),
            default="",
        ),
        INTAKE_MODE,
        optional(
            "resignation_poll_minutes",
            _("Look for missed approvals every (minutes)"),
            format_lazy(
                _(
                    "Approvals whose event never arrived are found by asking "
                    "{system} this often. 0 turns the poll off."
                ),
                system=system,
            ),
            default=10,
            type="integer",
        ),
        optional(
            "resignation_lookback_days",
            _("Resignation approvals submitted within (days)"),
            _("How far back the poll looks for approvals submitted but decided late."),
            default=30,
            type="integer",
        ),
        optional(
            WATERMARK_SETTING,
            _("Approvals looked for until"),
            _(
                "Set by Baton after each poll (ISO date and time). Clear it to look "
                "back one day again."
            ),
            default="",
        ),
        DIRECTORY_SYNC,
    )
