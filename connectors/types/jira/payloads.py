"""What the Jira connector reads from Jira's answers (REST API v3), and the
two text formats it speaks: JQL strings and Atlassian Document Format."""

from __future__ import annotations

from typing import Any

from ...sdk.payloads import Nested, NestedList, Payload, Text
from ...sdk.trackers import Percent


class Ref(Payload):
    id: Text = ""
    key: Text = ""
    name: Text = ""


class User(Payload):
    accountId: Text = ""
    accountType: Text = "atlassian"
    displayName: Text = ""
    emailAddress: Text = ""
    active: Any = True


class Status(Payload):
    name: Text = ""
    statusCategory: Nested[Ref] = Ref()


class Progress(Payload):
    percent: Percent = None


class IssueFields(Payload):
    summary: Text = ""
    status: Nested[Status] = Status()
    description: Any = None  # Atlassian Document Format
    duedate: Text = ""
    priority: Nested[Ref] = Ref()
    issuetype: Nested[Ref] = Ref()
    project: Nested[Ref] = Ref()
    assignee: Nested[User] = User()
    updated: Text = ""
    progress: Nested[Progress] = Progress()


class Issue(Payload):
    id: Text = ""
    key: Text = ""
    fields: Nested[IssueFields] = IssueFields()


class Project(Ref):
    description: Text = ""
    archived: Any = False
    lead: Nested[User] = User()
    projectCategory: Nested[Ref] = Ref()


class Version(Payload):
    name: Text = ""
    releaseDate: Text = ""
    released: Any = False
    archived: Any = False


class Versions(Payload):
    values: NestedList[Version] = []


class Permission(Payload):
    havePermission: Any = False


class Permissions(Payload):
    permissions: Nested[dict[str, Nested[Permission]]] = {}


class Count(Payload):
    count: int = 0


def jql_string(value: str) -> str:
    """``value`` as a quoted JQL string."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def adf_text(node) -> str:
    """Plain text of an Atlassian Document Format value (v3 rich text):
    paragraphs and list items on their own lines, mentions and emoji by their
    text."""
    if isinstance(node, str):
        return node
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text") or "")
    if kind == "hardBreak":
        return "\n"
    if kind in ("mention", "emoji", "status", "date"):
        attrs = node.get("attrs") or {}
        return str(attrs.get("text") or attrs.get("shortName") or "")
    parts = [adf_text(child) for child in node.get("content") or []]
    if kind in ("doc", "bulletList", "orderedList", "table", "tableRow"):
        return "\n".join(part for part in parts if part)
    if kind == "listItem":
        return "- " + "\n".join(part for part in parts if part)
    return "".join(parts)


def adf_document(text: str) -> dict:
    """``text`` as an ADF document, one paragraph per line."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]}
        for line in str(text).splitlines()
        if line.strip()
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}
