"""Feishu for intake: the resignation approval (one instance read and mapped
with the connector's field mapping, the instances of the approval code listed
for the poll) and the contact directory (``list_people``).

Published shapes this reads:
- instance detail, ``GET /open-apis/approval/v4/instances/:instance_id``
  (https://open.feishu.cn/document/server-docs/approval-v4/instance/get):
  ``status`` (PENDING, APPROVED, REJECTED, CANCELED, DELETED), ``start_time``
  and ``end_time`` in milliseconds, ``user_id``/``open_id`` of the applicant,
  ``form`` a JSON string of widgets ``{"id", "name", "type", "value"}``;
- instance list, ``GET /open-apis/approval/v4/instances?approval_code=…``
  (https://open.feishu.cn/document/server-docs/approval-v4/instance/list):
  ``instance_code_list`` of instances started between ``start_time`` and
  ``end_time`` (ms), paged with ``page_token``/``has_more``;
- users, ``GET /open-apis/contact/v3/users/:user_id`` and
  ``/open-apis/contact/v3/users/find_by_department``, departments
  ``/open-apis/contact/v3/departments/:department_id/children``
  (https://open.feishu.cn/document/server-docs/contact-v3/user/find_by_department).
"""

from __future__ import annotations

import datetime
import functools
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.utils.translation import gettext

from ._approvals import date_of, json_list
from ._common import clean_text, object_dict
from ._intake import (
    ApprovedResignation,
    PersonRef,
    field_matches,
    person_from_text,
    read_dates,
)
from ._network import guarded
from .base import DirectoryPerson

__all__ = ["FeishuIntakeMixin"]

LIST_PAGE = 100
CONTACT_PAGE = 50
MAX_PAGES = 200
ROOT_DEPARTMENT = "0"
_STATUSES = {"APPROVED": "approved", "PENDING": "pending", "REJECTED": "rejected"}


@functools.cache
def _contact() -> SimpleNamespace:
    from lark_oapi.api.approval.v4 import ListInstanceRequest
    from lark_oapi.api.contact.v3 import (
        ChildrenDepartmentRequest,
        FindByDepartmentUserRequest,
        GetUserRequest,
    )

    return SimpleNamespace(
        ListInstanceRequest=ListInstanceRequest,
        ChildrenDepartmentRequest=ChildrenDepartmentRequest,
        FindByDepartmentUserRequest=FindByDepartmentUserRequest,
        GetUserRequest=GetUserRequest,
    )


def _moment(millis) -> datetime.datetime | None:
    try:
        value = int(str(millis).strip())
    except (TypeError, ValueError):
        return None
    if value <= 0:
        return None
    return datetime.datetime.fromtimestamp(value / 1000, tz=datetime.UTC)


def _local_day(moment: datetime.datetime | None) -> datetime.date | None:
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(django_settings.TIME_ZONE)).date()


def _day(value) -> datetime.date | None:
    if isinstance(value, dict):
        value = value.get("start")
    found = date_of(value)
    return datetime.date.fromisoformat(found) if found else None


def _text(value) -> str:
    if isinstance(value, list):
        return "、".join(clean_text(entry) for entry in value if clean_text(entry))
    return " ".join(clean_text(value).split())


