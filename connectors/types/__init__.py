"""Built-in connector types. Importing this package registers them."""

from . import sample  # noqa: F401
