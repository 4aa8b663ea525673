from .server import scim_server  # noqa: F401  (the session fixture)