class FeishuIntakeMixin:
    """Mixed into ``FeishuConnector`` (which provides ``_call``, ``_pages``,
    ``_detail``, ``_id_type`` and ``option``)."""

    supports_directory = True

    # Resignation approvals -------------------------------------------------------

    @guarded
    def resignation_approval(self, instance_code: str) -> ApprovedResignation:
        """One instance, its form read with the connector's field mapping."""
        detail = self._detail(instance_code)
        widgets = [entry for entry in json_list(detail.get("form")) if entry]
        status = clean_text(detail.get("status")).upper()
        started = _moment(detail.get("start_time"))
        problems = {}
        values = {}
        for setting in (
            "resignation_field_last_working_day",
            "resignation_field_resignation_date",
            "resignation_field_reason",
            "resignation_field_employee",
        ):
            configured = clean_text(self.option(setting))
            if not configured:
                continue
            widget = next(
                (
                    widget
                    for widget in widgets
                    if isinstance(widget, dict)
                    and field_matches(configured, widget.get("id"), widget.get("name"))
                ),
                None,
            )
            if widget is None:
                problems[setting] = gettext(
                    "The approval form has no field “%(field)s”."
                ) % {"field": configured}
                continue
            values[setting] = widget
        dates = read_dates(values, problems, lambda widget: _day(widget.get("value")))
        if "resignation_field_employee" in values:
            employee = self._widget_person(values["resignation_field_employee"])
        elif "resignation_field_employee" in problems:
            employee = PersonRef()  # HR named a field the form lacks: nobody
        else:
            employee = self._applicant(detail)
        return ApprovedResignation(
            instance_code=instance_code,
            approval_code=clean_text(detail.get("approval_code")),
            status=_STATUSES.get(status, "other"),
            employee=employee,
            last_working_day=dates["resignation_field_last_working_day"],
            resignation_date=dates["resignation_field_resignation_date"],
            reason=_text(
                object_dict(values.get("resignation_field_reason")).get("value")
            )[:2000],
            submitted_on=_local_day(started),
            finished_at=_moment(detail.get("end_time"))
            if status != "PENDING"
            else None,
            problems=problems,
            summary={
                "system": self.system,
                "instance_code": instance_code,
                "approval_code": clean_text(detail.get("approval_code")),
                "approval_name": clean_text(detail.get("approval_name")),
                "serial_number": clean_text(detail.get("serial_number")),
                "status": status,
                "applicant": self._applicant_id(detail),
                "form": {
                    clean_text(widget.get("name")) or clean_text(widget.get("id")): (
                        widget.get("value")
                    )
                    for widget in widgets
                    if isinstance(widget, dict)
                    and clean_text(widget.get("type")).casefold()
                    not in ("attachmentv2", "image", "imagev2")
                },
            },
        )

    @guarded
    def resignation_instance_codes(
        self, *, submitted_after: datetime.datetime, submitted_before: datetime.datetime
    ):
        """Codes of the instances of the resignation approval submitted in the
        window (Feishu lists by submission time, whatever their status)."""
        code = clean_text(self.option("resignation_approval_code"))
        if not code:
            return []

        def page(token):
            builder = (
                _contact()
                .ListInstanceRequest.builder()
                .approval_code(code)
                .start_time(int(submitted_after.timestamp() * 1000))
                .end_time(int(submitted_before.timestamp() * 1000))
                .page_size(LIST_PAGE)
            )
            if token:
                builder = builder.page_token(token)
            return builder.build()

        codes = []
        token = None
        for _page in range(MAX_PAGES):
            data = self._call(page(token))
            for entry in data.get("instance_code_list") or []:
                entry = clean_text(entry)
                if entry and entry not in codes:
                    codes.append(entry)
            token = clean_text(data.get("page_token"))
            if not data.get("has_more") or not token:
                break
        return codes

    def _applicant_id(self, detail: dict) -> str:
        if self._id_type() == "open_id":
            return clean_text(detail.get("open_id")) or clean_text(
                detail.get("user_id")
            )
        return clean_text(detail.get("user_id")) or clean_text(detail.get("open_id"))

    def _applicant(self, detail: dict) -> PersonRef:
        """The applicant, with the e-mail and employee number Contacts knows."""
        user_id = self._applicant_id(detail)
        if not user_id:
            return PersonRef()
        return self._person(user_id)

    def _person(self, user_id: str) -> PersonRef:
        request = (
            _contact()
            .GetUserRequest.builder()
            .user_id(user_id)
            .user_id_type(self._id_type())
            .build()
        )
        user = object_dict(self._call(request).get("user"))
        return PersonRef(
            user_id=user_id,
            email=clean_text(user.get("email"))
            or clean_text(user.get("enterprise_email")),
            employee_number=clean_text(user.get("employee_no")),
            name=clean_text(user.get("name")),
        )

    def _widget_person(self, widget: dict) -> PersonRef:
        """A contact widget names users by id (``value``, or ``open_ids``);
        a text widget holds an e-mail address or an employee number."""
        value = widget.get("value")
        if clean_text(widget.get("type")).casefold() == "contact" or isinstance(
            value, list
        ):
            ids = value if isinstance(value, list) else []
            if self._id_type() == "open_id" and isinstance(
                widget.get("open_ids"), list
            ):
                ids = widget["open_ids"] or ids
            for entry in ids:
                if isinstance(entry, dict):
                    entry = entry.get(self._id_type()) or entry.get("id")
                if clean_text(entry):
                    return self._person(clean_text(entry))
            return PersonRef()
        return person_from_text(value)

    # The directory --------------------------------------------------------------

    def list_people(self):
        """Everyone in Contacts, department by department (a person in several
        departments is listed once, in the first)."""
        departments = {ROOT_DEPARTMENT: ("", "")}
        departments.update(self._departments())
        seen = set()
        for department_id, (code, name) in departments.items():
            for user in self._department_users(department_id):
                person = self._directory_person(user, code, name, departments)
                if person is not None and person.directory_id not in seen:
                    seen.add(person.directory_id)
                    yield person

    def _departments(self) -> dict[str, tuple[str, str]]:
        def page(token):
            builder = (
                _contact()
                .ChildrenDepartmentRequest.builder()
                .department_id(ROOT_DEPARTMENT)
                .user_id_type(self._id_type())
                .department_id_type("open_department_id")
                .fetch_child(True)
                .page_size(CONTACT_PAGE)
            )
            if token:
                builder = builder.page_token(token)
            return builder.build()

        found = {}
        for department in self._pages(page, "items"):
            open_id = clean_text(department.get("open_department_id"))
            if open_id:
                found[open_id] = (
                    clean_text(department.get("department_id")) or open_id,
                    clean_text(department.get("name")),
                )
        return found

    def _department_users(self, department_id: str):
        def page(token):
            builder = (
                _contact()
                .FindByDepartmentUserRequest.builder()
                .department_id(department_id)
                .department_id_type("open_department_id")
                .user_id_type(self._id_type())
                .page_size(CONTACT_PAGE)
            )
            if token:
                builder = builder.page_token(token)
            return builder.build()

        return self._pages(page, "items")

    def _directory_person(self, user: dict, code, name, departments):
        directory_id = clean_text(user.get(self._id_type()))
        if not directory_id:
            return None
        if not code:
            # A member of the root: named by their first department, if any.
            for department_id in user.get("department_ids") or []:
                if department_id in departments and departments[department_id][0]:
                    code, name = departments[department_id]
                    break
        status = object_dict(user.get("status"))
        gone = any(status.get(flag) is True for flag in ("is_resigned", "is_exited"))
        return DirectoryPerson(
            directory_id=directory_id,
            employee_number=clean_text(user.get("employee_no")),
            name=clean_text(user.get("name")),
            email=clean_text(user.get("email"))
            or clean_text(user.get("enterprise_email")),
            department_code=code,
            department_name=name,
            position=clean_text(user.get("job_title")),
            manager_directory_id=clean_text(user.get("leader_user_id")),
            phone=clean_text(user.get("mobile")),
            status="disabled" if gone or status.get("is_frozen") is True else "active",
        )
