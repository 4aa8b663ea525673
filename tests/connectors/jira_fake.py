"""A fake Jira Cloud for the Jira connector tests, served by pytest-httpserver.

It answers the REST API v3 calls the connector makes, in the shapes Atlassian
documents (developer.atlassian.com/cloud/jira/platform/rest/v3): basic
authentication with e-mail and API token, ``X-AREQUESTID`` on every answer,
``/search/jql`` paged by ``nextPageToken``, ``/project/search`` paged by
``startAt``, error bodies ``{"errorMessages": [...], "errors": {...}}``, ADF
rich text, user search that hides e-mail addresses people chose to hide and
returns nothing (not 403) to an account without “Browse users and groups”.

It understands only the JQL the connector writes and answers 400 to any other,
as Jira does to JQL it cannot parse. State (assignees, comments, leads) changes
like Jira's, so write-backs can be read back.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import uuid
from dataclasses import dataclass, field

from werkzeug import Request, Response

EMAIL = "baton-service@baton.example"
TOKEN = "ATATT3xFfGF0-test-token-1234567890"

# accountId, display name, e-mail, active, e-mail visible, account type
PEOPLE = {
    "service": ("712020:0a000000-0000-4000-8000-000000000001", "Baton Service"),
    "sales": ("5b10a2844c20165700ede21a", "Chen Fang"),
    "successor": ("5b10a2844c20165700ede21b", "Yang Jing"),
    "dev": ("5b10a2844c20165700ede21c", "Liu Lei"),
    "manager": ("5b10a2844c20165700ede21d", "Zhang Wei"),
    "private": ("5b10a2844c20165700ede21e", "Wu Min"),
    "automation": ("557058:f58131cb-b67d-43c7-b30d-6b58d40bd077", "Automation"),
}
EMAIL_HIDDEN = {"private"}
INACTIVE = {"manager"}
APPS = {"automation"}


def account(name: str) -> str:
    return PEOPLE[name][0]


def email(name: str) -> str:
    return EMAIL if name == "service" else f"{name}@baton.example"


def adf(*paragraphs: str) -> dict:
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": text}]}
            for text in paragraphs
        ],
    }


def adf_plain(document) -> str:
    return "\n".join(
        "".join(part.get("text", "") for part in paragraph.get("content", []))
        for paragraph in document.get("content", [])
    )


STATUSES = {
    "To Do": ("new", "To Do"),
    "In Progress": ("indeterminate", "In Progress"),
    "In Review": ("indeterminate", "In Progress"),
    "Blocked": ("indeterminate", "In Progress"),
    "Done": ("done", "Done"),
}


def _issues() -> list:
    def issue(number, key, summary, assignee, status, **fields):
        return {
            "id": str(10000 + number),
            "key": key,
            "summary": summary,
            "assignee": assignee,
            "status": status,
            "created": f"2025-10-{number:02d}T09:00:00.000+0800",
            **fields,
        }

    return [
        issue(
            1,
            "FIN-1",
            "Fix invoice export",
            "sales",
            "In Progress",
            description=adf(
                "Exports to the tax office fail for credit notes.",
                "See the log of 3 Nov.",
            ),
            duedate="2026-01-15",
            progress={"progress": 2880, "total": 7200, "percent": 40},
            issuetype="Bug",
            priority="High",
        ),
        issue(2, "FIN-2", "Tax rate table for 2026", "sales", "To Do"),
        issue(3, "FIN-3", "Customer asked for a new PDF layout", "sales", "Blocked"),
        issue(4, "FIN-4", "Review the dunning letters", "sales", "In Review"),
        issue(5, "WEB-1", "Landing page copy", "sales", "To Do"),
        issue(6, "FIN-5", "Old import bug", "sales", "Done"),
        issue(7, "FIN-6", "Speed up the search", "dev", "In Progress"),
        # Broken upstream: no summary.
        issue(8, "FIN-7", "", "sales", "To Do"),
        issue(9, "OPS-1", "Rotate the backups", "dev", "To Do"),
    ]


def _projects() -> list:
    return [
        {"id": "10000", "key": "FIN", "name": "Finance system", "lead": "sales"},
        {"id": "10001", "key": "WEB", "name": "Website", "lead": "sales"},
        {"id": "10002", "key": "OPS", "name": "Operations", "lead": "dev"},
        {
            "id": "10003",
            "key": "OLD",
            "name": "Old CRM",
            "lead": "sales",
            "archived": True,
        },
    ]


ALL_FIELDS = (
    "summary",
    "status",
    "description",
    "duedate",
    "priority",
    "issuetype",
    "project",
    "assignee",
    "updated",
    "progress",
)
_ISSUE_JQL = re.compile(
    r'^assignee = "(?P<account>[^"\\]+)" AND statusCategory != Done'
    r"(?: AND \((?P<extra>.*)\))? ORDER BY created ASC$"
)
_COUNT_JQL = re.compile(
    r'^project = "(?P<key>[A-Z]+)"(?P<done> AND statusCategory = Done)?$'
)
_EXTRA = re.compile(r"^project (?:= (?P<one>[A-Z]+)|in \((?P<many>[A-Z, ]+)\))$")


@dataclass
class FakeJira:
    base_url: str
    issues: list = field(default_factory=_issues)
    projects: list = field(default_factory=_projects)
    # project key -> people who may be assigned issues there
    assignable: dict = field(
        default_factory=lambda: {
            "FIN": {"sales", "successor", "dev"},
            "WEB": {"sales"},
            "OPS": {"dev"},
        }
    )
    comments: dict = field(default_factory=dict)
    # The service account's global permissions.
    browse_users: bool = True
    administrator: bool = False
    # Answers to send instead of the real one, first come first served.
    failures: list = field(default_factory=list)
    # (method, path, query dict, JSON body) of every authenticated request
    requests: list = field(default_factory=list)

    # Plumbing ---------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        request_id = uuid.uuid4().hex[:16]
        if self.failures:
            status, headers = self.failures.pop(0)
            return self._json({"errorMessages": ["Try again later."]}, status, headers)
        expected = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return Response(
                "Client must be authenticated to access this resource.",
                status=401,
                content_type="text/plain;charset=UTF-8",
                headers={"X-AREQUESTID": request_id},
            )
        body = request.get_json(silent=True)
        self.requests.append((request.method, request.path, dict(request.args), body))
        for method, pattern, handler in self._routes():
            match = re.fullmatch(pattern, request.path)
            if match and request.method == method:
                response = handler(request, body, **match.groupdict())
                response.headers["X-AREQUESTID"] = request_id
                return response
        return self._error(404, "Not found")

    def _routes(self):
        api = "/rest/api/3"
        return (
            ("GET", f"{api}/myself", self.myself),
            ("GET", f"{api}/mypermissions", self.my_permissions),
            ("GET", f"{api}/user/search", self.user_search),
            ("GET", f"{api}/search/jql", self.search),
            ("POST", f"{api}/search/approximate-count", self.count),
            ("GET", f"{api}/project/search", self.project_search),
            ("GET", rf"{api}/project/(?P<ref>[^/]+)", self.project_get),
            ("PUT", rf"{api}/project/(?P<ref>[^/]+)", self.project_put),
            ("GET", rf"{api}/project/(?P<ref>[^/]+)/version", self.versions),
            ("GET", rf"{api}/issue/(?P<ref>[^/]+)", self.issue_get),
            ("PUT", rf"{api}/issue/(?P<ref>[^/]+)/assignee", self.assign),
            ("POST", rf"{api}/issue/(?P<ref>[^/]+)/comment", self.comment),
        )

    @staticmethod
    def _json(value, status=200, headers=None) -> Response:
        return Response(
            json.dumps(value),
            status=status,
            content_type="application/json;charset=UTF-8",
            headers=headers or {},
        )

    def _error(self, status, *messages, errors=None) -> Response:
        return self._json(
            {"errorMessages": list(messages), "errors": errors or {}}, status
        )

    def _user(self, name, *, with_email=True) -> dict:
        account_id, display_name = PEOPLE[name]
        user = {
            "self": f"{self.base_url}/rest/api/3/user?accountId={account_id}",
            "accountId": account_id,
            "accountType": "app" if name in APPS else "atlassian",
            "displayName": display_name,
            "active": name not in INACTIVE,
            "timeZone": "Asia/Shanghai",
        }
        if with_email and name not in EMAIL_HIDDEN and name not in APPS:
            user["emailAddress"] = email(name)
        return user

    def _name_of(self, account_id):
        return next(
            (name for name, (known, _n) in PEOPLE.items() if known == account_id),
            None,
        )

    # People -----------------------------------------------------------------------

    def myself(self, request, body):
        return self._json(self._user("service"))

    def my_permissions(self, request, body):
        wanted = request.args.get("permissions", "")
        return self._json(
            {
                "permissions": {
                    key: {
                        "id": "27",
                        "key": key,
                        "type": "GLOBAL",
                        "havePermission": key == "USER_PICKER" and self.browse_users,
                    }
                    for key in wanted.split(",")
                    if key
                }
            }
        )

    def user_search(self, request, body):
        if not self.browse_users:
            return self._json([])
        query = request.args.get("query", "").casefold()
        found = [
            self._user(name)
            for name, (_id, display_name) in PEOPLE.items()
            if query
            and (
                display_name.casefold().startswith(query)
                or email(name).casefold().startswith(query)
            )
        ]
        return self._json(found)

    # Issues -----------------------------------------------------------------------

    def _issue_json(self, issue, fields) -> dict:
        project_key = issue["key"].split("-")[0]
        project = next(p for p in self.projects if p["key"] == project_key)
        category, category_name = STATUSES[issue["status"]]
        values = {
            "summary": issue["summary"],
            "status": {
                "name": issue["status"],
                "id": str(list(STATUSES).index(issue["status"]) + 1),
                "statusCategory": {"key": category, "name": category_name},
            },
            "description": issue.get("description"),
            "duedate": issue.get("duedate"),
            "priority": {"name": issue.get("priority", "Medium")},
            "issuetype": {"name": issue.get("issuetype", "Task")},
            "project": {
                "id": project["id"],
                "key": project["key"],
                "name": project["name"],
            },
            "assignee": self._user(issue["assignee"]) if issue["assignee"] else None,
            "updated": issue["created"],
            "progress": issue.get("progress", {"progress": 0, "total": 0}),
        }
        return {
            "id": issue["id"],
            "key": issue["key"],
            "self": f"{self.base_url}/rest/api/3/issue/{issue['id']}",
            "fields": {name: values[name] for name in fields if name in values},
        }

    def search(self, request, body):
        jql = request.args.get("jql", "")
        match = _ISSUE_JQL.match(jql)
        extra = match and match.group("extra")
        keys = None
        if extra is not None:
            scope = _EXTRA.match(extra) if extra else None
            if scope is None:
                match = None
            else:
                keys = {
                    key.strip()
                    for key in (scope.group("one") or scope.group("many")).split(",")
                }
        if match is None:
            return self._error(
                400,
                "Error in the JQL Query: Expecting operator but got 'frobnicate'. "
                "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', "
                "'!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. (line 1, character 9)",
            )
        found = [
            issue
            for issue in self.issues
            if issue["assignee"] == self._name_of(match.group("account"))
            and STATUSES[issue["status"]][0] != "done"
            and (keys is None or issue["key"].split("-")[0] in keys)
        ]
        found.sort(key=lambda issue: issue["created"])
        size = min(int(request.args.get("maxResults", 50)), 5000)
        token = request.args.get("nextPageToken")
        start = int(base64.b64decode(token).decode()) if token else 0
        page = found[start : start + size]
        fields = request.args.get("fields", "id").split(",")
        answer = {
            "issues": [self._issue_json(issue, fields) for issue in page],
            "isLast": start + size >= len(found),
        }
        if not answer["isLast"]:
            answer["nextPageToken"] = base64.b64encode(
                str(start + size).encode()
            ).decode()
        return self._json(answer)

    def count(self, request, body):
        match = _COUNT_JQL.match((body or {}).get("jql", ""))
        if match is None:
            return self._error(400, "Error in the JQL Query.")
        count = sum(
            1
            for issue in self.issues
            if issue["key"].startswith(match.group("key") + "-")
            and (not match.group("done") or STATUSES[issue["status"]][0] == "done")
        )
        return self._json({"count": count})

    def _find_issue(self, ref):
        return next(
            (issue for issue in self.issues if ref in (issue["id"], issue["key"])),
            None,
        )

    def issue_get(self, request, body, ref):
        issue = self._find_issue(ref)
        if issue is None:
            return self._error(
                404, "Issue does not exist or you do not have permission to see it."
            )
        fields = request.args.get("fields", "*all")
        names = ALL_FIELDS if fields == "*all" else fields.split(",")
        return self._json(self._issue_json(issue, names))

    def assign(self, request, body, ref):
        issue = self._find_issue(ref)
        if issue is None:
            return self._error(
                404, "Issue does not exist or you do not have permission to see it."
            )
        name = self._name_of((body or {}).get("accountId"))
        project_key = issue["key"].split("-")[0]
        if name is None or name not in self.assignable[project_key]:
            display = PEOPLE[name][1] if name else body.get("accountId")
            return self._error(
                400, errors={"assignee": f"User '{display}' cannot be assigned issues."}
            )
        issue["assignee"] = name
        return Response(status=204)

    def comment(self, request, body, ref):
        issue = self._find_issue(ref)
        if issue is None:
            return self._error(
                404, "Issue does not exist or you do not have permission to see it."
            )
        document = (body or {}).get("body")
        if not (
            isinstance(document, dict)
            and document.get("type") == "doc"
            and document.get("version") == 1
        ):
            return self._error(400, errors={"comment": "Comment body is not valid."})
        comments = self.comments.setdefault(issue["key"], [])
        comment_id = str(20000 + sum(len(c) for c in self.comments.values()))
        comments.append(copy.deepcopy(document))
        return self._json(
            {"id": comment_id, "body": document, "author": self._user("service")},
            201,
        )

    # Projects ---------------------------------------------------------------------

    def _project_json(self, project, expand=("lead",)) -> dict:
        value = {
            "id": project["id"],
            "key": project["key"],
            "name": project["name"],
            "self": f"{self.base_url}/rest/api/3/project/{project['id']}",
            "projectTypeKey": "software",
            "archived": project.get("archived", False),
        }
        if "lead" in expand:
            value["lead"] = self._user(project["lead"], with_email=False)
        if "description" in expand:
            value["description"] = f"{project['name']}, for the Baton tests."
        return value

    def _find_project(self, ref):
        return next(
            (p for p in self.projects if ref in (p["id"], p["key"])),
            None,
        )

    def project_search(self, request, body):
        live = [p for p in self.projects if not p.get("archived")]
        start = int(request.args.get("startAt", 0))
        size = int(request.args.get("maxResults", 50))
        expand = request.args.get("expand", "").split(",")
        page = live[start : start + size]
        return self._json(
            {
                "self": f"{self.base_url}/rest/api/3/project/search",
                "startAt": start,
                "maxResults": size,
                "total": len(live),
                "isLast": start + size >= len(live),
                "values": [self._project_json(p, expand) for p in page],
            }
        )

    def project_get(self, request, body, ref):
        project = self._find_project(ref)
        if project is None:
            return self._error(404, f"No project could be found with key '{ref}'.")
        return self._json(self._project_json(project, ("lead", "description")))

    def project_put(self, request, body, ref):
        project = self._find_project(ref)
        if project is None:
            return self._error(404, f"No project could be found with key '{ref}'.")
        if not self.administrator:
            return self._error(
                403,
                "You must have global administrator rights in order to modify "
                "projects.",
            )
        name = self._name_of((body or {}).get("leadAccountId"))
        if name is None:
            return self._error(
                400, errors={"projectLead": "The project lead does not exist."}
            )
        project["lead"] = name
        return self._json(self._project_json(project, ("lead",)))

    def versions(self, request, body, ref):
        project = self._find_project(ref)
        if project is None:
            return self._error(404, f"No project could be found with key '{ref}'.")
        versions = []
        if project["key"] == "FIN":
            versions = [
                {
                    "id": "10100",
                    "name": "1.9",
                    "released": True,
                    "archived": False,
                    "releaseDate": "2025-06-30",
                },
                {"id": "10101", "name": "2.1", "released": False, "archived": False},
                {
                    "id": "10102",
                    "name": "2.0",
                    "released": False,
                    "archived": False,
                    "releaseDate": "2026-03-31",
                },
            ]
        if request.args.get("status") == "unreleased":
            versions = [v for v in versions if not v["released"]]
        return self._json(
            {
                "startAt": 0,
                "maxResults": 50,
                "total": len(versions),
                "isLast": True,
                "values": versions,
            }
        )

    # For the tests ------------------------------------------------------------------

    def issue(self, key) -> dict:
        return self._find_issue(key)

    def project(self, key) -> dict:
        return self._find_project(key)

    def searches(self) -> list:
        return [
            query
            for method, path, query, _body in self.requests
            if path == "/rest/api/3/search/jql"
        ]

    def user_searches(self) -> list:
        return [
            query["query"]
            for method, path, query, _body in self.requests
            if path == "/rest/api/3/user/search"
        ]


def install(httpserver) -> FakeJira:
    """A fresh fake Jira answering every request to ``httpserver``."""
    fake = FakeJira(base_url=httpserver.url_for("").rstrip("/"))
    httpserver.expect_request(re.compile(r"/.*")).respond_with_handler(fake.handle)
    return fake
