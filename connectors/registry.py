"""The one registry of connector types. Adding a type touches no other app:
define a ``ConnectorType`` subclass and decorate it with ``register``."""

from django.utils.translation import gettext_lazy as _

from .types.base import ConnectorType

__all__ = ["get_type", "register", "type_choices", "types"]

_types: dict[str, type[ConnectorType]] = {}


def register(cls: type[ConnectorType]) -> type[ConnectorType]:
    slug = cls.slug
    existing = _types.get(slug)
    if existing is not None and existing is not cls:
        raise ValueError(f"Connector type {slug!r} is already registered.")
    _types[slug] = cls
    return cls


def unregister(slug: str) -> None:
    _types.pop(slug, None)


def types() -> dict[str, type[ConnectorType]]:
    return dict(_types)


def get_type(slug: str) -> type[ConnectorType]:
    try:
        return _types[slug]
    except KeyError:
        raise LookupError(
            _("Unknown connector type “%(type)s”.") % {"type": slug}
        ) from None


def type_choices():
    return sorted(
        ((slug, cls.label) for slug, cls in _types.items()), key=lambda c: str(c[1])
    )
