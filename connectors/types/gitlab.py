"""GitLab (gitlab.com or self-managed): the projects an employee is a Maintainer
or Owner of, flagged when nobody else is, and their GitLab account. A project is
handed over by adding the successor as a Maintainer, then read back.

Which projects: those in the employee's own namespace, plus, with a group set,
every project of that group (and its subgroups) where they are a Maintainer or
Owner; without a group, their project memberships (``/users/:id/memberships``,
which needs an administrator token).

Who someone is on GitLab: the ``usernames`` setting maps the employee's match
value to a username; with "user name" as match setting the Baton user name is
the GitLab username; with e-mail, the user search finds them (administrator
tokens search every e-mail, others only public ones).
"""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..registry import register
from ._common import TIMEOUT, VERIFY_TLS, clean_text, must_be_object, too_many_pages
from ._http import HttpTypeMixin, host_of, request_id_of
from .base import (
    DISCOVER,
    TRANSFER,
    UNKNOWN_RECORD_KIND,
    ConnectorError,
    ConnectorType,
    EmployeeRef,
    MisconfiguredError,
    Record,
    Setting,
    TransferResult,
)

__all__ = ["GitLabConnector"]

DEFAULT_BASE_URL = "https://gitlab.com"
PER_PAGE = 100
MAX_PAGES = 100
MAINTAINER = 40
OWNER = 50
ROLE_NAMES = {
    10: "Guest",
    15: "Planner",
    20: "Reporter",
    30: "Developer",
    40: "Maintainer",
    50: "Owner",
}
# Project and group access tokens act through bot users; they hand nothing over.
_BOT = re.compile(r"^(project|group)_\d+_bot")


