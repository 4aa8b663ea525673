"""Where a log line comes from: the request being served (its id, and the
request itself, for the signed-in user's id) and the huey task being run.

Context variables: each request (each thread, each task) sees its own."""

import re
import uuid
from contextvars import ContextVar

from django.utils.functional import SimpleLazyObject, empty

__all__ = [
    "current_request",
    "current_request_id",
    "current_task",
    "current_user_id",
    "new_request_id",
    "request_id_from_header",
]

current_request_id: ContextVar[str | None] = ContextVar(
    "baton_request_id", default=None
)
current_request: ContextVar[object | None] = ContextVar("baton_request", default=None)
# (task id, task name) of the huey task running in this thread.
current_task: ContextVar[tuple[str, str] | None] = ContextVar(
    "baton_task", default=None
)

# What an incoming X-Request-ID may be: it ends up in logs and headers, so
# nothing that could break a log line or a header, and nothing long.
_REQUEST_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from_header(value: str | None) -> str | None:
    """The X-Request-ID a proxy sent, when it is a plausible id (at most 64
    letters, digits, ``-``, ``_`` or ``.``); None otherwise."""
    if value and _REQUEST_ID.fullmatch(value):
        return value
    return None


def current_user_id():
    """The signed-in user's id (never a name or an email address), when the
    request being served has one already: the user is never loaded here, since
    loading it may itself log (and so call back in here)."""
    request = current_request.get()
    if request is None:
        return None
    user = getattr(request, "user", None)
    if user is None:
        return None
    if isinstance(user, SimpleLazyObject):
        wrapped = user._wrapped
        if wrapped is empty:
            return None
        user = wrapped
    if not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "pk", None)
