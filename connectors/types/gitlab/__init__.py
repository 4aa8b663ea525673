"""GitLab (gitlab.com or self-managed) through python-gitlab: projects an
employee is a Maintainer or Owner of (their namespace, the ``group``'s projects,
or without a group their memberships, which needs an administrator token) and
their account; a project is handed over by adding the successor as Maintainer.
People: ``usernames``, the user name, or the user search by e-mail."""

from __future__ import annotations

import re
from typing import Annotated

import gitlab
from django.utils.translation import gettext_lazy as _
from gitlab.const import AccessLevel
from gitlab.exceptions import GitlabCreateError, GitlabError, GitlabGetError
from pydantic import BeforeValidator

from ...sdk.base import (
    DISCOVER,
    TRANSFER,
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
    clean_text,
    map_setting,
    optional,
    secret_setting,
    too_many_pages,
    unreadable,
    url_setting,
)
from ...sdk.http import HttpConnector
from ...sdk.payloads import Payload, Text, parse, parse_each
from ...sdk.people import FindsPeople
from ...sdk.trackers import code_host_mappings, maintainers_fields
from ...sdk.vendor import LastResponse, upstream_errors

__all__ = ["GitLabConnector"]

MAINTAINER, OWNER = int(AccessLevel.MAINTAINER), int(AccessLevel.OWNER)
# Project and group access tokens act through bot users; they hand nothing over.
_BOT = re.compile(r"^(project|group)_\d+_bot")
PER_PAGE, MAX_PAGES = 100, 100
# An access level as a number; 0 (no access) for anything else.
Level = Annotated[int, BeforeValidator(lambda v: int(v) if str(v).isdigit() else 0)]


class User(Payload):
    id: int | str
    username: Text = ""
    name: Text = ""
    state: Text = ""
    web_url: Text = ""
    email: Text = ""
    public_email: Text = ""
    is_admin: bool | None = None


class Member(Payload):
    """A project member, or one of a user's memberships (``source_id``)."""

    id: int | str | None = None
    source_id: int | str | None = None
    username: Text = ""
    access_level: Level = 0
    state: Text = ""


class Project(Payload):
    id: int
    path_with_namespace: Text
    name: Text = ""
    web_url: Text = ""
    description: Text = ""
    visibility: Text = ""
    archived: bool = False
    default_branch: Text = ""


class Client(gitlab.Gitlab):
    """python-gitlab on the connector's session (its timeout, TLS setting and
    secret scrubbing apply); it never sleeps on HTTP 429 (the sync engine
    retries later), and the connector's settings are checked before a call."""

    def __init__(self, connector, token):
        super().__init__(
            connector.base_url,
            private_token=token,
            timeout=connector.timeout,
            ssl_verify=connector.http.session.verify,
            session=connector.http.session,
            per_page=PER_PAGE,
            keep_base_url=True,
        )
        self.connector = connector

    def http_request(self, *args, **kwargs):
        self.connector.require_settings()
        kwargs["obey_rate_limit"] = False
        return super().http_request(*args, **kwargs)


