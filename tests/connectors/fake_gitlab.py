"""A fake GitLab REST API (v4) on pytest-httpserver: users, personal and group
projects, direct and inherited members, memberships (administrators only),
X-Next-Page and Link header pagination and ``X-Request-Id`` on every answer."""

from __future__ import annotations

import itertools
import json
import re
from urllib.parse import unquote

from werkzeug import Request, Response

TOKEN = "glpat-fakeTokenForBaton01"


class FakeGitLab:
    def __init__(self, server):
        self.server = server
        self.users = {}  # id -> {"username", "name", "email", "public_email"}
        self.group = {"id": 77, "full_path": "acme", "members": {}}  # user id -> level
        self.projects = {}  # id -> project dict with "members" (direct) and "in_group"
        self.token_is_admin = True
        self.per_page_cap = None
        self.fail = None  # (status, body) for every call
        self._ids = itertools.count(300)
        self._requests = itertools.count(1)

    @property
    def base_url(self):
        return self.server.url_for("").rstrip("/")

    def settings(self, **extra):
        return {"base_url": self.base_url, **extra}

    def add_user(self, user_id, username, email="", public_email=""):
        self.users[user_id] = {
            "username": username,
            "name": username.replace(".", " ").title(),
            "email": email,
            "public_email": public_email,
        }

    def add_project(self, name, *, namespace="acme", members=None, description=""):
        project_id = next(self._ids)
        self.projects[project_id] = {
            "id": project_id,
            "name": name,
            "path": name,
            "path_with_namespace": f"{namespace}/{name}",
            "web_url": f"https://gitlab.example.com/{namespace}/{name}",
            "description": description,
            "visibility": "private",
            "archived": False,
            "default_branch": "main",
            "namespace": {
                "full_path": namespace,
                "kind": "group" if namespace == "acme" else "user",
            },
            "in_group": namespace == "acme",
            "owner_id": next(
                (
                    uid
                    for uid, user in self.users.items()
                    if user["username"] == namespace
                ),
                None,
            ),
            "members": dict(members or {}),
        }
        return self.projects[project_id]

    def project(self, path):
        return next(
            p for p in self.projects.values() if p["path_with_namespace"] == path
        )

    def requests_to(self, path):
        return [
            request for request, _response in self.server.log if request.path == path
        ]

    # Serving ----------------------------------------------------------------------

    def install(self):
        self.server.expect_request(re.compile(r"^/api/v4/.*$")).respond_with_handler(
            self._route
        )
        return self

    def _answer(self, body, status=200, headers=None):
        return Response(
            json.dumps(body),
            status=status,
            content_type="application/json",
            headers={
                "X-Request-Id": f"01JBATON{next(self._requests):06d}",
                **(headers or {}),
            },
        )

    def _missing(self, what="Not found"):
        return self._answer({"message": f"404 {what}"}, 404)

    def _user(self, user_id, *, admin_view=None):
        user = self.users[user_id]
        shown = {
            "id": user_id,
            "username": user["username"],
            "name": user["name"],
            "state": "active",
            "web_url": f"https://gitlab.example.com/{user['username']}",
            "public_email": user["public_email"],
        }
        if admin_view if admin_view is not None else self.token_is_admin:
            shown["email"] = user["email"]
            shown["is_admin"] = False
        return shown

    def _public(self, project):
        return {
            key: value
            for key, value in project.items()
            if key not in ("members", "in_group", "owner_id")
        }

    def _page(self, request, entries):
        per_page = int(request.args.get("per_page") or 20)
        if self.per_page_cap:
            per_page = min(per_page, self.per_page_cap)
        page = int(request.args.get("page") or 1)
        chunk = entries[(page - 1) * per_page : page * per_page]
        more = page * per_page < len(entries)
        headers = {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Total": str(len(entries)),
            "X-Next-Page": str(page + 1) if more else "",
        }
        # GitLab sends the same as RFC 8288 links too (what its clients follow).
        last = max(1, (len(entries) + per_page - 1) // per_page)
        links = {"first": 1, "last": last, **({"next": page + 1} if more else {})}
        headers["Link"] = ", ".join(
            f'<{self._page_url(request, number, per_page)}>; rel="{rel}"'
            for rel, number in links.items()
        )
        return self._answer(chunk, headers=headers)

    def _page_url(self, request, page, per_page):
        args = {**request.args.to_dict(), "page": str(page), "per_page": str(per_page)}
        query = "&".join(f"{key}={value}" for key, value in args.items())
        return f"{self.base_url}{request.path}?{query}"

    def _levels(self, project):
        """Every member's access level: direct, inherited from the group, owner."""
        levels = dict(self.group["members"]) if project["in_group"] else {}
        for user_id, level in project["members"].items():
            levels[user_id] = max(level, levels.get(user_id, 0))
        if project["owner_id"] is not None:
            levels[project["owner_id"]] = 50
        return levels

    def _member(self, user_id, level):
        return {
            **self._user(user_id, admin_view=False),
            "access_level": level,
            "expires_at": None,
        }

    def _route(self, request: Request):
        if request.headers.get("PRIVATE-TOKEN") != TOKEN:
            return self._answer({"message": "401 Unauthorized"}, 401)
        if self.fail:
            status, body = self.fail
            return self._answer(body, status)
        parts = [unquote(part) for part in request.path.split("/")[3:]]
        method = request.method
        match (method, parts):
            case ("GET", ["user"]):
                return self._answer(
                    {"id": 1, "username": "baton-bot", "is_admin": self.token_is_admin}
                )
            case ("GET", ["groups", group]) if group in ("acme", "77"):
                return self._answer({"id": 77, "full_path": "acme", "name": "Acme"})
            case ("GET", ["groups", _group, *_rest]) if _group not in ("acme", "77"):
                return self._missing("Group Not Found")
            case ("GET", ["groups", _group, "projects"]):
                found = [
                    self._public(p) for p in self.projects.values() if p["in_group"]
                ]
                return self._page(request, found)
            case ("GET", ["users"]):
                username = request.args.get("username")
                search = (request.args.get("search") or "").lower()
                found = []
                for user_id, user in self.users.items():
                    exact = username is not None and user["username"] == username
                    if exact or (
                        search
                        and (
                            search in user["username"]
                            or search == user["public_email"].lower()
                            or (self.token_is_admin and search == user["email"].lower())
                        )
                    ):
                        found.append(self._user(user_id))
                return self._answer(found)
            case ("GET", ["users", user_id, "projects"]):
                owned = [
                    self._public(p)
                    for p in self.projects.values()
                    if p["owner_id"] == int(user_id)
                ]
                return self._page(request, owned)
            case ("GET", ["users", user_id, "memberships"]):
                if not self.token_is_admin:
                    return self._answer({"message": "403 Forbidden"}, 403)
                memberships = [
                    {
                        "source_id": p["id"],
                        "source_name": p["name"],
                        "source_type": "Project",
                        "access_level": p["members"][int(user_id)],
                    }
                    for p in self.projects.values()
                    if int(user_id) in p["members"]
                ]
                return self._page(request, memberships)
            case (_method, ["projects", project_id, *rest]):
                project = (
                    self.projects.get(int(project_id)) if project_id.isdigit() else None
                )
                if project is None:
                    return self._missing("Project Not Found")
                return self._project_route(request, method, project, rest)
        return self._missing()

    def _project_route(self, request, method, project, rest):
        match (method, rest):
            case ("GET", []):
                return self._answer(self._public(project))
            case ("GET", ["members", "all"]):
                members = [
                    self._member(user_id, level)
                    for user_id, level in self._levels(project).items()
                ]
                return self._page(request, members)
            case ("GET", ["members", "all", user_id]):
                level = self._levels(project).get(int(user_id))
                return (
                    self._answer(self._member(int(user_id), level))
                    if level
                    else self._missing()
                )
            case ("GET", ["members", user_id]):
                level = project["members"].get(int(user_id))
                return (
                    self._answer(self._member(int(user_id), level))
                    if level
                    else self._missing()
                )
            case ("POST", ["members"]):
                body = request.get_json(silent=True) or {}
                user_id, level = int(body["user_id"]), int(body["access_level"])
                if user_id in project["members"]:
                    return self._answer({"message": "Member already exists"}, 409)
                project["members"][user_id] = level
                return self._answer(self._member(user_id, level), 201)
            case ("PUT", ["members", user_id]):
                level = int((request.get_json(silent=True) or {})["access_level"])
                project["members"][int(user_id)] = level
                return self._answer(self._member(int(user_id), level))
        return self._missing()
