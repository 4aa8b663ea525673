"""A fake GitHub REST API (v3, 2022-11-28) on pytest-httpserver: organisations,
owners, repositories with collaborators and role names, teams and memberships,
user search by e-mail, collaborator invitations, repository transfers, Link
header pagination and ``X-GitHub-Request-Id`` on every answer."""

from __future__ import annotations

import itertools
import json
import re
from urllib.parse import unquote

from werkzeug import Request, Response

TOKEN = "ghp_fakeTokenForBaton0123456789"
PERMISSIONS = {
    "admin": {
        "admin": True,
        "maintain": True,
        "push": True,
        "triage": True,
        "pull": True,
    },
    "maintain": {
        "admin": False,
        "maintain": True,
        "push": True,
        "triage": True,
        "pull": True,
    },
    "write": {
        "admin": False,
        "maintain": False,
        "push": True,
        "triage": True,
        "pull": True,
    },
    "read": {
        "admin": False,
        "maintain": False,
        "push": False,
        "triage": False,
        "pull": True,
    },
}


class FakeGitHub:
    def __init__(self, server, org="acme"):
        self.server = server
        self.org = org
        self.owners = set()  # organisation owners (role admin)
        self.members = set()
        self.teams = {}  # slug -> {"name", "members": {login: role}}
        self.users = {}  # login -> public e-mail or ""
        self.repos = {}  # id -> repo dict, with "collaborators": {login: role}
        self.invitations = []
        self.per_page_cap = None
        self.auto_accept_transfers = True
        self.fail = None  # (status, body, headers) for every call
        self._ids = itertools.count(1001)
        self._requests = itertools.count(1)

    @property
    def base_url(self):
        return self.server.url_for("").rstrip("/")

    def settings(self, **extra):
        return {"base_url": self.base_url, "organization": self.org, **extra}

    def add_repo(self, name, *, owner=None, collaborators=None, description=""):
        owner = owner or self.org
        repo_id = next(self._ids)
        self.repos[repo_id] = {
            "id": repo_id,
            "node_id": f"R_kgDO{repo_id}",
            "name": name,
            "full_name": f"{owner}/{name}",
            "private": True,
            "owner": {
                "login": owner,
                "id": 500 + len(owner),
                "type": "Organization" if owner == self.org else "User",
            },
            "html_url": f"https://github.example.com/{owner}/{name}",
            "description": description or None,
            "fork": False,
            "archived": False,
            "default_branch": "main",
            "visibility": "private",
            "collaborators": dict(collaborators or {}),
        }
        return self.repos[repo_id]

    def repo(self, full_name):
        return next(
            repo for repo in self.repos.values() if repo["full_name"] == full_name
        )

    def requests_to(self, path):
        return [
            request for request, _response in self.server.log if request.path == path
        ]

    # Serving ----------------------------------------------------------------------

    def install(self):
        self.server.expect_request(re.compile(r"^/.*$")).respond_with_handler(
            self._route
        )
        return self

    def _answer(self, body, status=200, headers=None):
        headers = {
            "X-GitHub-Request-Id": f"C0DE:{next(self._requests):04X}:BATON",
            "X-RateLimit-Remaining": "4999",
            **(headers or {}),
        }
        if body is None:
            return Response(status=status, headers=headers)
        return Response(
            json.dumps(body),
            status=status,
            content_type="application/json",
            headers=headers,
        )

    def _missing(self):
        return self._answer(
            {
                "message": "Not Found",
                "documentation_url": "https://docs.github.com/rest",
                "status": "404",
            },
            404,
        )

    def _public(self, repo):
        return {key: value for key, value in repo.items() if key != "collaborators"}

    def _page(self, request, entries):
        per_page = int(request.args.get("per_page") or 30)
        if self.per_page_cap:
            per_page = min(per_page, self.per_page_cap)
        page = int(request.args.get("page") or 1)
        chunk = entries[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(entries):
            args = request.args.to_dict()
            args.update(page=str(page + 1), per_page=str(per_page))
            query = "&".join(f"{key}={value}" for key, value in args.items())
            last = (len(entries) + per_page - 1) // per_page
            headers["Link"] = (
                f'<{self.base_url}{request.path}?{query}>; rel="next", '
                f'<{self.base_url}{request.path}?page={last}>; rel="last"'
            )
        return self._answer(chunk, headers=headers)

    def _route(self, request: Request):
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._answer(
                {
                    "message": "Bad credentials",
                    "documentation_url": "https://docs.github.com/rest",
                    "status": "401",
                },
                401,
            )
        if self.fail:
            status, body, headers = self.fail
            return self._answer(body, status, headers)
        parts = [unquote(part) for part in request.path.strip("/").split("/")]
        method = request.method
        org = self.org
        match parts:
            case ["orgs", name] if name == org:
                return self._answer({"login": org, "id": 9, "type": "Organization"})
            case ["orgs", name, *_rest] if name != org:
                return self._missing()
            case ["orgs", _org, "members"]:
                people = sorted(
                    self.owners
                    if request.args.get("role") == "admin"
                    else self.members | self.owners
                )
                return self._page(request, [self._user(login) for login in people])
            case ["orgs", _org, "repos"]:
                repos = [
                    self._public(repo)
                    for repo in self.repos.values()
                    if repo["owner"]["login"] == org
                ]
                return self._page(request, repos)
            case ["orgs", _org, "memberships", login]:
                if login not in self.members | self.owners:
                    return self._missing()
                return self._answer(
                    {
                        "state": "active",
                        "role": "admin" if login in self.owners else "member",
                        "organization": {"login": org},
                        "user": self._user(login),
                    }
                )
            case ["orgs", _org, "teams"]:
                teams = [
                    {"id": n, "slug": slug, "name": team["name"], "privacy": "closed"}
                    for n, (slug, team) in enumerate(self.teams.items())
                ]
                return self._page(request, teams)
            case ["orgs", _org, "teams", slug, "memberships", login]:
                members = self.teams.get(slug, {}).get("members", {})
                if login not in members:
                    return self._missing()
                return self._answer({"role": members[login], "state": "active"})
            case ["search", "users"]:
                email = request.args.get("q", "").removesuffix(" in:email").strip()
                items = [
                    {"login": login, "id": n, "type": "User", "score": 1.0}
                    for n, (login, public) in enumerate(self.users.items())
                    if public and public.lower() == email.lower()
                ]
                return self._answer(
                    {
                        "total_count": len(items),
                        "incomplete_results": False,
                        "items": items,
                    }
                )
            case ["users", login, "repos"]:
                repos = [
                    self._public(repo)
                    for repo in self.repos.values()
                    if repo["owner"]["login"] == login
                ]
                return self._page(request, repos)
            case ["repositories", repo_id]:
                repo = self.repos.get(int(repo_id)) if repo_id.isdigit() else None
                return self._answer(self._public(repo)) if repo else self._missing()
            case ["repos", owner, name, *rest]:
                try:
                    repo = self.repo(f"{owner}/{name}")
                except StopIteration:
                    return self._missing()
                return self._repo_route(request, method, repo, rest)
        return self._missing()

    def _user(self, login):
        return {"login": login, "id": 7000 + len(login), "type": "User"}

    def _repo_route(self, request, method, repo, rest):
        match (method, rest):
            case ("GET", ["collaborators"]):
                people = [
                    {
                        **self._user(login),
                        "permissions": PERMISSIONS[role],
                        "role_name": role,
                    }
                    for login, role in repo["collaborators"].items()
                ]
                people += [
                    {
                        **self._user(login),
                        "permissions": PERMISSIONS["admin"],
                        "role_name": "admin",
                    }
                    for login in sorted(self.owners)
                    if repo["owner"]["login"] == self.org
                    and login not in repo["collaborators"]
                ]
                return self._page(request, people)
            case ("PUT", ["collaborators", login]):
                role = (request.get_json(silent=True) or {}).get("permission", "push")
                if login not in self.users:
                    return self._answer(
                        {"message": "Validation Failed", "errors": []}, 422
                    )
                if login in self.members | self.owners:
                    repo["collaborators"][login] = role
                    return self._answer(None, 204)
                invitation = {
                    "id": next(self._ids),
                    "repository": self._public(repo),
                    "invitee": self._user(login),
                    "permissions": role,
                }
                self.invitations.append(invitation)
                return self._answer(invitation, 201)
            case ("GET", ["collaborators", login, "permission"]):
                role = repo["collaborators"].get(login)
                if repo["owner"]["login"] == login:
                    role = "admin"
                permission = {"maintain": "write", "write": "write"}.get(
                    role, role or "none"
                )
                return self._answer(
                    {
                        "permission": permission,
                        "role_name": role or "none",
                        "user": self._user(login),
                    }
                )
            case ("POST", ["transfer"]):
                new_owner = (request.get_json(silent=True) or {}).get("new_owner")
                if new_owner not in self.users:
                    return self._answer({"message": "Validation Failed"}, 422)
                answer = self._public(repo)
                if self.auto_accept_transfers:
                    old_owner = repo["owner"]["login"]
                    repo["owner"] = {"login": new_owner, "id": 1, "type": "User"}
                    repo["full_name"] = f"{new_owner}/{repo['name']}"
                    repo["collaborators"].pop(old_owner, None)
                return self._answer(answer, 202)
        return self._missing()