class GitLabConnector(FindsPeople, HttpTypeMixin, ConnectorType):
    slug = "gitlab"
    label = _("GitLab")
    description = _(
        "Projects the employee is a Maintainer or Owner of (flagged when nobody "
        "else is) and their GitLab account. Hands projects to the successor."
    )
    capabilities = frozenset({DISCOVER, TRANSFER})
    default_mappings = code_host_mappings(
        title="path_with_namespace", location="web_url", account_id="username"
    )
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
        self.client = Client(self, token)
        # python-gitlab's errors and results carry no headers: request ids and
        # the status of a write are read from the session's last answer.
        self.responses = LastResponse(self.http.session)
        self._users: dict[str, User] = {}

    def test_connection(self) -> str:
        with self.calls():
            self.client.auth()
        me = parse(User, self.client.user.asdict(), system=self.host)
        values = {"host": self.host, "user": me.username or "?"}
        message = _("Connected to %(host)s as %(user)s.") % values
        if not self.group:
            return message
        with self.calls(not_found=self._no_group()):
            group = self.client.groups.get(self.group).asdict()
        named = _("Group: %(group)s.") % {
            "group": clean_text(group.get("full_path")) or self.group
        }
        return f"{message} {named}"

    def list_records(self, *, employee, record_kind):
        user = self._user(self.person_id(employee))
        if record_kind == "repository":
            with self.calls():
                return self._projects(user)
        role = _("Administrator") if user.is_admin is True else ""
        shown = user.model_dump(include={"id", "username", "name", "state", "web_url"})
        fields = {"system": "GitLab", **shown, "role_permission": str(role)}
        return [Record(f"user:{user.id}", "account", user.username, fields)]

    # People ------------------------------------------------------------------------

    def find_person(self, *, value: str, match_by: str) -> str | None:
        if match_by == "username":
            return value
        if match_by != "email":
            return None
        with self.calls():
            found = self.client.users.list(search=value, get_all=False)
        users = list(self.each(User, found))
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

    def _user(self, username: str) -> User:
        """The GitLab user ``username`` (remembered for the run)."""
        if username not in self._users:
            with self.calls():
                found = self.client.users.list(username=username, get_all=False)
            if not found:
                raise MisconfiguredError(
                    _("GitLab has no user %(username)s.") % {"username": username}
                )
            self._users[username] = parse(User, found[0].asdict(), system=self.host)
        return self._users[username]

    # Projects ----------------------------------------------------------------------

    def _projects(self, user: User) -> list[Record]:
        """The projects of the user's namespace (they own them), and those of
        the group or of their memberships where they are a Maintainer."""
        person = self.client.users.get(user.id, lazy=True)
        skipped = []
        owned = self.each(Project, person.projects.list(iterator=True), skipped)
        found = {project.id: (project, OWNER) for project in owned}
        if self.group:
            with self.calls(not_found=self._no_group()):
                group = self.client.groups.get(self.group, lazy=True)
                listed = group.projects.list(
                    include_subgroups="true", archived="false", iterator=True
                )
                for project in self.each(Project, listed, skipped):
                    found.setdefault(project.id, (project, None))
        else:
            needs_admin = _(
                "Listing someone's project memberships needs an administrator "
                "token. Use one, or set the company's group."
            )
            with self.calls(forbidden=needs_admin):
                listed = person.memberships.list(type="Project", iterator=True)
                memberships = list(self.each(Member, listed))
            for membership in memberships:
                project_id, level = membership.source_id, membership.access_level
                if level >= MAINTAINER and project_id not in found:
                    answer = self.found(self.client.projects, project_id)
                    if answer is not None:
                        project = parse(Project, answer, system=self.host)
                        found[project_id] = (project, level)
        records = [self._record(*entry, user) for entry in found.values()]
        unnamed = _("GitLab listed a project without an id or path.")
        records += [
            unreadable("repository", str(answer.get("id") or ""), unnamed)
            for answer in skipped
        ]
        return [record for record in records if record is not None]

    def _record(self, project: Project, level: int | None, user: User):
        """The project as a record when the user maintains it (``level`` None:
        read from its members, inherited ones included)."""
        members = self.client.projects.get(project.id, lazy=True).members_all
        listed = list(self.each(Member, members.list(iterator=True)))
        if level is None:
            level = next((m.access_level for m in listed if m.id == user.id), 0)
        if level < MAINTAINER:
            return None
        others = [
            member.username
            for member in listed
            if member.id != user.id
            and member.access_level >= MAINTAINER
            and member.state in ("", "active")
            and not _BOT.match(member.username)
        ]
        return Record(
            external_id=str(project.id),
            kind="repository",
            title=project.path_with_namespace,
            fields={
                **project.model_dump(),
                **maintainers_fields(project.description, others),
                "access_level": level,
                "role": "Owner" if level >= OWNER else "Maintainer",
                "username": user.username,
                "system": "GitLab",
            },
        )

    def _level(self, project_id, user_id) -> int:
        """The user's access level on the project, inherited ones included."""
        members = self.client.projects.get(project_id, lazy=True).members_all
        answer = self.found(members, user_id)
        return parse(Member, answer or {}, system=self.host).access_level

    def _no_group(self):
        return _("GitLab has no group %(group)s, or the token cannot see it.") % {
            "group": self.group
        }

    # Write-backs -------------------------------------------------------------------

    def describe_transfer(self, *, record, owner, successor) -> str:
        message = _("Add %(successor)s as a Maintainer of GitLab project %(project)s.")
        return message % {
            "successor": self.shown_as(successor),
            "project": record.title or record.external_id,
        }

    def transfer(self, *, record, owner, successor, note) -> TransferResult:
        project = self._project(record)
        user = self._user(self.successor_id(successor))
        summary = {
            "project": project.path_with_namespace,
            "user": user.username,
            "access_level": MAINTAINER,
        }
        members = self.client.projects.get(project.id, lazy=True).members
        with self.calls():
            try:
                members.create({"user_id": user.id, "access_level": MAINTAINER})
                answer = self.responses.response
            except GitlabCreateError as error:
                if error.response_code != 409:
                    raise
                # Already a direct member: raise the role if it is lower.
                answer = self.responses.response
                member = members.get(user.id)
                level = parse(Member, member.asdict(), system=self.host).access_level
                summary["previous_access_level"] = level
                summary["access_level"] = max(level, MAINTAINER)
                if level < MAINTAINER:
                    member.access_level = MAINTAINER
                    member.save()
                    answer = self.responses.response
        summary["status"] = answer.status_code
        return TransferResult(response=summary, request_id=request_id_of(answer))

    def verify_transfer(self, *, record, successor) -> bool:
        project = self._project(record)
        user = self._user(self.successor_id(successor))
        return self._level(project.id, user.id) >= MAINTAINER

    def _project(self, record) -> Project:
        project_id = str(record.external_id or "").strip()
        title = {"title": record.title or project_id}
        if not project_id.isdigit():
            raise MisconfiguredError(
                _("Only GitLab projects can be handed over, not “%(title)s”.") % title
            )
        gone = _(
            "GitLab project %(title)s no longer exists or the token cannot see it."
        )
        with self.calls(not_found=gone % title):
            answer = self.client.projects.get(project_id).asdict()
        return parse(Project, answer, system=self.host)

    # python-gitlab -----------------------------------------------------------------

    def calls(self, *, not_found=None, forbidden=None):
        """A block whose python-gitlab errors become Baton's."""
        return upstream_errors(
            self,
            refused=HttpConnector.refused_message % {"host": self.host, "status": 401},
            not_found=not_found,
            forbidden=forbidden
            or _("The GitLab token may not do this (HTTP 403): %(detail)s"),
            library_errors=(GitlabError,),
            responses=self.responses,
        )

    def found(self, manager, key) -> dict | None:
        """``manager.get(key)`` as a dict; None when GitLab has no such thing."""
        with self.calls():
            try:
                return manager.get(key).asdict()
            except GitlabGetError as error:
                if error.response_code == 404:
                    return None
                raise

    def each(self, model, objects, skipped: list | None = None):
        """The listed objects as ``model``, as they are paged through (odd
        ones left out, or their answers added to ``skipped``); an error after
        ``MAX_PAGES`` pages (a server that never stops: python-gitlab follows
        its links for ever)."""
        for count, item in enumerate(objects):
            if count == PER_PAGE * MAX_PAGES:
                raise too_many_pages(self.host, MAX_PAGES)
            parsed = next(parse_each(model, [item.asdict()]), None)
            if parsed is not None:
                yield parsed
            elif skipped is not None:
                skipped.append(item.asdict())
