"""Redmine's projects: the ones the employee is a member of, handed over by
giving the successor the roles the employee has there, and read back from the
project's memberships."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ...sdk.base import MisconfiguredError, Record, TransferResult
from ...sdk.common import transfer_values
from ...sdk.http import dig
from ...sdk.payloads import parse_each
from ...sdk.trackers import first_due, unreadable
from .payloads import Count, Membership, Named, Project, User, Version

__all__ = ["RedmineProjects"]

PROJECT_ACTIVE = 1


class RedmineProjects:
    """The project half of ``RedmineConnector``."""

    def projects_of(self, account):
        params = {"include": "memberships"}
        user = self.read(User, f"/users/{account}.json", "user", params=params)
        records, seen = [], set()
        for membership in user.memberships:
            project = membership.project
            if not project.id or project.id in seen:
                continue
            seen.add(project.id)
            roles = [role.name for role in membership.roles]
            record = self._project(project, roles, str(account))
            if record is not None:
                records.append(record)
        return records

    def _project(self, reference: Named, roles: list, user_id: str) -> Record | None:
        project_id = reference.id
        response = self.request("GET", f"/projects/{project_id}.json", allow=(403, 404))
        if response.status_code in (403, 404):
            # Archived, or hidden from the key: nothing Baton can hand over.
            return None
        # Anything but an object is a project Baton cannot read.
        answer = dig(self.json_of(response), "project")
        project = next(parse_each(Project, [answer]), None)
        if project is None:
            error = _("Redmine sent project %(id)s in a form Baton cannot read.")
            return unreadable("project", project_id, error % {"id": project_id})
        if project.status != PROJECT_ACTIVE:
            # Closed projects are read-only in Redmine: nothing left to hand over.
            return None
        name = project.name or reference.name or project_id
        total, closed = self._count(project_id, "*"), self._count(project_id, "closed")
        identifier = project.identifier or project_id
        contacts = [
            {"name": member.name, "role": ", ".join(role.name for role in member.roles)}
            for member in self._members(project_id)
            if member.user.id != user_id and member.name
        ]
        fields = self.project_fields(
            total=total,
            done=closed,
            version=self._next_version(project_id),
            url=f"{self.base_url}/projects/{identifier}",
            document=_("Project page in Redmine"),
        )
        return Record(
            external_id=project_id,
            kind="project",
            title=name,
            fields={
                "id": project_id,
                "identifier": identifier,
                "name": name,
                "description": project.description,
                "homepage": project.homepage,
                "parent": project.parent.name,
                "roles": roles,
                "role_names": ", ".join(roles),
                "issues_total": total,
                "issues_closed": closed,
                "contacts": contacts,
                **fields,
            },
        )

    def _count(self, project_id: str, status: str) -> int:
        params = {"project_id": project_id, "subproject_id": "!*", "limit": 1}
        found = self.read(Count, "/issues.json", params={**params, "status_id": status})
        return found.total_count or 0

    def _next_version(self, project_id: str):
        """The open version of the project due first (without a date: last)."""
        answer = self.get(f"/projects/{project_id}/versions.json")
        return first_due(
            (version.name, version.due_date)
            for version in parse_each(Version, dig(answer, "versions") or [])
            if version.status == "open" and version.project.id in ("", project_id)
        )

    def _members(self, project_id: str) -> list[Membership]:
        """Every membership of a project, of users and of groups."""
        found = self.paginate(
            f"/projects/{project_id}/memberships.json",
            pagination=self.pages(items="memberships"),
        )
        return [
            member
            for member in parse_each(Membership, found)
            if member.user.id or member.group.id
        ]

    def project_transferred(self, project_id, successor_id) -> bool:
        return any(m.user.id == successor_id for m in self._members(project_id))

    def transfer_project(self, record, owner, successor) -> TransferResult:
        project_id = self.record_id(record)
        successor_id = self.successor_account(successor)
        owner_id = self.account_id(owner)
        members = {member.user.id: member for member in self._members(project_id)}
        owned = members.get(str(owner_id)) if owner_id is not None else None
        values = transfer_values(record, owner, successor)
        if owned is None or not owned.own_roles:
            raise MisconfiguredError(
                _(
                    "%(owner)s is no longer a member of project “%(title)s” in "
                    "Redmine, so Baton cannot tell which roles to give. Add "
                    "%(successor)s to the project by hand."
                )
                % values
            )
        given = {role.id for role in owned.own_roles}
        current = members.get(str(successor_id))
        held = {role.id for role in current.own_roles} if current else set()
        summary = {
            "project": project_id,
            "user_id": successor_id,
            "roles": [role.name for role in owned.own_roles],
        }
        if current is not None and given <= held:
            return TransferResult(response=summary)
        if current is None:
            method, path = "POST", f"/projects/{project_id}/memberships.json"
            body = {"user_id": successor_id, "role_ids": sorted(given | held)}
        else:
            method, path = "PUT", f"/memberships/{current.id}.json"
            body = {"role_ids": sorted(given | held)}
        refused = _(
            "Redmine refused to add %(successor)s to project “%(title)s”: %(reason)s"
        )
        response = self.call(
            method,
            path,
            json={"membership": body},
            refusals={422: lambda r: refused % {**values, "reason": self.reasons(r)}},
        )
        summary["status"] = response.status_code
        return TransferResult(response=summary, request_id=self.request_id(response))
