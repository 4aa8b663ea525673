"""DingTalk for intake: the resignation approval (one instance read and mapped
with the connector's field mapping, the instances of the template listed for
the poll) and the address book (``list_people``).

Published shapes this reads:
- instance detail, ``GET /v1.0/workflow/processInstances?processInstanceId=…``
  (https://open.dingtalk.com/document/orgapp/obtains-the-details-of-a-single-approval-instance-pop):
  ``status`` (NEW, RUNNING, COMPLETED, TERMINATED, CANCELED) and ``result``
  (agree, refuse), ``createTime``/``finishTime`` (ISO, UTC),
  ``originatorUserId``, ``formComponentValues`` ``{"componentType", "id",
  "name", "value", "extValue"}``;
- instance ids, ``POST /v1.0/workflow/processes/instanceIds/query``
  (https://open.dingtalk.com/document/orgapp/obtain-an-approval-list-of-instance-ids):
  ``processCode``, a ``startTime`` to ``endTime`` window (ms, at most 120 days)
  of submission, ``statuses``, paged by ``nextToken``;
- the address book of the older API: ``topapi/v2/department/listsub``
  (https://open.dingtalk.com/document/orgapp/obtain-the-department-list-v2),
  ``topapi/v2/user/list``
  (https://open.dingtalk.com/document/orgapp/queries-the-complete-information-of-a-department-user)
  and ``topapi/v2/user/get``.
"""

from __future__ import annotations

import datetime
import json
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.utils.translation import gettext

from ._approvals import date_of, json_list
from ._common import clean_text, object_dict, too_many_pages
from ._intake import (
    ApprovedResignation,
    PersonRef,
    field_matches,
    person_from_text,
    read_dates,
)
from ._network import guarded
from .base import DirectoryPerson

__all__ = ["DingTalkIntakeMixin"]

DAY_MS = 24 * 3600 * 1000
# DingTalk lists instance ids per window of at most 120 days.
WINDOW_DAYS = 120
ID_PAGE = 20
USER_PAGE = 100
MAX_PAGES = 500
ROOT_DEPARTMENT = 1


def _moment(text) -> datetime.datetime | None:
    text = clean_text(text)
    if not text:
        return None
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment


def _local_day(moment: datetime.datetime | None) -> datetime.date | None:
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(django_settings.TIME_ZONE)).date()


def _kind(component: dict) -> str:
    return (
        clean_text(component.get("componentType"))
        or clean_text(component.get("key")).split("-", 1)[0]
    )


def _day(component: dict) -> datetime.date | None:
    value = component.get("value")
    if _kind(component) == "DDDateRangeField":
        values = json_list(value)
        value = values[0] if values else None
    found = date_of(value)
    return datetime.date.fromisoformat(found) if found else None


def _status(detail: dict) -> str:
    status = clean_text(detail.get("status")).upper()
    result = clean_text(detail.get("result")).casefold()
    if status == "COMPLETED":
        return {"agree": "approved", "refuse": "rejected"}.get(result, "other")
    if status in ("NEW", "RUNNING"):
        return "pending"
    return "other"


