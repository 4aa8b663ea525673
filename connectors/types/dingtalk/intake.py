"""DingTalk for intake: resignation approvals (workflow instance ids, at most
120 days a window) and the address book of the older API (``topapi/v2``)."""

from __future__ import annotations

import datetime
from typing import Any

from pydantic import Field

from ...sdk.approvals.forms import CONTACT, FormField, json_list
from ...sdk.approvals.intake import ApprovedResignation, PersonRef, read_resignation
from ...sdk.common import clean_text, too_many_pages
from ...sdk.directory import DirectoryValues
from ...sdk.network import guarded
from ...sdk.payloads import NestedList, Payload, Text, parse_each
from .payloads import Detail, User

__all__ = ["DingTalkIntake"]

USER_PAGE = 100
MAX_PAGES = 500
ROOT_DEPARTMENT = 1


class _Chosen(Payload):
    empl_id: Text = Field("", alias="emplId")


class _Department(Payload):
    dept_id: Any = None
    name: Text = ""


class _Members(Payload):
    has_more: Any = False
    next_cursor: Any = None
    users: NestedList[User] = Field([], alias="list")


def _status(detail: Detail) -> str:
    status, result = detail.status.upper(), detail.result.casefold()
    if status == "COMPLETED":
        return {"agree": "approved", "refuse": "rejected"}.get(result, "other")
    return "pending" if status in ("NEW", "RUNNING") else "other"


class DingTalkIntake:
    supports_directory = True

    # Resignation approvals -------------------------------------------------------

    @guarded
    def resignation_approval(self, instance_code: str) -> ApprovedResignation:
        detail = self._detail(instance_code)
        return read_resignation(
            self,
            instance_code=instance_code,
            approval_code="",  # the detail does not say; events and lists do
            status=_status(detail),
            form=detail.form_component_values,
            submitted=detail.create_time,
            finished=detail.finish_time,
            applicant=detail.originator_user_id,
            summary={
                "system": self.system,
                "instance_code": instance_code,
                "title": detail.title,
                "business_id": detail.business_id,
                "status": detail.status,
                "result": detail.result,
                "applicant": detail.originator_user_id,
            },
        )

    @guarded
    def resignation_instance_codes(
        self, *, submitted_after: datetime.datetime, submitted_before: datetime.datetime
    ):
        code = clean_text(self.option("resignation_approval_code"))
        if not code:
            return []
        return self._instance_ids(
            code,
            int(submitted_after.timestamp() * 1000),
            int(submitted_before.timestamp() * 1000),
            statuses=["COMPLETED"],
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

    def list_people(self):
        seen = set()
        for department_id, name in self._departments():
            for user in self._department_users(department_id):
                if not user.userid or user.userid in seen:
                    continue
                seen.add(user.userid)
                below_root = department_id != ROOT_DEPARTMENT
                yield DirectoryValues(
                    directory_id=user.userid,
                    employee_number=user.job_number,
                    name=user.name,
                    email=user.org_email or user.email,
                    department_code=str(department_id) if below_root else "",
                    department_name=name if below_root else "",
                    position=user.title,
                    manager_directory_id=user.manager_userid,
                    phone=user.mobile,
                    # Who leaves the company leaves the address book; a listed
                    # account that is not active cannot sign in.
                    status="active" if user.active is not False else "disabled",
                )

    def _departments(self):
        queue, seen = [(ROOT_DEPARTMENT, "")], {ROOT_DEPARTMENT}
        while queue:
            department_id, name = queue.pop(0)
            yield department_id, name
            answer = self._oapi(
                "/topapi/v2/department/listsub", {"dept_id": department_id}
            )
            children = answer.result if isinstance(answer.result, list) else []
            for child in parse_each(_Department, children):
                if isinstance(child.dept_id, int) and child.dept_id not in seen:
                    seen.add(child.dept_id)
                    queue.append((child.dept_id, child.name))

    def _department_users(self, department_id: int):
        cursor = 0
        for _page in range(MAX_PAGES):
            answer = self._oapi(
                "/topapi/v2/user/list",
                {"dept_id": department_id, "cursor": cursor, "size": USER_PAGE},
            )
            result = answer.result if isinstance(answer.result, dict) else {}
            page = _Members.model_validate(result)
            yield from page.users
            cursor = page.next_cursor
            if not page.has_more or not isinstance(cursor, int):
                return
        raise too_many_pages(self.host, MAX_PAGES)
