"""From a sheet's rows to records: each row's cells converted to the item
property its column fills (``cells``), an id for each row, and a reason for
every row that cannot be imported ("Row 12: …"). Rows stream through: a
50,000-row file is never held as records all at once."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext, ngettext

from checklist_blocks.blocks.spec import Choice
from cms.errors import InvalidInput

from ..sdk.base import Record
from .cells import BadValue, choice_lookup, convert_cell
from .files import Table
from .properties import (
    TITLE_PROPERTIES,
    item_properties,
    list_group,
    target_kind,
)

__all__ = [
    "MAX_EXTERNAL_ID_LENGTH",
    "records_from_rows",
    "rows_to_records",
    "validate_mapping",
]

MAX_EXTERNAL_ID_LENGTH = 200


def _split_many(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[\n;\uff1b]+", text) if part.strip()]


def _set_path(data: dict, path: str, value) -> None:
    head, _dot, rest = path.partition(".")
    if rest:
        _set_path(data.setdefault(head, {}), rest, value)
    else:
        data[head] = value


def _validate_mapping(columns, mapping, properties, target, id_column):
    by_path = {prop.path: prop for prop in properties}
    errors = []
    cleaned = {}
    for path, column in (mapping or {}).items():
        if not column:
            continue
        if path not in by_path:
            errors.append(
                gettext("“%(property)s” is not a property of this kind of item.")
                % {"property": path}
            )
        elif column not in columns:
            errors.append(
                gettext("The file has no column “%(column)s”.") % {"column": column}
            )
        else:
            cleaned[path] = column
    if id_column and id_column not in columns:
        errors.append(
            gettext("The file has no column “%(column)s”.") % {"column": id_column}
        )
    if not errors and not cleaned:
        errors.append(gettext("Choose at least one column to import."))
    titles = [path for path in TITLE_PROPERTIES[target] if path in by_path]
    if not errors and not any(path in cleaned for path in titles):
        errors.append(
            gettext("Choose the column for %(properties)s: it names each item.")
            % {"properties": _or_list([by_path[path].label for path in titles])}
        )
    if errors:
        raise InvalidInput(errors[0], fields={"mapping": errors})
    return cleaned


def _or_list(labels) -> str:
    labels = [str(label) for label in labels]
    if len(labels) == 1:
        return labels[0]
    return gettext("%(some)s or %(last)s") % {
        "some": ", ".join(labels[:-1]),
        "last": labels[-1],
    }


def _and_list(labels) -> str:
    labels = [str(label) for label in labels]
    if len(labels) == 1:
        return labels[0]
    return gettext("%(some)s and %(last)s") % {
        "some": ", ".join(labels[:-1]),
        "last": labels[-1],
    }


def _row_error(number: int, reason: str) -> str:
    return gettext("Row %(row)d: %(reason)s") % {"row": number, "reason": reason}


def rows_to_records(
    table: Table,
    mapping: dict[str, str],
    *,
    record_kind: str,
    id_column: str | None = None,
    namespace: str = "",
) -> list[Record]:
    """One ``Record`` per row of ``table`` (see ``records_from_rows``)."""
    rows = (
        (number, [row.get(column, "") for column in table.columns])
        for number, row in zip(table.row_numbers, table.rows, strict=True)
    )
    return list(
        records_from_rows(
            rows,
            columns=table.columns,
            mapping=mapping,
            record_kind=record_kind,
            id_column=id_column,
            namespace=namespace,
        )
    )


def validate_mapping(
    *, columns: list[str], mapping: dict[str, str], record_kind: str, id_column=None
) -> dict[str, str]:
    """``mapping`` ({item property -> column}) without its empty choices, or
    ``InvalidInput`` under ``fields["mapping"]`` naming what is wrong."""
    target = target_kind(record_kind)
    return _validate_mapping(
        columns, mapping, item_properties(target), target, id_column
    )


def records_from_rows(
    rows: Iterable[tuple[int, list[str]]],
    *,
    columns: list[str],
    mapping: dict[str, str],
    record_kind: str,
    id_column: str | None = None,
    namespace: str = "",
) -> Iterator[Record]:
    """One ``Record`` per ``(row number, [value per column])``, lazily.
    ``mapping`` is {item property -> column}; it is checked at once (raising
    ``InvalidInput``), before the first row is read.

    The record's ``fields`` hold the item data the row fills (nested by the
    dotted property paths); ``title`` names the item. ``external_id`` is the id
    column's value when one is chosen, otherwise a hash of the mapped values, so
    uploading the same file again changes nothing. ``namespace`` (e.g. the block
    id) keeps ids of different lists apart. A row with a missing title or a
    value that does not fit is returned with ``error`` set ("Row 12: …").
    """
    mapping = validate_mapping(
        columns=columns, mapping=mapping, record_kind=record_kind, id_column=id_column
    )
    return _records(
        rows,
        columns=columns,
        mapping=mapping,
        record_kind=record_kind,
        id_column=id_column,
        namespace=namespace,
    )


def _records(rows, *, columns, mapping, record_kind, id_column, namespace):
    target = target_kind(record_kind)
    properties = item_properties(target)
    by_path = {prop.path: prop for prop in properties}
    index_of = {column: index for index, column in enumerate(columns)}
    lookups = {
        prop.path: choice_lookup(prop.spec)
        for prop in properties
        if prop.path in mapping and isinstance(prop.spec, Choice)
    }
    titles = [path for path in TITLE_PROPERTIES[target] if path in mapping]
    ordered = [prop for prop in properties if prop.path in mapping]
    sources = [(path, index_of[column]) for path, column in mapping.items()]
    id_index = index_of[id_column] if id_column else None
    prefix = f"{namespace}:" if namespace else ""
    # Row numbers by id: a repeated row is reported with the row it repeats.
    # 50,000 ids fit easily; the records themselves are never kept.
    first_row_of: dict[str, int] = {}
    for number, values in rows:
        width = len(values)
        texts = {
            path: (values[index] if index < width else "").strip()
            for path, index in sources
        }
        problems = []
        data: dict = {}
        lists: dict[str, dict] = {}
        for prop in ordered:
            text = texts[prop.path]
            if not text:
                continue
            try:
                if prop.many:
                    value = [
                        convert_cell(prop, part, lookups) for part in _split_many(text)
                    ]
                else:
                    value = convert_cell(prop, text, lookups)
            except BadValue as bad:
                problems.append(str(bad))
                continue
            if prop.list_name:
                lists.setdefault(prop.list_name, {})[prop.name] = value
            else:
                _set_path(data, prop.path, value)
        for list_name, entry in lists.items():
            missing = [
                by_path[f"{list_name}.{child.name}"].label
                for child in list_group(target, list_name).fields
                if child.required and not entry.get(child.name)
            ]
            if missing:
                problems.append(
                    ngettext(
                        "%(properties)s is empty",
                        "%(properties)s are empty",
                        len(missing),
                    )
                    % {"properties": _and_list(missing)}
                )
            else:
                data[list_name] = [entry]
        title_values = [texts[path] for path in titles if texts[path]]
        if not title_values:
            problems.insert(
                0,
                ngettext(
                    "%(properties)s is empty",
                    "%(properties)s are empty",
                    len(titles),
                )
                % {"properties": _and_list([by_path[path].label for path in titles])},
            )
        external_id = ""
        raw_id = ""
        if id_index is not None:
            raw_id = (values[id_index] if id_index < width else "").strip()
            if not raw_id:
                problems.append(
                    gettext("the id column “%(column)s” is empty")
                    % {"column": id_column}
                )
            elif len(raw_id) > MAX_EXTERNAL_ID_LENGTH:
                problems.append(
                    gettext(
                        "the id in “%(column)s” is longer than %(count)d characters"
                    )
                    % {"column": id_column, "count": MAX_EXTERNAL_ID_LENGTH}
                )
            else:
                external_id = prefix + raw_id
        elif not problems:
            digest = hashlib.sha256(
                json.dumps(
                    {"kind": record_kind, "data": data},
                    sort_keys=True,
                    ensure_ascii=False,
                ).encode()
            ).hexdigest()
            external_id = f"{prefix}row-{digest[:32]}"
        earlier = first_row_of.get(external_id) if external_id else None
        if earlier is not None:
            if id_index is not None:
                problems.append(
                    gettext("the id “%(id)s” is already used in row %(row)d")
                    % {"id": raw_id, "row": earlier}
                )
            else:
                problems.append(gettext("the same as row %(row)d") % {"row": earlier})
            # Never report a repeat under the id of the row it repeats.
            external_id = ""
        elif external_id and not problems:
            first_row_of[external_id] = number
        if problems:
            yield Record(
                external_id=external_id or f"{prefix}row:{number}",
                kind=record_kind,
                title="",
                fields={},
                error=_row_error(number, "; ".join(problems)),
            )
            continue
        title = " · ".join(title_values)
        if len(title) > 255:
            title = title[:254] + "…"
        yield Record(
            external_id=external_id, kind=record_kind, title=title, fields=data
        )
