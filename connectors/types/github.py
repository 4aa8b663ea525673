"""GitHub (github.com or GitHub Enterprise Server): the repositories an employee
administers or maintains in the company's organisation, flagged when nobody
else can, and their organisation and team memberships. A repository can be
handed to the successor: added as a maintainer (organisation repositories) or
transferred (repositories the employee owns), then read back.

Who someone is on GitHub: the ``logins`` setting maps the employee's match
value (e.g. their e-mail) to a login; with "user name" as match setting the
Baton user name is taken as the login; otherwise the user search finds the
login whose public e-mail is the employee's (``/search/users?q=<email> in:email``).
Members who keep their e-mail private need an entry in ``logins``.
"""

from __future__ import annotations

from urllib.parse import quote, urljoin

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..registry import register
from ._common import (
    TIMEOUT,
    VERIFY_TLS,
    clean_text,
    must_be_object,
    object_dict,
    too_many_pages,
)
from ._http import HttpTypeMixin, host_of
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

__all__ = ["GitHubConnector"]

DEFAULT_BASE_URL = "https://api.github.com"
PER_PAGE = 100
MAX_PAGES = 100
MAINTAINING_ROLES = ("admin", "maintain")
PERMISSION_CHOICES = (
    ("maintain", _("Maintain")),
    ("admin", _("Admin")),
)


