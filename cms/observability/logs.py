"""The logging filter that puts the request id, the signed-in user's id and
the running huey task into every log record (config/settings_parts/
observability.py installs it on the console handler)."""

import logging

from .context import current_request_id, current_task, current_user_id

__all__ = ["RequestContextFilter"]


class RequestContextFilter(logging.Filter):
    """Adds ``request_id``, ``user_id``, ``task_id`` and ``task_name`` to each
    record; ``placeholder`` stands for what is unknown (None in JSON, "-" in
    the text format)."""

    FIELDS = ("request_id", "user_id", "task_id", "task_name")

    def __init__(self, name="", placeholder=None):
        super().__init__(name)
        self.placeholder = placeholder

    def filter(self, record):
        task = current_task.get()
        values = {
            "request_id": current_request_id.get(),
            "user_id": current_user_id(),
            "task_id": task[0] if task else None,
            "task_name": task[1] if task else None,
        }
        for field, value in values.items():
            setattr(record, field, self.placeholder if value is None else value)
        return True