class DingTalkIntakeMixin:
    """Mixed into ``DingTalkConnector`` (which provides ``_client``,
    ``_sdk_call``, ``_runtime``, ``_user``, ``_oapi`` and ``option``)."""

    supports_directory = True

    # Resignation approvals -------------------------------------------------------

    def _instance(self, instance_id: str) -> dict:
        from .dingtalk import _dingtalk

        sdk = _dingtalk()
        client = self._client(sdk.WorkflowClient)
        request = sdk.workflow_models.GetProcessInstanceRequest(
            process_instance_id=instance_id
        )
        body = self._sdk_call(
            lambda token: client.get_process_instance_with_options(
                request,
                sdk.workflow_models.GetProcessInstanceHeaders(
                    x_acs_dingtalk_access_token=token
                ),
                self._runtime(),
            )
        )
        return object_dict(body.get("result"))

    @guarded
    def resignation_approval(self, instance_code: str) -> ApprovedResignation:
        """One instance, its form read with the connector's field mapping."""
        detail = self._instance(instance_code)
        components = [
            entry
            for entry in detail.get("formComponentValues") or []
            if isinstance(entry, dict)
        ]
        problems, found = {}, {}
        for setting in (
            "resignation_field_last_working_day",
            "resignation_field_resignation_date",
            "resignation_field_reason",
            "resignation_field_employee",
        ):
            configured = clean_text(self.option(setting))
            if not configured:
                continue
            component = next(
                (
                    component
                    for component in components
                    if field_matches(
                        configured,
                        component.get("id"),
                        component.get("name"),
                        component.get("label"),
                    )
                ),
                None,
            )
            if component is None:
                problems[setting] = gettext(
                    "The approval form has no field “%(field)s”."
                ) % {"field": configured}
            else:
                found[setting] = component
        dates = read_dates(found, problems, _day)
        if "resignation_field_employee" in found:
            employee = self._component_person(found["resignation_field_employee"])
        elif "resignation_field_employee" in problems:
            employee = PersonRef()  # HR named a field the form lacks: nobody
        else:
            employee = self._user_person(clean_text(detail.get("originatorUserId")))
        status = _status(detail)
        reason = found.get("resignation_field_reason")
        return ApprovedResignation(
            instance_code=instance_code,
            approval_code="",  # the detail does not say; events and lists do
            status=status,
            employee=employee,
            last_working_day=dates["resignation_field_last_working_day"],
            resignation_date=dates["resignation_field_resignation_date"],
            reason=" ".join(clean_text(reason.get("value")).split())[:2000]
            if reason
            else "",
            submitted_on=_local_day(_moment(detail.get("createTime"))),
            finished_at=_moment(detail.get("finishTime"))
            if status != "pending"
            else None,
            problems=problems,
            summary={
                "system": self.system,
                "instance_code": instance_code,
                "title": clean_text(detail.get("title")),
                "business_id": clean_text(detail.get("businessId")),
                "status": clean_text(detail.get("status")),
                "result": clean_text(detail.get("result")),
                "applicant": clean_text(detail.get("originatorUserId")),
                "form": {
                    clean_text(component.get("name"))
                    or clean_text(component.get("id")): component.get("value")
                    for component in components
                    if _kind(component) not in ("DDPhotoField", "DDAttachment")
                },
            },
        )

    @guarded
    def resignation_instance_codes(
        self, *, submitted_after: datetime.datetime, submitted_before: datetime.datetime
    ):
        """Ids of the finished instances of the resignation template submitted
        in the window, in windows of at most 120 days."""
        from .dingtalk import _dingtalk

        code = clean_text(self.option("resignation_approval_code"))
        if not code:
            return []
        sdk = _dingtalk()
        client = self._client(sdk.WorkflowClient)
        start_ms = int(submitted_after.timestamp() * 1000)
        end = int(submitted_before.timestamp() * 1000)
        ids = []
        while end > start_ms:
            start = max(end - WINDOW_DAYS * DAY_MS, start_ms)
            next_token = 0
            for _page in range(MAX_PAGES):
                request = sdk.workflow_models.ListProcessInstanceIdsRequest(
                    process_code=code,
                    start_time=start,
                    end_time=end,
                    next_token=next_token,
                    max_results=ID_PAGE,
                    statuses=["COMPLETED"],
                )
                body = self._sdk_call(
                    lambda token, request=request: (
                        client.list_process_instance_ids_with_options(
                            request,
                            sdk.workflow_models.ListProcessInstanceIdsHeaders(
                                x_acs_dingtalk_access_token=token
                            ),
                            self._runtime(),
                        )
                    )
                )
                result = object_dict(body.get("result"))
                for instance_id in result.get("list") or []:
                    instance_id = clean_text(instance_id)
                    if instance_id and instance_id not in ids:
                        ids.append(instance_id)
                following = result.get("nextToken")
                if following in (None, "", 0, "0") or not result.get("list"):
                    break
                next_token = int(following)
            else:
                raise too_many_pages(self.host, MAX_PAGES)
            end = start
        return ids

    def _user_person(self, user_id: str) -> PersonRef:
        """A DingTalk user with the e-mail and job number the address book
        knows (an id alone when the user is gone)."""
        if not user_id:
            return PersonRef()
        user = self._user(user_id) or {}
        return PersonRef(
            user_id=user_id,
            email=clean_text(user.get("org_email")) or clean_text(user.get("email")),
            employee_number=clean_text(user.get("job_number")),
            name=clean_text(user.get("name")),
        )

    def _component_person(self, component: dict) -> PersonRef:
        """A contact field names users in ``extValue`` (``emplId``); a text
        field holds an e-mail address or an employee number."""
        if _kind(component) == "InnerContactField":
            try:
                chosen = json.loads(component.get("extValue") or "[]")
            except (TypeError, ValueError):
                chosen = []
            for entry in chosen if isinstance(chosen, list) else []:
                user_id = clean_text(object_dict(entry).get("emplId"))
                if user_id:
                    return self._user_person(user_id)
            return PersonRef()
        return person_from_text(component.get("value"))

    # The address book ----------------------------------------------------------

    def list_people(self):
        """Everyone in the address book, department by department (a person
        in several departments is listed once, in the first)."""
        seen = set()
        for department_id, name in self._departments():
            for user in self._department_users(department_id):
                user_id = clean_text(user.get("userid"))
                if not user_id or user_id in seen:
                    continue
                seen.add(user_id)
                yield DirectoryPerson(
                    directory_id=user_id,
                    employee_number=clean_text(user.get("job_number")),
                    name=clean_text(user.get("name")),
                    email=clean_text(user.get("org_email"))
                    or clean_text(user.get("email")),
                    department_code=str(department_id)
                    if department_id != ROOT_DEPARTMENT
                    else "",
                    department_name=name if department_id != ROOT_DEPARTMENT else "",
                    position=clean_text(user.get("title")),
                    manager_directory_id=clean_text(user.get("manager_userid")),
                    phone=clean_text(user.get("mobile")),
                    # Who leaves the company leaves the address book; a listed
                    # account that is not active cannot sign in.
                    status="active"
                    if user.get("active", True) is not False
                    else "disabled",
                )

    def _departments(self):
        """(id, name) of every department, the root first, breadth first."""
        queue = [(ROOT_DEPARTMENT, "")]
        seen = {ROOT_DEPARTMENT}
        while queue:
            department_id, name = queue.pop(0)
            yield department_id, name
            body = self._oapi(
                "/topapi/v2/department/listsub", {"dept_id": department_id}
            )
            for child in body.get("result") or []:
                child_id = object_dict(child).get("dept_id")
                if isinstance(child_id, int) and child_id not in seen:
                    seen.add(child_id)
                    queue.append((child_id, clean_text(child.get("name"))))

    def _department_users(self, department_id: int):
        cursor = 0
        for _page in range(MAX_PAGES):
            body = self._oapi(
                "/topapi/v2/user/list",
                {"dept_id": department_id, "cursor": cursor, "size": USER_PAGE},
            )
            result = object_dict(body.get("result"))
            yield from (
                user for user in result.get("list") or [] if isinstance(user, dict)
            )
            if not result.get("has_more"):
                return
            cursor = result.get("next_cursor")
            if not isinstance(cursor, int):
                return
        raise too_many_pages(self.host, MAX_PAGES)
