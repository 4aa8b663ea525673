"""The JMESPath expressions an admin wrote, checked once, and the records they
read from each page of the answer."""

from __future__ import annotations

import jmespath
from django.utils.translation import gettext_lazy as _
from jmespath.exceptions import JMESPathError

from ...sdk.base import MisconfiguredError, Record
from ...sdk.common import must_be_object

__all__ = ["Expressions", "search"]

_UNREADABLE = object()


def search(expression, data, failed=None):
    """What ``expression`` finds in ``data``; ``failed`` where it cannot apply."""
    try:
        return expression.search(data)
    except JMESPathError:
        return failed


def _compile(expression, setting):
    if not isinstance(expression, str) or not expression.strip():
        raise MisconfiguredError(
            _("The setting “%(setting)s” needs a JMESPath expression.")
            % {"setting": setting}
        )
    try:
        return jmespath.compile(expression)
    except JMESPathError:
        raise MisconfiguredError(
            _(
                "The setting “%(setting)s” is not a valid JMESPath expression: "
                "%(expression)s"
            )
            % {"setting": setting, "expression": expression[:200]}
        ) from None


class Expressions:
    """The records, their ids, titles and fields (and the next cursor when
    paging by cursor) as the connector's settings say; a wrong one is named."""

    def __init__(self, option, *, cursor: bool):
        self.id_path = option("id_path")
        self.records = _compile(option("records_path"), "records_path")
        self.id = _compile(self.id_path, "id_path")
        self.title = _compile(option("title_path"), "title_path")
        field_paths = option("field_paths") or {}
        if not isinstance(field_paths, dict):
            raise must_be_object("field_paths")
        self.fields = {
            str(name): _compile(path, f"field_paths.{name}")
            for name, path in field_paths.items()
        }
        if cursor:
            self.cursor = _compile(option("cursor_path"), "cursor_path")

    def record(self, item, kind: str, *, page: int, position: int) -> Record:
        """One record; an entry without an id or with a field that cannot be
        read is a record with an error (the engine reports it and goes on)."""
        raw_id, raw_title = search(self.id, item), search(self.title, item)
        if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int, float)):
            raw_id = ""
        if raw_id == "":
            message = _("Record %(position)s on page %(page)s has no id at “%(path)s”.")
            where = {"position": position, "page": page, "path": self.id_path}
            return Record(
                external_id="", kind=kind, title="", error=str(message % where)
            )
        external_id = str(raw_id)
        fields = dict(item) if isinstance(item, dict) else {"value": item}
        if self.fields:
            fields = {}
            for name, expression in self.fields.items():
                fields[name] = search(expression, item, failed=_UNREADABLE)
                if fields[name] is _UNREADABLE:
                    message = _(
                        "Record %(id)s: the field “%(field)s” could not be read."
                    )
                    error = str(message % {"id": external_id, "field": name})
                    return Record(external_id, kind, title="", error=error)
        if isinstance(raw_title, str) and raw_title.strip():
            title = raw_title.strip()
        elif isinstance(raw_title, (int, float)) and not isinstance(raw_title, bool):
            title = str(raw_title)
        else:
            title = external_id
        return Record(external_id=external_id, kind=kind, title=title, fields=fields)