@register
class GitLabConnector(HttpTypeMixin, ConnectorType):
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
        Setting(
            "base_url",
            _("GitLab URL"),
            _("e.g. https://gitlab.example.com (without /api/v4)."),
            required=False,
            default=DEFAULT_BASE_URL,
        ),
        Setting(
            "group",
            _("Group"),
            _(
                "Full path or id of the company's group, e.g. acme. Without one, "
                "the token must belong to an administrator."
            ),
            required=False,
        ),
        Setting(
            "usernames",
            _("GitLab usernames"),
            _(
                "Employee match value → GitLab username, e.g. "
                '{"wang.lei@example.com": "wlei"}.'
            ),
            required=False,
            default={},
            type="object",
        ),
        TIMEOUT,
        VERIFY_TLS,
        Setting(
            "token",
            _("Access token"),
            _(
                "A personal, group or service account token with the api scope "
                "(read_api to list only)."
            ),
            secret=True,
        ),
    )

    def __init__(self, *, settings, secrets, timeout=None):
        super().__init__(settings=settings, secrets=secrets, timeout=timeout)
        self.base_url = self.url_option()
        self.host = host_of(self.base_url) or self.base_url
        self.group = str(self.option("group") or "").strip().strip("/")
        token = self.secrets.get("token")
        self.http = self.make_http(
            headers={
                "Accept": "application/json",
                **({"PRIVATE-TOKEN": token} if token else {}),
            },
            secrets=(token,),
        )

    # The contract -------------------------------------------------------------------

    def test_connection(self) -> str:
        self._check_settings()
        me = self._json(self._get("/user"))
        message = gettext("Connected to %(host)s as %(user)s.") % {
            "host": self.host,
            "user": clean_text(me.get("username")) or "?",
        }
        if self.group:
            group = self._json(
                self._get(f"/groups/{_part(self.group)}", not_found=True)
            )
            message += " " + gettext("Group: %(group)s.") % {
                "group": clean_text(group.get("full_path")) or self.group
            }
        return message

    def discover(self, *, employee: EmployeeRef, record_kind: str):
        if record_kind not in self.default_mappings:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record_kind})
        self._check_settings()
        user = self._user(employee)
        if record_kind == "repository":
            return self._projects(user)
        return [self._account(user)]

    def describe_transfer(self, *, record, owner, successor) -> str:
        try:
            target = self._user(successor)["username"]
        except ConnectorError:
            target = successor.email or successor.name
        return gettext(
            "Add %(successor)s as a Maintainer of GitLab project %(project)s."
        ) % {
            "successor": target,
            "project": record.title or record.external_id,
        }

    def transfer(self, *, record, owner, successor, note) -> TransferResult:
        self._check_settings()
        project = self._project(record)
        user = self._successor(successor)
        path = f"/projects/{project['id']}/members"
        response = self._send(
            "POST",
            path,
            json={"user_id": user["id"], "access_level": MAINTAINER},
            allow=(409,),
        )
        summary = {
            "project": project["path_with_namespace"],
            "user": user["username"],
            "access_level": MAINTAINER,
            "status": response.status_code,
        }
        if response.status_code == 409:
            # Already a direct member: raise the role if it is lower.
            current = self._json(self._get(f"{path}/{user['id']}"))
            level = _level(current.get("access_level"))
            summary["previous_access_level"] = level
            if level < MAINTAINER:
                response = self._send(
                    "PUT", f"{path}/{user['id']}", json={"access_level": MAINTAINER}
                )
                summary["status"] = response.status_code
            else:
                summary["access_level"] = level
        return TransferResult(response=summary, request_id=request_id_of(response))

    def verify_transfer(self, *, record, successor) -> bool:
        self._check_settings()
        project = self._project(record)
        user = self._successor(successor)
        response = self._get(
            f"/projects/{project['id']}/members/all/{user['id']}", missing_ok=True
        )
        if response.status_code == 404:
            return False
        return _level(self._json(response).get("access_level")) >= MAINTAINER

    # People ------------------------------------------------------------------------

    def _user(self, person: EmployeeRef) -> dict:
        match_by = self.config.get("match_by") or "email"
        value = person.value(match_by).strip()
        usernames = self.option("usernames") or {}
        if not isinstance(usernames, dict):
            raise must_be_object("usernames")
        username = None
        for key, mapped in usernames.items():
            if value and str(key).strip().casefold() == value.casefold() and mapped:
                username = str(mapped).strip()
        if username is None and match_by == "username" and value:
            username = value
        if username is not None:
            users = self._list_once("/users", {"username": username})
            if users:
                return self._person(users[0])
            raise ConnectorError(
                _("GitLab has no user %(username)s.") % {"username": username},
                retryable=False,
            )
        if match_by == "email" and value:
            users = self._list_once("/users", {"search": value})
            exact = [
                user
                for user in users
                if value.casefold()
                in {
                    clean_text(user.get("email")).casefold(),
                    clean_text(user.get("public_email")).casefold(),
                }
            ]
            if len(exact) == 1 or (not exact and len(users) == 1):
                return self._person((exact or users)[0])
            raise ConnectorError(
                _(
                    "No GitLab user has the e-mail %(email)s (or it is not public): "
                    "add them to the GitLab usernames setting."
                )
                % {"email": value},
                retryable=False,
            )
        raise ConnectorError(
            _(
                "Baton does not know the GitLab username of %(person)s: add them to "
                "the GitLab usernames setting."
            )
            % {"person": value or person.name or "?"},
            retryable=False,
        )

    def _person(self, user) -> dict:
        if not isinstance(user, dict) or user.get("id") in (None, ""):
            raise ConnectorError(_("GitLab answered with a user without an id."))
        return {
            "id": user["id"],
            "username": clean_text(user.get("username")),
            "name": clean_text(user.get("name")),
            "state": clean_text(user.get("state")),
            "web_url": clean_text(user.get("web_url")),
            "is_admin": user.get("is_admin"),
        }

    def _successor(self, successor: EmployeeRef) -> dict:
        try:
            return self._user(successor)
        except MisconfiguredError:
            raise
        except ConnectorError as error:
            if error.retryable:
                raise
            raise MisconfiguredError(error.message) from None

    def _account(self, user: dict) -> Record:
        role = gettext("Administrator") if user.get("is_admin") is True else ""
        return Record(
            external_id=f"user:{user['id']}",
            kind="account",
            title=user["username"],
            fields={
                "system": "GitLab",
                "id": user["id"],
                "username": user["username"],
                "name": user["name"],
                "state": user["state"],
                "web_url": user["web_url"],
                "role_permission": role,
            },
        )

    # Projects ----------------------------------------------------------------------

    def _projects(self, user: dict) -> list[Record]:
        found = {}
        for project in self._paginate(f"/users/{user['id']}/projects", {}):
            found[project.get("id")] = (project, OWNER)
        if self.group:
            for project in self._paginate(
                f"/groups/{_part(self.group)}/projects",
                {"include_subgroups": "true", "archived": "false"},
                not_found=True,
            ):
                if project.get("id") in found:
                    continue
                response = self._get(
                    f"/projects/{project.get('id')}/members/all/{user['id']}",
                    missing_ok=True,
                )
                if response.status_code == 404:
                    continue
                level = _level(self._json(response).get("access_level"))
                if level >= MAINTAINER:
                    found[project.get("id")] = (project, level)
        else:
            for membership in self._paginate(
                f"/users/{user['id']}/memberships",
                {"type": "Project"},
                refused=_(
                    "Listing someone's project memberships needs an administrator "
                    "token. Use one, or set the company's group."
                ),
            ):
                level = _level(membership.get("access_level"))
                project_id = membership.get("source_id")
                if level < MAINTAINER or project_id in found:
                    continue
                response = self._get(f"/projects/{project_id}", missing_ok=True)
                if response.status_code != 404:
                    found[project_id] = (self._json(response), level)
        return [self._record(project, level, user) for project, level in found.values()]

    def _record(self, project: dict, level: int, user: dict) -> Record:
        project_id = project.get("id")
        path = clean_text(project.get("path_with_namespace"))
        if project_id in (None, "") or not path:
            return Record(
                external_id=clean_text(project_id),
                kind="repository",
                title="",
                error=gettext("GitLab listed a project without an id or path."),
            )
        others = []
        for member in self._paginate(f"/projects/{project_id}/members/all", {}):
            username = clean_text(member.get("username"))
            if (
                member.get("id") != user["id"]
                and _level(member.get("access_level")) >= MAINTAINER
                and clean_text(member.get("state") or "active") == "active"
                and not _BOT.match(username)
            ):
                others.append(username)
        sole = not others
        description = clean_text(project.get("description"))
        notes = [description] if description else []
        if sole:
            notes.append(gettext("Sole maintainer: nobody else can administer it."))
        return Record(
            external_id=str(project_id),
            kind="repository",
            title=path,
            fields={
                "id": project_id,
                "name": clean_text(project.get("name")),
                "path_with_namespace": path,
                "web_url": clean_text(project.get("web_url")),
                "description": description,
                "visibility": clean_text(project.get("visibility")),
                "archived": bool(project.get("archived")),
                "default_branch": clean_text(project.get("default_branch")),
                "access_level": level,
                "role": ROLE_NAMES.get(level, str(level)),
                "sole_maintainer": sole,
                "other_maintainers": sorted(others, key=str.casefold),
                "notes": "\n".join(notes),
                "username": user["username"],
                "system": "GitLab",
            },
        )

    def _project(self, record) -> dict:
        project_id = str(record.external_id or "").strip()
        if not project_id.isdigit():
            raise MisconfiguredError(
                gettext("Only GitLab projects can be handed over, not “%(title)s”.")
                % {"title": record.title or project_id}
            )
        response = self._get(f"/projects/{project_id}", missing_ok=True)
        if response.status_code == 404:
            raise MisconfiguredError(
                gettext(
                    "GitLab project %(title)s no longer exists or the token cannot "
                    "see it."
                )
                % {"title": record.title or project_id},
                request_id=request_id_of(response),
            )
        project = self._json(response)
        project.setdefault("id", int(project_id))
        project["path_with_namespace"] = (
            clean_text(project.get("path_with_namespace")) or record.title or project_id
        )
        return project

    # HTTP -------------------------------------------------------------------------

    def _check_settings(self) -> None:
        if not self.base_url.lower().startswith(("http://", "https://")):
            raise MisconfiguredError(
                _("The GitLab URL must start with https:// (or http://).")
            )
        if not self.secrets.get("token"):
            raise MisconfiguredError(_("Enter a GitLab access token."))

    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/api/v4{path}"

    def _get(
        self, path, *, params=None, not_found=False, missing_ok=False, refused=None
    ):
        return self._send(
            "GET",
            path,
            params=params,
            not_found=not_found,
            missing_ok=missing_ok,
            refused=refused,
        )

    def _send(
        self,
        method,
        path,
        *,
        not_found=False,
        missing_ok=False,
        refused=None,
        allow=(),
        **kwargs,
    ):
        response = self.http.send(method, self._url(path), **kwargs)
        if response.status_code in allow or (
            missing_ok and response.status_code == 404
        ):
            return response
        status = response.status_code
        if status == 403 and refused is not None:
            raise MisconfiguredError(refused, request_id=request_id_of(response))
        if status == 403:
            detail = self.http.detail_of(response)
            raise MisconfiguredError(
                _("The GitLab token may not do this (HTTP 403): %(detail)s")
                % {"detail": detail or "-"},
                request_id=request_id_of(response),
            )
        return self.http.check(
            response,
            refused=_("GitLab refused the access token (HTTP %(status)s).")
            % {"status": status},
            not_found=_("GitLab has no group %(group)s, or the token cannot see it.")
            % {"group": self.group}
            if not_found
            else None,
        )

    def _json(self, response):
        answer = self.http.json_of(response, system=self.host)
        return answer if isinstance(answer, dict) else {}

    def _list_once(self, path, params) -> list:
        answer = self.http.json_of(self._get(path, params=params), system=self.host)
        return (
            [entry for entry in answer if isinstance(entry, dict)]
            if isinstance(answer, list)
            else []
        )

    def _paginate(self, path, params, *, not_found=False, refused=None):
        """Every entry of a list: X-Next-Page, else the Link header."""
        url = self._url(path)
        query = {**params, "per_page": PER_PAGE}
        for _page in range(MAX_PAGES):
            response = self._get(
                url, params=query, not_found=not_found, refused=refused
            )
            answer = self.http.json_of(response, system=self.host)
            if not isinstance(answer, list):
                raise ConnectorError(
                    _("%(host)s answered with something that is not a list.")
                    % {"host": self.host},
                    request_id=request_id_of(response),
                )
            yield from (entry for entry in answer if isinstance(entry, dict))
            next_page = (response.headers.get("X-Next-Page") or "").strip()
            if next_page:
                query = {**params, "per_page": PER_PAGE, "page": next_page}
                continue
            link = response.links.get("next", {}).get("url")
            if not link:
                return
            url, query = urljoin(response.url, link), None
        raise too_many_pages(self.host, MAX_PAGES)


def _level(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _part(value: str) -> str:
    return quote(str(value), safe="")
