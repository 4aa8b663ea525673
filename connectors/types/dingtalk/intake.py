"""DingTalk for intake: resignation approvals (workflow instance ids, at most
120 days a window) and the address book of the older API (``topapi/v2``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ...sdk.approvals.forms import CONTACT, FormField, json_list
from ...sdk.approvals.intake import PersonRef, ResignationIntake, read_resignation
from ...sdk.common import too_many_pages
from ...sdk.directory import DirectoryValues
from ...sdk.network import guarded
from ...sdk.payloads import NestedList, Payload, Text, parse_each
from .platform import MAX_PAGES, User

__all__ = ["DingTalkIntake"]

ROOT_DEPARTMENT = 1
_RESULTS = {"agree": "approved", "refuse": "rejected"}


class _Chosen(Payload):
    empl_id: Text = Field("", alias="emplId")


class _Department(Payload):
    dept_id: Any = None
    name: Text = ""


class _Members(Payload):
    has_more: Any = False
    next_cursor: Any = None
    users: NestedList[User] = Field([], alias="list")


class DingTalkIntake(ResignationIntake):
    @guarded
    def resignation_approval(self, instance_code: str):
        detail = self._detail(instance_code)
        status = detail.status.upper()
        if status == "COMPLETED":
            status_now = _RESULTS.get(detail.result.casefold(), "other")
        else:
            status_now = "pending" if status in ("NEW", "RUNNING") else "other"
        return read_resignation(
            self,
            instance_code=instance_code,
            approval_code="",  # the detail does not say; events and lists do
            status=status_now,
            form=detail.form_component_values,
            submitted=detail.create_time,
            finished=detail.finish_time,
            applicant=detail.originator_user_id,
            summary={
                "title": detail.title,
                "business_id": detail.business_id,
                "status": detail.status,
                "result": detail.result,
            },
        )

    def person(self, user_id: str) -> PersonRef:
        user = self._user(user_id) or User()
        return PersonRef(
            user_id=user_id,
            email=user.org_email or user.email,
            employee_number=user.job_number,
            name=user.name,
        )

    def contact_ids(self, widget: FormField) -> list[str] | None:
        if widget.kind != CONTACT:
            return None
        chosen = parse_each(_Chosen, json_list(widget.ext_value))
        return [entry.empl_id for entry in chosen if entry.empl_id]

    # The address book ----------------------------------------------------------

    def _departments(self):
        # The root's members have no department code or name.
        queue, seen = [(ROOT_DEPARTMENT, "", "")], {ROOT_DEPARTMENT}
        while queue:
            department = queue.pop(0)
            yield department
            answer = self._oapi(
                "/topapi/v2/department/listsub", {"dept_id": department[0]}
            )
            children = answer.result if isinstance(answer.result, list) else []
            for child in parse_each(_Department, children):
                if isinstance(child.dept_id, int) and child.dept_id not in seen:
                    seen.add(child.dept_id)
                    queue.append((child.dept_id, str(child.dept_id), child.name))

    def _members(self, department):
        department_id, code, name = department
        cursor = 0
        for _page in range(MAX_PAGES):
            answer = self._oapi(
                "/topapi/v2/user/list",
                {"dept_id": department_id, "cursor": cursor, "size": 100},
            )
            result = answer.result if isinstance(answer.result, dict) else {}
            page = _Members.model_validate(result)
            for user in page.users:
                yield DirectoryValues(
                    directory_id=user.userid,
                    employee_number=user.job_number,
                    name=user.name,
                    email=user.org_email or user.email,
                    department_code=code,
                    department_name=name,
                    position=user.title,
                    manager_directory_id=user.manager_userid,
                    phone=user.mobile,
                    # Who leaves the company leaves the address book; a listed
                    # account that is not active cannot sign in.
                    status="active" if user.active is not False else "disabled",
                )
            cursor = page.next_cursor
            if not page.has_more or not isinstance(cursor, int):
                return
        raise too_many_pages(self.host, MAX_PAGES)
