"""Built-in connector types. Importing this package registers them."""

from . import ldap, rest, sample, scim, spreadsheet  # noqa: F401
