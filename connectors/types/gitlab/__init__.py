"""GitLab (gitlab.com or self-managed) through python-gitlab: projects an
employee is a Maintainer or Owner of (their namespace, the ``group``'s projects,
or without a group their memberships, which needs an administrator token) and
their account; a project is handed over by adding the successor as Maintainer.
People: ``usernames``, the user name, or the user search by e-mail."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from gitlab.const import AccessLevel
from gitlab.exceptions import GitlabCreateError

from ...sdk.base import (
    DISCOVER,
    TRANSFER,
    UNKNOWN_RECORD_KIND,
    ConnectorError,
    ConnectorType,
    MisconfiguredError,
    Record,
    TransferResult,
)
from ...sdk.client import HttpTypeMixin, host_of, request_id_of
from ...sdk.common import (
    TIMEOUT,
    VERIFY_TLS,
    map_setting,
    optional,
    secret_setting,
    unreadable,
    url_setting,
)
from ...sdk.payloads import parse
from ...sdk.people import FindsPeople
from .client import Client
from .payloads import Group, Member, Project, User

__all__ = ["GitLabConnector"]

MAINTAINER, OWNER = int(AccessLevel.MAINTAINER), int(AccessLevel.OWNER)
ROLES = ("Guest", "Planner", "Reporter", "Developer", "Maintainer", "Owner")
ROLE_NAMES = {int(AccessLevel[name.upper()]): name for name in ROLES}
# Project and group access tokens act through bot users; they hand nothing over.
_BOT = re.compile(r"^(project|group)_\d+_bot")
NEEDS_ADMIN = _(
    "Listing someone's project memberships needs an administrator token. Use "
    "one, or set the company's group."
)


class GitLabConnector(FindsPeople, HttpTypeMixin, ConnectorType):
    slug = "gitlab"
    label = _("GitLab")
    description = _(
        "Projects the employee is a Maintainer or Owner of (flagged when nobody "
        "else is) and their GitLab account. Hands projects to the successor."
    )
    capabilities = frozenset({DISCOVER, TRANSFER})
    default_mappings = {
        "repository": {
            "title": "path_with_namespace",
            "location": "web_url",
            "notes": "notes",
        },
        "account": {
            "system": "system",
            "account_id": "username",
            "role_permission": "role_permission",
        },
    }
    settings = (
        url_setting(
            _("GitLab URL"),
            _("e.g. https://gitlab.example.com (without /api/v4)."),
            "https://gitlab.com",
        ),
        optional(
            "group",
            _("Group"),
            _(
                "Full path or id of the company's group, e.g. acme. Without one, "
                "the token must belong to an administrator."
            ),
        ),
        map_setting(
            "usernames",
            _("GitLab usernames"),
            _(
                "Employee match value → GitLab username, e.g. "
                '{"wang.lei@example.com": "wlei"}.'
            ),
        ),
        TIMEOUT,
        VERIFY_TLS,
        secret_setting(
            "token",
            _("Access token"),
            _(
                "A personal, group or service account token with the api scope "
                "(read_api to list only)."
            ),
        ),
    )
    people_map_setting = "usernames"
    unknown_person_message = _(
        "Baton does not know the GitLab username of %(person)s: add them to the "
        "GitLab usernames setting."
    )

    def __init__(self, *, settings, secrets, timeout=None):
        super().__init__(settings=settings, secrets=secrets, timeout=timeout)
        self.base_url = self.url_option()
        self.host = host_of(self.base_url) or self.base_url
        self.group = str(self.option("group") or "").strip().strip("/")
        token = self.secrets.get("token")
        self.http = self.make_http(secrets=(token,))
        self.client = Client(self, token=token)
        self._users: dict[str, User] = {}

    # The contract -------------------------------------------------------------------

    def test_connection(self) -> str:
        self.require_settings()
        with self.client.calls():
            self.client.auth()
        me = parse(User, self.client.user.asdict(), system=self.host)
        message = _("Connected to %(host)s as %(user)s.") % {
            "host": self.host,
            "user": me.username or "?",
        }
        if not self.group:
            return message
        with self.client.calls(not_found=self._no_group()):
            group = parse(
                Group, self.client.groups.get(self.group).asdict(), system=self.host
            )
        named = _("Group: %(group)s.") % {"group": group.full_path or self.group}
        return f"{message} {named}"

    def discover(self, *, employee, record_kind):
        if record_kind not in self.default_mappings:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record_kind})
        self.require_settings()
        user = self._users[self.person_id(employee)]
        if record_kind == "account":
            return [self._account(user)]
        with self.client.calls():
            return self._projects(user)

    def describe_transfer(self, *, record, owner, successor) -> str:
        message = _("Add %(successor)s as a Maintainer of GitLab project %(project)s.")
        return message % {
            "successor": self.shown_as(successor),
            "project": record.title or record.external_id,
        }

    def transfer(self, *, record, owner, successor, note) -> TransferResult:
        self.require_settings()
        project = self._project(record)
        user = self._users[self.successor_id(successor)]
        summary = {
            "project": project.path_with_namespace,
            "user": user.username,
            "access_level": MAINTAINER,
        }
        members = self.client.projects.get(project.id, lazy=True).members
        with self.client.calls():
            try:
                members.create({"user_id": user.id, "access_level": MAINTAINER})
                answer = self.client.responses.response
            except GitlabCreateError as error:
                if error.response_code != 409:
                    raise
                # Already a direct member: raise the role if it is lower.
                answer = self.client.responses.response
                member = members.get(user.id)
                level = parse(Member, member.asdict(), system=self.host).access_level
                summary["previous_access_level"] = level
                if level < MAINTAINER:
                    member.access_level = MAINTAINER
                    member.save()
                    answer = self.client.responses.response
                else:
                    summary["access_level"] = level
        summary["status"] = answer.status_code
        return TransferResult(response=summary, request_id=request_id_of(answer))

    def verify_transfer(self, *, record, successor) -> bool:
        self.require_settings()
        project = self._project(record)
        user = self._users[self.successor_id(successor)]
        return self._level(project.id, user.id) >= MAINTAINER

    # People ------------------------------------------------------------------------

    def mapped_person(self, value: str) -> str | None:
        username = super().mapped_person(value)
        return None if username is None else self._known(username)

    def find_person(self, *, value: str, match_by: str) -> str | None:
        if match_by == "username":
            return self._known(value)
        if match_by != "email":
            return None
        with self.client.calls():
            users = list(
                self.client.each(
                    User, self.client.users.list(search=value, get_all=False)
                )
            )
        email = value.casefold()
        exact = [
            user
            for user in users
            if email in {user.email.casefold(), user.public_email.casefold()}
        ]
        if len(exact) == 1 or (not exact and len(users) == 1):
            user = (exact or users)[0]
            self._users[user.username] = user
            return user.username
        raise ConnectorError(
            _(
                "No GitLab user has the e-mail %(email)s (or it is not public): "
                "add them to the GitLab usernames setting."
            )
            % {"email": value},
            retryable=False,
        )

    def _known(self, username: str) -> str:
        """``username`` once GitLab confirms the user (remembered with them)."""
        if username not in self._users:
            with self.client.calls():
                found = self.client.users.list(username=username, get_all=False)
            if not found:
                raise ConnectorError(
                    _("GitLab has no user %(username)s.") % {"username": username},
                    retryable=False,
                )
            self._users[username] = parse(User, found[0].asdict(), system=self.host)
        return username

    def _account(self, user: User) -> Record:
        role = _("Administrator") if user.is_admin is True else ""
        shown = user.model_dump(include={"id", "username", "name", "state", "web_url"})
        return Record(
            external_id=f"user:{user.id}",
            kind="account",
            title=user.username,
            fields={"system": "GitLab", **shown, "role_permission": str(role)},
        )

    # Projects ----------------------------------------------------------------------

    def _projects(self, user: User) -> list[Record]:
        person = self.client.users.get(user.id, lazy=True)
        owned = self.client.each(Project, person.projects.list(iterator=True))
        found = {project.id: (project, OWNER) for project in owned}
        if self.group:
            with self.client.calls(not_found=self._no_group()):
                group = self.client.groups.get(self.group, lazy=True)
                listed = group.projects.list(
                    include_subgroups="true", archived="false", iterator=True
                )
                projects = list(self.client.each(Project, listed))
            for project in projects:
                if project.id not in found:
                    level = self._level(project.id, user.id)
                    if level >= MAINTAINER:
                        found[project.id] = (project, level)
        else:
            with self.client.calls(forbidden=NEEDS_ADMIN):
                listed = person.memberships.list(type="Project", iterator=True)
                memberships = list(self.client.each(Member, listed))
            for membership in memberships:
                project_id, level = membership.source_id, membership.access_level
                if level < MAINTAINER or project_id in found:
                    continue
                answer = self.client.found(self.client.projects, project_id)
                if answer is not None:
                    found[project_id] = (
                        parse(Project, answer, system=self.host),
                        level,
                    )
        return [self._record(project, level, user) for project, level in found.values()]

    def _record(self, project: Project, level: int, user: User) -> Record:
        if project.id in (None, "") or not project.path_with_namespace:
            error = _("GitLab listed a project without an id or path.")
            return unreadable("repository", str(project.id or ""), error)
        members = self.client.projects.get(project.id, lazy=True).members_all
        others = [
            member.username
            for member in self.client.each(Member, members.list(iterator=True))
            if member.id != user.id
            and member.access_level >= MAINTAINER
            and member.state in ("", "active")
            and not _BOT.match(member.username)
        ]
        notes = [project.description] if project.description else []
        if not others:
            notes.append(str(_("Sole maintainer: nobody else can administer it.")))
        return Record(
            external_id=str(project.id),
            kind="repository",
            title=project.path_with_namespace,
            fields={
                **project.model_dump(),
                "access_level": level,
                "role": ROLE_NAMES.get(level, str(level)),
                "sole_maintainer": not others,
                "other_maintainers": sorted(others, key=str.casefold),
                "notes": "\n".join(notes),
                "username": user.username,
                "system": "GitLab",
            },
        )

    def _project(self, record) -> Project:
        project_id = str(record.external_id or "").strip()
        title = {"title": record.title or project_id}
        if not project_id.isdigit():
            raise MisconfiguredError(
                _("Only GitLab projects can be handed over, not “%(title)s”.") % title
            )
        answer = self.client.found(self.client.projects, project_id)
        if answer is None:
            raise MisconfiguredError(
                _(
                    "GitLab project %(title)s no longer exists or the token cannot "
                    "see it."
                )
                % title,
                request_id=self.client.responses.request_id,
            )
        project = parse(Project, answer, system=self.host)
        project.id = project.id or int(project_id)
        project.path_with_namespace = project.path_with_namespace or title["title"]
        return project

    def _level(self, project_id, user_id) -> int:
        """The user's access level on the project, inherited ones included."""
        members = self.client.projects.get(project_id, lazy=True).members_all
        answer = self.client.found(members, user_id)
        return parse(Member, answer or {}, system=self.host).access_level

    def _no_group(self):
        return _("GitLab has no group %(group)s, or the token cannot see it.") % {
            "group": self.group
        }
