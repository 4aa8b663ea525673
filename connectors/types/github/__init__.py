"""GitHub (github.com or Enterprise Server): repositories an employee
administers or maintains in the organisation and their organisation and team
memberships; a repository is handed over by adding the successor as maintainer
(or transferring the employee's own), then read back. People: ``logins``, the
user name, or the user search by public e-mail.

Not PyGithub: whole-second timeouts only, no status or ``X-GitHub-Request-Id``
of a write, a request per object for attributes a list left out."""

from __future__ import annotations

from functools import cached_property
from urllib.parse import quote

from django.utils.translation import gettext_lazy as _

from ...sdk.base import (
    DISCOVER,
    TRANSFER,
    ConnectorError,
    MisconfiguredError,
    Record,
    Setting,
    TransferResult,
)
from ...sdk.common import (
    TIMEOUT,
    VERIFY_TLS,
    clean_text,
    flag_setting,
    is_on,
    map_setting,
    optional,
    secret_setting,
    url_setting,
)
from ...sdk.http import Bearer, HttpConnector, LinkHeader, dig
from ...sdk.payloads import Nested, Payload, Text, parse, parse_each, records_from
from ...sdk.people import FindsPeople
from ...sdk.trackers import code_host_mappings, maintainers_fields

__all__ = ["GitHubConnector"]

MAINTAINING_ROLES = ("admin", "maintain")


class Account(Payload):
    """A user, organisation or team as GitHub lists them."""

    login: Text = ""
    type: Text = ""
    slug: Text = ""
    name: Text = ""


class Repo(Payload):
    id: int
    full_name: Text
    name: Text = ""
    owner: Nested[Account] = Account()
    html_url: Text = ""
    description: Text = ""
    private: bool = False
    archived: bool = False
    default_branch: Text = ""


class Role(Payload):
    """A membership (``role``, ``state``), a collaborator (``login``,
    ``role_name``, ``permissions``) or a collaborator's ``permission``."""

    login: Text = ""
    role: Text = ""
    state: Text = ""
    role_name: Text = ""
    permission: Text = ""
    permissions: dict[str, bool | None] = {}

    @property
    def granted(self) -> str:
        """The collaborator's role, or the highest permission they have."""
        granted = ("admin", "maintain", "push", "triage", "pull")
        first = next((name for name in granted if self.permissions.get(name)), "")
        return self.role_name or self.permission or first


