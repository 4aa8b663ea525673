"""Feishu for intake: resignation approvals (approval v4 instances) and the
contact directory (contact v3 users and departments)."""

from __future__ import annotations

from ...sdk.approvals.forms import CONTACT, FormField
from ...sdk.approvals.intake import PersonRef, ResignationIntake, read_resignation
from ...sdk.common import clean_text
from ...sdk.directory import DirectoryValues
from ...sdk.network import guarded
from ...sdk.payloads import Nested, Payload, Text, parse, parse_each
from .platform import _lark, built

__all__ = ["FeishuIntake", "User"]

CONTACT_PAGE = 50
_STATUSES = {"APPROVED": "approved", "PENDING": "pending", "REJECTED": "rejected"}
# A user's status flags meaning they cannot sign in any more.
_GONE = ("is_resigned", "is_exited", "is_frozen")


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
    status: Nested[dict] = {}


class _Department(Payload):
    open_department_id: Text = ""
    department_id: Text = ""
    name: Text = ""


class FeishuIntake(ResignationIntake):
    @guarded
    def resignation_approval(self, instance_code: str):
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
            applicant=getattr(detail, self._id_type(), "")
            or detail.user_id
            or detail.open_id,
            summary={
                "approval_code": detail.approval_code,
                "approval_name": detail.approval_name,
                "serial_number": detail.serial_number,
                "status": status,
            },
        )

    def _instance_codes(self, approval_code: str, start: int, end: int):
        pages = self._pages(
            _lark().approval.ListInstanceRequest,
            "instance_code_list",
            limit=200,
            approval_code=approval_code,
            start_time=start,
            end_time=end,
            page_size=100,
        )
        return list(dict.fromkeys(filter(None, map(clean_text, pages))))

    def person(self, user_id: str) -> PersonRef:
        request = built(
            _lark().contact.GetUserRequest,
            user_id=user_id,
            user_id_type=self._id_type(),
        )
        user = parse(User, self._call(request).get("user"), system=self.system)
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

    def _departments(self):
        pages = self._pages(
            _lark().contact.ChildrenDepartmentRequest,
            "items",
            department_id="0",
            user_id_type=self._id_type(),
            department_id_type="open_department_id",
            fetch_child=True,
            page_size=CONTACT_PAGE,
        )
        for department in parse_each(_Department, pages):
            code = department.department_id or department.open_department_id
            if department.open_department_id:
                yield department.open_department_id, code, department.name
        # Last: who is also in a department is named by it.
        yield "0", "", ""

    def _members(self, department):
        department_id, code, name = department
        pages = self._pages(
            _lark().contact.FindByDepartmentUserRequest,
            "items",
            department_id=department_id,
            department_id_type="open_department_id",
            user_id_type=self._id_type(),
            page_size=CONTACT_PAGE,
        )
        for user in parse_each(User, pages):
            gone = (user.status.get(flag) is True for flag in _GONE)
            yield DirectoryValues(
                directory_id=getattr(user, self._id_type()),
                employee_number=user.employee_no,
                name=user.name,
                email=user.email or user.enterprise_email,
                department_code=code,
                department_name=name,
                position=user.job_title,
                manager_directory_id=user.leader_user_id,
                phone=user.mobile,
                status="disabled" if any(gone) else "active",
            )
