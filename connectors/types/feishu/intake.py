"""Feishu for intake: resignation approvals (approval v4 instances) and the
contact directory (contact v3 users and departments)."""

from __future__ import annotations

import datetime
from typing import Any

from ...sdk.approvals.forms import CONTACT, FormField
from ...sdk.approvals.intake import ApprovedResignation, PersonRef, read_resignation
from ...sdk.common import clean_text
from ...sdk.directory import DirectoryValues
from ...sdk.network import guarded
from ...sdk.payloads import Nested, Payload, Text, TextList, parse, parse_each
from .platform import Detail, _lark, built

__all__ = ["FeishuIntake", "User"]

LIST_PAGE = 100
CONTACT_PAGE = 50
MAX_LISTED_PAGES = 200
ROOT_DEPARTMENT = "0"
_STATUSES = {"APPROVED": "approved", "PENDING": "pending", "REJECTED": "rejected"}


class _Status(Payload):
    is_resigned: Any = None
    is_exited: Any = None
    is_frozen: Any = None


class User(Payload):
    open_id: Text = ""
    user_id: Text = ""
    union_id: Text = ""
    name: Text = ""
    email: Text = ""
    enterprise_email: Text = ""
    employee_no: Text = ""
    job_title: Text = ""
    leader_user_id: Text = ""
    mobile: Text = ""
    department_ids: TextList = []
    status: Nested[_Status] = _Status()


class _Department(Payload):
    open_department_id: Text = ""
    department_id: Text = ""
    name: Text = ""


class _UserAnswer(Payload):
    user: Nested[User] = User()


class FeishuIntake:
    supports_directory = True

    # Resignation approvals -------------------------------------------------------

    @guarded
    def resignation_approval(self, instance_code: str) -> ApprovedResignation:
        detail = self._detail(instance_code)
        status = detail.status.upper()
        return read_resignation(
            self,
            instance_code=instance_code,
            approval_code=detail.approval_code,
            status=_STATUSES.get(status, "other"),
            form=detail.form,
            submitted=detail.start_time,
            finished=detail.end_time,
            applicant=self._applicant_id(detail),
            summary={
                "system": self.system,
                "instance_code": instance_code,
                "approval_code": detail.approval_code,
                "approval_name": detail.approval_name,
                "serial_number": detail.serial_number,
                "status": status,
                "applicant": self._applicant_id(detail),
            },
        )

    @guarded
    def resignation_instance_codes(
        self, *, submitted_after: datetime.datetime, submitted_before: datetime.datetime
    ):
        code = clean_text(self.option("resignation_approval_code"))
        if not code:
            return []
        pages = self._pages(
            _lark().approval.ListInstanceRequest,
            "instance_code_list",
            limit=MAX_LISTED_PAGES,
            approval_code=code,
            start_time=int(submitted_after.timestamp() * 1000),
            end_time=int(submitted_before.timestamp() * 1000),
            page_size=LIST_PAGE,
        )
        return list(dict.fromkeys(filter(None, map(clean_text, pages))))

    def _applicant_id(self, detail: Detail) -> str:
        if self._id_type() == "open_id":
            return detail.open_id or detail.user_id
        return detail.user_id or detail.open_id

    def person(self, user_id: str) -> PersonRef:
        request = built(
            _lark().contact.GetUserRequest,
            user_id=user_id,
            user_id_type=self._id_type(),
        )
        user = parse(_UserAnswer, self._call(request), system=self.system).user
        return PersonRef(
            user_id=user_id,
            email=user.email or user.enterprise_email,
            employee_number=user.employee_no,
            name=user.name,
        )

    def contact_ids(self, widget: FormField) -> list[str] | None:
        value = widget.value
        if widget.kind != CONTACT and not isinstance(value, list):
            return None
        ids = value if isinstance(value, list) else []
        if self._id_type() == "open_id" and isinstance(widget.open_ids, list):
            ids = widget.open_ids or ids
        found = (
            entry.get(self._id_type()) or entry.get("id")
            if isinstance(entry, dict)
            else entry
            for entry in ids
        )
        return [text for text in map(clean_text, found) if text]

    # The directory --------------------------------------------------------------

    def list_people(self):
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
        pages = self._pages(
            _lark().contact.ChildrenDepartmentRequest,
            "items",
            department_id=ROOT_DEPARTMENT,
            user_id_type=self._id_type(),
            department_id_type="open_department_id",
            fetch_child=True,
            page_size=CONTACT_PAGE,
        )
        return {
            department.open_department_id: (
                department.department_id or department.open_department_id,
                department.name,
            )
            for department in parse_each(_Department, pages)
            if department.open_department_id
        }

    def _department_users(self, department_id: str):
        pages = self._pages(
            _lark().contact.FindByDepartmentUserRequest,
            "items",
            department_id=department_id,
            department_id_type="open_department_id",
            user_id_type=self._id_type(),
            page_size=CONTACT_PAGE,
        )
        return parse_each(User, pages)

    def _directory_person(self, user: User, code, name, departments):
        directory_id = getattr(user, self._id_type())
        if not directory_id:
            return None
        if not code:
            # A member of the root: named by their first department, if any.
            for department_id in user.department_ids:
                if departments.get(department_id, ("",))[0]:
                    code, name = departments[department_id]
                    break
        status = user.status
        gone = status.is_resigned is True or status.is_exited is True
        return DirectoryValues(
            directory_id=directory_id,
            employee_number=user.employee_no,
            name=user.name,
            email=user.email or user.enterprise_email,
            department_code=code,
            department_name=name,
            position=user.job_title,
            manager_directory_id=user.leader_user_id,
            phone=user.mobile,
            status="disabled" if gone or status.is_frozen is True else "active",
        )
