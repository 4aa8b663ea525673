"""Jira Cloud's answers (issues, projects, users, versions) read into typed
models, and the Atlassian Document Format and JQL quoting they need."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from ...sdk.payloads import Payload, Text
from ...sdk.trackers import Percent, at

__all__ = [
    "Issue",
    "Project",
    "RichText",
    "User",
    "Version",
    "adf_document",
    "adf_text",
    "jql_string",
]


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


# Rich text as plain text.
RichText = Annotated[str, BeforeValidator(lambda value: adf_text(value).strip())]


class User(Payload):
    accountId: Text
    accountType: Text = "atlassian"
    displayName: Text = ""
    emailAddress: Text = ""
    active: Any = True


class Issue(Payload):
    id: Text
    key: Text = ""
    summary: Text = at("fields", "summary")
    description: RichText = at("fields", "description")
    due_date: Text = at("fields", "duedate")
    status: Text = at("fields", "status", "name")
    status_category: Text = at("fields", "status", "statusCategory", "key")
    progress_percent: Percent = at("fields", "progress", "percent", default=None)
    issue_type: Text = at("fields", "issuetype", "name")
    priority: Text = at("fields", "priority", "name")
    project: Text = at("fields", "project", "name")
    project_key: Text = at("fields", "project", "key")
    assignee: Text = at("fields", "assignee", "displayName")
    assignee_id: Text = at("fields", "assignee", "accountId", exclude=True)
    updated: Text = at("fields", "updated")


class Project(Payload):
    id: Text
    key: Text
    name: Text = ""
    description: Text = ""
    archived: Any = Field(False, exclude=True)
    category: Text = at("projectCategory", "name")
    lead: Text = at("lead", "displayName")
    lead_id: Text = at("lead", "accountId", exclude=True)


class Version(Payload):
    name: Text = ""
    releaseDate: Text = ""
    archived: Any = False
