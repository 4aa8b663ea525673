from .server import running_tryton, tryton_server  # noqa: F401  (the fixtures)
