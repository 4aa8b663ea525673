"""The catalogue of connector types, read from the Wagtail hook
``baton_connector_types`` (``cms.hooks.CONNECTOR_TYPES``): each function
registered there returns an iterable of ``ConnectorType`` subclasses.
``connectors/wagtail_hooks.py`` registers the built-in types; another app adds
its own the same way, in its own ``wagtail_hooks.py``. Nothing is cached here,
so a type registered for a test is known at once and gone once unregistered."""

from contextlib import ExitStack

from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from cms.hooks import CONNECTOR_TYPES

from .sdk.base import ConnectorType

__all__ = ["get_type", "register", "type_choices", "types", "unregister"]

# Types added with ``register`` (tests, and types not yet listed in a hook):
# slug -> (class, the stack that removes its temporary hook).
_registered: dict[str, tuple[type[ConnectorType], ExitStack]] = {}


def register(cls: type[ConnectorType]) -> type[ConnectorType]:
    """Add one type (usable as a class decorator). Registering the same class
    again changes nothing; another class under a registered slug is refused."""
    existing = _registered.get(cls.slug)
    if existing is not None:
        if existing[0] is not cls:
            raise ValueError(f"Connector type {cls.slug!r} is already registered.")
        return cls
    stack = ExitStack()
    stack.enter_context(hooks.register_temporarily(CONNECTOR_TYPES, lambda: [cls]))
    _registered[cls.slug] = (cls, stack)
    return cls


def unregister(slug: str) -> None:
    """Remove a type added with ``register`` (types a hook lists stay)."""
    existing = _registered.pop(slug, None)
    if existing is not None:
        existing[1].close()


def types() -> dict[str, type[ConnectorType]]:
    """Every installed type by slug, in hook order."""
    found: dict[str, type[ConnectorType]] = {}
    for hook in hooks.get_hooks(CONNECTOR_TYPES):
        for cls in hook():
            if found.setdefault(cls.slug, cls) is not cls:
                raise ValueError(f"Connector type {cls.slug!r} is already registered.")
    return found


def get_type(slug: str) -> type[ConnectorType]:
    try:
        return types()[slug]
    except KeyError:
        raise LookupError(
            _("Unknown connector type “%(type)s”.") % {"type": slug}
        ) from None


def type_choices():
    return sorted(
        ((slug, cls.label) for slug, cls in types().items()), key=lambda c: str(c[1])
    )
