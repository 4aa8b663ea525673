"""Vendor payloads parsed into typed models (pydantic) instead of coerced by
hand: a type declares what it reads from an answer once, and every field
arrives with the type it was declared with or a clear error.

``Text`` is the field type for upstream scalars shown to people: ``None``,
booleans, objects and lists become "", anything else trimmed text. ``Payload``
ignores fields it does not declare (vendors add fields all the time).

    class Repo(Payload):
        full_name: Text
        html_url: Text = ""
        permissions: dict[str, bool] = {}

    repo = parse(Repo, answer, system=self.host)
    for repo in parse_each(Repo, entries): ...
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Annotated, TypeVar

from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from .base import ConnectorError
from .common import clean_text, unreadable

__all__ = ["Payload", "Text", "TextList", "parse", "parse_each", "records_from"]

Text = Annotated[str, BeforeValidator(clean_text)]


def _texts(value) -> list:
    if not isinstance(value, list):
        return []
    return [text for text in (clean_text(entry) for entry in value) if text]


TextList = Annotated[list[str], BeforeValidator(_texts)]

Item = TypeVar("Item")


def _object(value):
    return value if isinstance(value, dict) else {}


def _objects(value) -> list:
    if not isinstance(value, list):
        return []
    return [entry for entry in value if isinstance(entry, dict)]


# A nested object (``Nested[Status]``): anything but an object (``null``, a
# string) reads as an empty one, so a model whose fields all have defaults
# never fails because a vendor left it out.
Nested = Annotated[Item, BeforeValidator(_object)]
# A list of nested objects: entries that are not objects are left out, and
# anything but a list reads as an empty list.
NestedList = Annotated[list[Item], BeforeValidator(_objects)]

Model = TypeVar("Model", bound=BaseModel)


class Payload(BaseModel):
    """A vendor object as Baton reads it (extra fields ignored)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def _where(error: ValidationError) -> str:
    first = error.errors()[0] if error.errors() else {}
    return ".".join(str(part) for part in first.get("loc", ())) or "?"


def parse(model: type[Model], data, *, system: str) -> Model:
    """``data`` as ``model``; ``ConnectorError`` naming the first bad field when
    the answer does not have the declared shape."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as error:
        raise ConnectorError(
            _("%(system)s answered with data Baton cannot read (at “%(field)s”).")
            % {"system": system, "field": _where(error)}
        ) from None


def parse_each(model: type[Model], entries: Iterable) -> Iterator[Model]:
    """Each entry that has the declared shape; the others are left out (one
    odd entry never hides the rest of a list)."""
    for entry in entries:
        try:
            yield model.model_validate(entry)
        except ValidationError:
            continue


def records_from(model, entries: Iterable, build, *, kind: str, error) -> list:
    """``build(entry)`` for each entry of ``model``'s shape (a None result
    leaves it out). An entry without that shape becomes a record the engine
    skips and reports with ``error`` (its ``id`` when it has one): a listing
    never loses a record silently."""
    records = []
    for entry in entries:
        try:
            parsed = model.model_validate(entry)
        except ValidationError:
            found = entry.get("id") if isinstance(entry, dict) else None
            records.append(unreadable(kind, str(found or ""), error))
            continue
        record = build(parsed)
        if record is not None:
            records.append(record)
    return records