class GitHubConnector(FindsPeople, HttpConnector):
    slug = "github"
    label = _("GitHub")
    description = _(
        "Repositories the employee administers or maintains in the organisation "
        "(flagged when nobody else can), and their organisation and team "
        "memberships. Hands repositories to the successor."
    )
    capabilities = frozenset({DISCOVER, TRANSFER})
    default_mappings = code_host_mappings(
        title="full_name", location="html_url", account_id="login"
    )
    settings = (
        url_setting(
            _("API URL"),
            _(
                "https://api.github.com, or https://github.example.com/api/v3 for "
                "GitHub Enterprise Server."
            ),
            "https://api.github.com",
        ),
        Setting("organization", _("Organisation"), _("Its login, e.g. acme-corp.")),
        map_setting(
            "logins",
            _("GitHub logins"),
            _(
                "Employee match value → GitHub login, e.g. "
                '{"wang.lei@example.com": "wlei"}. Needed for people whose e-mail '
                "is not public on GitHub."
            ),
        ),
        flag_setting(
            "ignore_org_owners",
            _("Leave organisation owners out"),
            _(
                "Owners administer every repository: they neither count as a "
                "repository's maintainers nor have repositories listed for that."
            ),
            default=True,
        ),
        flag_setting(
            "include_user_repos",
            _("Include repositories the employee owns"),
            _("On GitHub Enterprise Server, personal repositories are company work."),
        ),
        optional(
            "successor_permission",
            _("Successor's role on handed-over repositories"),
            _(
                "Maintain lets the successor manage issues, pull requests and most "
                "settings; Admin also lets them change access and delete the "
                "repository."
            ),
            default="maintain",
            choices=(("maintain", _("Maintain")), ("admin", _("Admin"))),
        ),
        TIMEOUT,
        VERIFY_TLS,
        secret_setting(
            "token",
            _("Access token"),
            _(
                "A token that can read the organisation's repositories, members and "
                "teams (and administer repositories, to hand them over)."
            ),
        ),
    )
    auth = Bearer("token")
    pagination = LinkHeader()
    default_headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    request_id_headers = ("X-GitHub-Request-Id",)
    forbidden_message = _("The GitHub token may not do this (HTTP 403): %(detail)s")
    people_map_setting = "logins"
    unknown_person_message = _(
        "Baton does not know the GitHub login of %(person)s: add them to the "
        "GitHub logins setting."
    )

    @property
    def org(self) -> str:
        return str(self.option("organization") or "").strip()

    def test_connection(self) -> str:
        answer = self.get(self._org_path(""), not_found=self._no_org())
        org = parse(Account, answer, system=self.host).login or self.org
        message = _("Connected to %(host)s: organisation %(org)s.")
        return message % {"host": self.host, "org": org}

    def list_records(self, *, employee, record_kind):
        login = self.person_id(employee)
        if record_kind == "account":
            return self._accounts(login)
        return self._repositories(login)

    # People ------------------------------------------------------------------------

    def find_person(self, *, value: str, match_by: str) -> str | None:
        if match_by == "username":
            return value
        if match_by != "email":
            return None
        query = {"q": f"{value} in:email", "per_page": 5}
        found = self.entries_of(
            self.request("GET", "/search/users", params=query), "items"
        )
        logins = [user.login for user in parse_each(Account, found)]
        if len(logins) == 1 and logins[0]:
            return logins[0]
        if not logins:
            message = _(
                "No GitHub user shows the e-mail %(email)s publicly: add them to "
                "the GitHub logins setting."
            )
        else:
            message = _(
                "Several GitHub users match the e-mail %(email)s: add the right "
                "one to the GitHub logins setting."
            )
        raise ConnectorError(message % {"email": value}, retryable=False)

    @cached_property
    def _org_owners(self) -> set[str]:
        if not is_on(self.option("ignore_org_owners")):
            return set()
        owners = self.paginate(
            self._org_path("/members"), {"role": "admin"}, not_found=self._no_org()
        )
        return {owner.login.casefold() for owner in parse_each(Account, owners)}

    # Repositories ------------------------------------------------------------------

    def _repositories(self, login: str) -> list[Record]:
        records = []
        unnamed = _("GitHub listed a repository without a name or id.")

        def maintained(repo):
            role, others = self._maintainers(repo, login)
            if role in MAINTAINING_ROLES:
                return self._record(repo, login, role, others)
            return None

        if login.casefold() not in self._org_owners:
            listed = self.paginate(
                self._org_path("/repos"), {"type": "all"}, not_found=self._no_org()
            )
            records = records_from(
                Repo, listed, maintained, kind="repository", error=unnamed
            )
        if is_on(self.option("include_user_repos")):
            path = f"/users/{_part(login)}/repos"
            listed = self.paginate(path, {"type": "owner"}, missing_ok=True)
            records += records_from(
                Repo,
                listed,
                lambda repo: self._record(repo, login, "owner", []),
                kind="repository",
                error=unnamed,
            )
        return records

    def _maintainers(self, repo: Repo, login: str) -> tuple[str, list]:
        """``login``'s role on ``repo``, and who else maintains it (leaving out
        the organisation's owners unless they count)."""
        role, others = "", []
        path = f"/repos/{quote(repo.full_name)}/collaborators"
        for person in parse_each(Role, self.paginate(path, {"affiliation": "all"})):
            if person.login.casefold() == login.casefold():
                role = person.granted
            elif person.granted in MAINTAINING_ROLES:
                others.append(person.login)
        return role, [
            name for name in others if name.casefold() not in self._org_owners
        ]

    def _record(self, repo: Repo, login: str, role: str, others: list) -> Record:
        return Record(
            external_id=str(repo.id),
            kind="repository",
            title=repo.full_name,
            fields={
                **repo.model_dump(exclude={"owner"}),
                **maintainers_fields(repo.description, others),
                "owner": repo.owner.login,
                "owner_type": repo.owner.type,
                "role": role,
                "login": login,
                "system": "GitHub",
            },
        )

    # Memberships -------------------------------------------------------------------

    def _accounts(self, login: str) -> list[Record]:
        org = self._found(self._org_path(f"/memberships/{_part(login)}"))
        if org is None:
            return []
        base = {"system": "GitHub", "login": login, "organization": self.org}
        role = _("Owner of %(org)s") if org.role == "admin" else _("Member of %(org)s")
        fields = {"role": org.role, "state": org.state}
        fields["role_permission"] = role % {"org": self.org}
        records = [Record(f"org:{self.org}", "account", self.org, {**base, **fields})]
        for team in parse_each(Account, self.paginate(self._org_path("/teams"))):
            path = f"/teams/{_part(team.slug)}/memberships/{_part(login)}"
            member = self._found(self._org_path(path)) if team.slug else None
            if member is None:
                continue
            name = team.name or team.slug
            title = f"{self.org}/{name}"
            if member.role == "maintainer":
                role = _("Maintainer of team %(team)s")
            else:
                role = _("Member of team %(team)s")
            fields = {"team": team.slug, "team_name": name, "role": member.role}
            fields["role_permission"] = role % {"team": title}
            external_id = f"team:{self.org}/{team.slug}"
            records.append(Record(external_id, "account", title, {**base, **fields}))
        return records

    # Write-backs -------------------------------------------------------------------

    def describe_transfer(self, *, record, owner, successor) -> str:
        repo = record.title or record.external_id
        repo_owner = str(repo).partition("/")[0].casefold()
        if repo_owner and repo_owner != self.org.casefold():
            message = _(
                "Transfer GitHub repository %(repo)s from %(owner)s to %(successor)s."
            )
        elif self.option("successor_permission") == "admin":
            message = _("Add %(successor)s as an admin of GitHub repository %(repo)s.")
        else:
            message = _(
                "Add %(successor)s as a maintainer of GitHub repository %(repo)s."
            )
        people = {"owner": self.shown_as(owner), "successor": self.shown_as(successor)}
        return message % {"repo": repo, **people}

    def transfer(self, *, record, owner, successor, note) -> TransferResult:
        repo = self._repo(record)
        login = self.successor_id(successor)
        path = f"/repos/{quote(repo.full_name)}"
        if repo.owner.type == "User":
            body = {"new_owner": login}
            response = self.request("POST", f"{path}/transfer", json=body)
            moved = clean_text(dig(self.json_of(response), "full_name"))
            summary = {"new_owner": login, "full_name": moved}
        else:
            permission = str(self.option("successor_permission"))
            response = self.request(
                "PUT",
                f"{path}/collaborators/{_part(login)}",
                json={"permission": permission},
            )
            summary = {"collaborator": login, "permission": permission}
            if response.status_code == 201:
                summary["invitation_id"] = self.json_of(response).get("id")
        summary.update(repository=repo.full_name, status=response.status_code)
        return TransferResult(response=summary, request_id=self.request_id(response))

    def verify_transfer(self, *, record, successor) -> bool:
        repo = self._repo(record)
        login = _part(self.successor_id(successor))
        path = f"/repos/{quote(repo.full_name)}/collaborators/{login}/permission"
        found = self._found(path)
        return found is not None and found.granted in MAINTAINING_ROLES

    def _repo(self, record) -> Repo:
        """The repository a record stands for, found by its id (names change)."""
        repo_id = str(record.external_id or "").strip()
        title = {"title": record.title or repo_id}
        if not repo_id.isdigit():
            raise MisconfiguredError(
                _("Only GitHub repositories can be handed over, not “%(title)s”.")
                % title
            )
        gone = _(
            "GitHub repository %(title)s no longer exists or the token cannot see it."
        )
        answer = self.get(f"/repositories/{repo_id}", not_found=gone % title)
        return parse(Repo, answer, system=self.host)

    # HTTP -------------------------------------------------------------------------

    def rate_limited(self, response) -> bool:
        # A spent rate limit is a 403 too: the remaining count or a wait tells.
        remaining = response.headers.get("X-RateLimit-Remaining")
        spent = remaining == "0" or bool(response.headers.get("Retry-After"))
        return response.status_code == 429 or (response.status_code == 403 and spent)

    def _found(self, path: str) -> Role | None:
        """The membership or permission at ``path``; None when there is none."""
        response = self.request("GET", path, missing_ok=True)
        if response.status_code == 404:
            return None
        return parse(Role, self.json_of(response), system=self.host)

    def _org_path(self, rest: str) -> str:
        return f"/orgs/{_part(self.org)}{rest}"

    def _no_org(self):
        return _("GitHub has no organisation %(org)s, or the token cannot see it.") % {
            "org": self.org
        }


def _part(value: str) -> str:
    return quote(str(value), safe="")