@register
class GitHubConnector(HttpTypeMixin, ConnectorType):
    slug = "github"
    label = _("GitHub")
    description = _(
        "Repositories the employee administers or maintains in the organisation "
        "(flagged when nobody else can), and their organisation and team "
        "memberships. Hands repositories to the successor."
    )
    capabilities = frozenset({DISCOVER, TRANSFER})
    default_mappings = {
        "repository": {
            "title": "full_name",
            "location": "html_url",
            "notes": "notes",
        },
        "account": {
            "system": "system",
            "account_id": "login",
            "role_permission": "role_permission",
        },
    }
    settings = (
        Setting(
            "base_url",
            _("API URL"),
            _(
                "https://api.github.com, or https://github.example.com/api/v3 for "
                "GitHub Enterprise Server."
            ),
            required=False,
            default=DEFAULT_BASE_URL,
        ),
        Setting("organization", _("Organisation"), _("Its login, e.g. acme-corp.")),
        Setting(
            "logins",
            _("GitHub logins"),
            _(
                "Employee match value → GitHub login, e.g. "
                '{"wang.lei@example.com": "wlei"}. Needed for people whose e-mail '
                "is not public on GitHub."
            ),
            required=False,
            default={},
            type="object",
        ),
        Setting(
            "ignore_org_owners",
            _("Leave organisation owners out"),
            _(
                "Owners administer every repository: they neither count as a "
                "repository's maintainers nor have repositories listed for that."
            ),
            required=False,
            default=True,
            type="boolean",
        ),
        Setting(
            "include_user_repos",
            _("Include repositories the employee owns"),
            _("On GitHub Enterprise Server, personal repositories are company work."),
            required=False,
            default=False,
            type="boolean",
        ),
        Setting(
            "successor_permission",
            _("Successor's role on handed-over repositories"),
            required=False,
            default="maintain",
            choices=PERMISSION_CHOICES,
        ),
        TIMEOUT,
        VERIFY_TLS,
        Setting(
            "token",
            _("Access token"),
            _(
                "A token that can read the organisation's repositories, members and "
                "teams (and administer repositories, to hand them over)."
            ),
            secret=True,
        ),
    )

    def __init__(self, *, settings, secrets, timeout=None):
        super().__init__(settings=settings, secrets=secrets, timeout=timeout)
        self.base_url = self.url_option()
        self.host = host_of(self.base_url) or self.base_url
        self.org = str(self.option("organization") or "").strip()
        token = self.secrets.get("token")
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = self.make_http(headers=headers, secrets=(token,))
        self._owners = None

    # The contract -------------------------------------------------------------------

    def test_connection(self) -> str:
        self._check_settings()
        org = self._json(self._get(f"/orgs/{_part(self.org)}", not_found=True))
        return gettext("Connected to %(host)s: organisation %(org)s.") % {
            "host": self.host,
            "org": clean_text(org.get("login")) or self.org,
        }

    def discover(self, *, employee: EmployeeRef, record_kind: str):
        if record_kind not in self.default_mappings:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record_kind})
        self._check_settings()
        login = self._login(employee)
        if record_kind == "repository":
            return self._repositories(login)
        return self._accounts(login)

    def describe_transfer(self, *, record, owner, successor) -> str:
        name = record.title or record.fields.get("title") or record.external_id
        try:
            target = self._login(successor)
        except ConnectorError:
            target = successor.email or successor.name
        values = {"repo": name, "successor": target, "owner": self._who(owner)}
        if self._user_owned(name):
            return (
                gettext(
                    "Transfer GitHub repository %(repo)s from %(owner)s to "
                    "%(successor)s."
                )
                % values
            )
        if self._permission() == "admin":
            return (
                gettext("Add %(successor)s as an admin of GitHub repository %(repo)s.")
                % values
            )
        return (
            gettext("Add %(successor)s as a maintainer of GitHub repository %(repo)s.")
            % values
        )

    def transfer(self, *, record, owner, successor, note) -> TransferResult:
        self._check_settings()
        repo = self._repo(record)
        login = self._successor_login(successor)
        full_name = repo["full_name"]
        if object_dict(repo.get("owner")).get("type") == "User":
            response = self._send(
                "POST",
                f"/repos/{_path(full_name)}/transfer",
                json={"new_owner": login},
            )
            answer = self._json(response)
            return TransferResult(
                response={
                    "repository": full_name,
                    "new_owner": login,
                    "status": response.status_code,
                    "full_name": clean_text(answer.get("full_name")),
                },
                request_id=_request_id(response),
            )
        permission = self._permission()
        response = self._send(
            "PUT",
            f"/repos/{_path(full_name)}/collaborators/{_part(login)}",
            json={"permission": permission},
        )
        summary = {
            "repository": full_name,
            "collaborator": login,
            "permission": permission,
            "status": response.status_code,
        }
        if response.status_code == 201:
            invitation = self._json(response)
            summary["invitation_id"] = invitation.get("id")
        return TransferResult(response=summary, request_id=_request_id(response))

    def verify_transfer(self, *, record, successor) -> bool:
        self._check_settings()
        repo = self._repo(record)
        login = self._successor_login(successor)
        response = self._get(
            f"/repos/{_path(repo['full_name'])}/collaborators/{_part(login)}"
            "/permission",
            missing_ok=True,
        )
        if response.status_code == 404:
            return False
        answer = self._json(response)
        role = clean_text(answer.get("role_name")) or clean_text(
            answer.get("permission")
        )
        return role in MAINTAINING_ROLES

    # People ------------------------------------------------------------------------

    def _login(self, person: EmployeeRef) -> str:
        match_by = self.config.get("match_by") or "email"
        value = person.value(match_by).strip()
        logins = self.option("logins") or {}
        if not isinstance(logins, dict):
            raise must_be_object("logins")
        for key, login in logins.items():
            if value and str(key).strip().casefold() == value.casefold() and login:
                return str(login).strip()
        if match_by == "username" and value:
            return value
        if match_by == "email" and value:
            return self._search_login(value)
        raise ConnectorError(
            _(
                "Baton does not know the GitHub login of %(person)s: add them to "
                "the GitHub logins setting."
            )
            % {"person": value or person.name or "?"},
            retryable=False,
        )

    def _search_login(self, email: str) -> str:
        response = self._get(
            "/search/users", params={"q": f"{email} in:email", "per_page": 5}
        )
        found = self._json(response)
        items = [item for item in found.get("items") or [] if isinstance(item, dict)]
        if len(items) == 1 and clean_text(items[0].get("login")):
            return clean_text(items[0]["login"])
        if not items:
            message = _(
                "No GitHub user shows the e-mail %(email)s publicly: add them to "
                "the GitHub logins setting."
            )
        else:
            message = _(
                "Several GitHub users match the e-mail %(email)s: add the right "
                "one to the GitHub logins setting."
            )
        raise ConnectorError(message % {"email": email}, retryable=False)

    def _successor_login(self, successor: EmployeeRef) -> str:
        try:
            return self._login(successor)
        except MisconfiguredError:
            raise
        except ConnectorError as error:
            if error.retryable:
                raise
            raise MisconfiguredError(error.message) from None

    def _who(self, person: EmployeeRef) -> str:
        try:
            return self._login(person)
        except ConnectorError:
            return person.email or person.name

    def _org_owners(self) -> set[str]:
        if self._owners is None:
            members = self._paginate(
                f"/orgs/{_part(self.org)}/members", {"role": "admin"}, not_found=True
            )
            self._owners = {
                clean_text(member.get("login")).casefold() for member in members
            }
        return self._owners

    # Repositories ------------------------------------------------------------------

    def _repositories(self, login: str) -> list[Record]:
        ignore_owners = self.option("ignore_org_owners") is not False
        owners = self._org_owners() if ignore_owners else set()
        records = []
        if login.casefold() not in owners:
            for repo in self._paginate(
                f"/orgs/{_part(self.org)}/repos", {"type": "all"}, not_found=True
            ):
                record = self._org_repository(repo, login, owners)
                if record is not None:
                    records.append(record)
        if self.option("include_user_repos") is True:
            for repo in self._paginate(
                f"/users/{_part(login)}/repos", {"type": "owner"}, missing_ok=True
            ):
                records.append(self._record(repo, login, "owner", []))
        return records

    def _org_repository(self, repo, login, owners) -> Record | None:
        full_name = clean_text(repo.get("full_name"))
        if not full_name or repo.get("id") in (None, ""):
            return Record(
                external_id=clean_text(repo.get("id")),
                kind="repository",
                title="",
                error=gettext("GitHub listed a repository without a name or id."),
            )
        role = ""
        others = []
        for person in self._paginate(
            f"/repos/{_path(full_name)}/collaborators", {"affiliation": "all"}
        ):
            name = clean_text(person.get("login"))
            person_role = _role(person)
            if name.casefold() == login.casefold():
                role = person_role
            elif person_role in MAINTAINING_ROLES and name.casefold() not in owners:
                others.append(name)
        if role not in MAINTAINING_ROLES:
            return None
        return self._record(repo, login, role, others)

    def _record(self, repo, login, role, others) -> Record:
        full_name = clean_text(repo.get("full_name"))
        sole = not others
        description = clean_text(repo.get("description"))
        notes = [description] if description else []
        if sole:
            notes.append(gettext("Sole maintainer: nobody else can administer it."))
        return Record(
            external_id=clean_text(repo.get("id")),
            kind="repository",
            title=full_name,
            fields={
                "id": repo.get("id"),
                "full_name": full_name,
                "name": clean_text(repo.get("name")),
                "owner": clean_text(object_dict(repo.get("owner")).get("login")),
                "owner_type": clean_text(object_dict(repo.get("owner")).get("type")),
                "html_url": clean_text(repo.get("html_url")),
                "description": description,
                "private": bool(repo.get("private")),
                "archived": bool(repo.get("archived")),
                "default_branch": clean_text(repo.get("default_branch")),
                "role": role,
                "sole_maintainer": sole,
                "other_maintainers": sorted(others, key=str.casefold),
                "notes": "\n".join(notes),
                "login": login,
                "system": "GitHub",
            },
        )

    def _repo(self, record) -> dict:
        """The repository a record stands for, found by its id (names change)."""
        repo_id = str(record.external_id or "").strip()
        if not repo_id.isdigit():
            raise MisconfiguredError(
                gettext("Only GitHub repositories can be handed over, not “%(title)s”.")
                % {"title": record.title or repo_id}
            )
        response = self._get(f"/repositories/{repo_id}", missing_ok=True)
        if response.status_code == 404:
            raise MisconfiguredError(
                gettext(
                    "GitHub repository %(title)s no longer exists or the token "
                    "cannot see it."
                )
                % {"title": record.title or repo_id},
                request_id=_request_id(response),
            )
        repo = self._json(response)
        if not clean_text(repo.get("full_name")):
            raise ConnectorError(gettext("GitHub answered without a repository name."))
        return repo

    def _user_owned(self, full_name: str) -> bool:
        owner = str(full_name).partition("/")[0]
        return bool(owner) and owner.casefold() != self.org.casefold()

    def _permission(self) -> str:
        permission = self.option("successor_permission") or "maintain"
        if permission not in dict(PERMISSION_CHOICES):
            raise MisconfiguredError(
                _("Unknown role “%(role)s” for the successor.") % {"role": permission}
            )
        return permission

    # Memberships -------------------------------------------------------------------

    def _accounts(self, login: str) -> list[Record]:
        org = _part(self.org)
        response = self._get(f"/orgs/{org}/memberships/{_part(login)}", missing_ok=True)
        if response.status_code == 404:
            return []
        membership = self._json(response)
        org_role = clean_text(membership.get("role"))
        records = [
            Record(
                external_id=f"org:{self.org}",
                kind="account",
                title=self.org,
                fields={
                    "system": "GitHub",
                    "login": login,
                    "organization": self.org,
                    "role": org_role,
                    "state": clean_text(membership.get("state")),
                    "role_permission": (
                        gettext("Owner of %(org)s")
                        if org_role == "admin"
                        else gettext("Member of %(org)s")
                    )
                    % {"org": self.org},
                },
            )
        ]
        for team in self._paginate(f"/orgs/{org}/teams", {}):
            slug = clean_text(team.get("slug"))
            if not slug:
                continue
            answer = self._get(
                f"/orgs/{org}/teams/{_part(slug)}/memberships/{_part(login)}",
                missing_ok=True,
            )
            if answer.status_code == 404:
                continue
            team_role = clean_text(self._json(answer).get("role"))
            name = clean_text(team.get("name")) or slug
            records.append(
                Record(
                    external_id=f"team:{self.org}/{slug}",
                    kind="account",
                    title=f"{self.org}/{name}",
                    fields={
                        "system": "GitHub",
                        "login": login,
                        "organization": self.org,
                        "team": slug,
                        "team_name": name,
                        "role": team_role,
                        "role_permission": (
                            gettext("Maintainer of team %(team)s")
                            if team_role == "maintainer"
                            else gettext("Member of team %(team)s")
                        )
                        % {"team": f"{self.org}/{name}"},
                    },
                )
            )
        return records

    # HTTP -------------------------------------------------------------------------

    def _check_settings(self) -> None:
        if not self.base_url.lower().startswith(("http://", "https://")):
            raise MisconfiguredError(
                _("The GitHub API URL must start with https:// (or http://).")
            )
        if not self.org:
            raise MisconfiguredError(_("Enter the GitHub organisation."))
        if not self.secrets.get("token"):
            raise MisconfiguredError(_("Enter a GitHub access token."))

    def _url(self, path: str) -> str:
        return self.base_url + path

    def _get(self, path, *, params=None, not_found=False, missing_ok=False):
        return self._send(
            "GET", path, params=params, not_found=not_found, missing_ok=missing_ok
        )

    def _send(self, method, path, *, not_found=False, missing_ok=False, **kwargs):
        url = path if path.startswith(("http://", "https://")) else self._url(path)
        response = self.http.send(method, url, **kwargs)
        if missing_ok and response.status_code == 404:
            return response
        return self._check(response, not_found=not_found)

    def _check(self, response, *, not_found=False):
        status = response.status_code
        request_id = _request_id(response)
        if status in (403, 429) and (
            response.headers.get("X-RateLimit-Remaining") == "0"
            or response.headers.get("Retry-After")
        ):
            raise ConnectorError(
                _("%(host)s is limiting how often Baton may call it (HTTP %(status)s).")
                % {"host": self.host, "status": status},
                request_id=request_id,
            )
        if status == 401:
            raise MisconfiguredError(
                _("GitHub refused the access token (HTTP 401)."),
                request_id=request_id,
            )
        if status == 403:
            detail = self.http.detail_of(response)
            raise MisconfiguredError(
                _("The GitHub token may not do this (HTTP 403): %(detail)s")
                % {"detail": detail or "-"},
                request_id=request_id,
            )
        try:
            return self.http.check(
                response,
                refused=_("GitHub refused the access token (HTTP %(status)s).")
                % {"status": status},
                not_found=_(
                    "GitHub has no organisation %(org)s, or the token cannot see it."
                )
                % {"org": self.org}
                if not_found
                else None,
            )
        except ConnectorError as error:
            error.request_id = error.request_id or request_id
            raise

    def _json(self, response) -> dict:
        if response.status_code == 204 or not response.content:
            return {}
        try:
            answer = self.http.json_of(response, system=self.host)
        except ConnectorError as error:
            error.request_id = error.request_id or _request_id(response)
            raise
        return answer if isinstance(answer, dict) else {}

    def _paginate(self, path, params, *, not_found=False, missing_ok=False):
        """Every entry of a list, following the Link header."""
        url = self._url(path)
        query = {**params, "per_page": PER_PAGE}
        for _page in range(MAX_PAGES):
            response = self._send(
                "GET", url, params=query, not_found=not_found, missing_ok=missing_ok
            )
            if response.status_code == 404:
                return
            answer = self.http.json_of(response, system=self.host)
            if not isinstance(answer, list):
                raise ConnectorError(
                    _("%(host)s answered with something that is not a list.")
                    % {"host": self.host},
                    request_id=_request_id(response),
                )
            yield from (entry for entry in answer if isinstance(entry, dict))
            following = response.links.get("next", {}).get("url")
            if not following:
                return
            url, query = urljoin(response.url, following), None
        raise too_many_pages(self.host, MAX_PAGES)


def _role(person: dict) -> str:
    role = clean_text(person.get("role_name"))
    if role:
        return role
    permissions = object_dict(person.get("permissions"))
    for name in ("admin", "maintain", "push", "triage", "pull"):
        if permissions.get(name):
            return name
    return ""


def _request_id(response) -> str | None:
    if response is None:
        return None
    for header in ("X-GitHub-Request-Id", "X-Request-Id"):
        value = (response.headers.get(header) or "").strip()
        if value:
            return value[:200]
    return None


def _part(value: str) -> str:
    return quote(str(value), safe="")


def _path(full_name: str) -> str:
    owner, _slash, name = str(full_name).partition("/")
    return f"{_part(owner)}/{_part(name)}"
