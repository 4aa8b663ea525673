"""The baseline server: the same JSON bytes, from memory, as a bare WSGI app
(the file named by ``BENCH_PAYLOAD``)."""

import os
from pathlib import Path

PAYLOAD = Path(os.environ.get("BENCH_PAYLOAD", "/dev/null")).read_bytes()
HEADERS = [
    ("Content-Type", "application/json"),
    ("Content-Length", str(len(PAYLOAD))),
]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [PAYLOAD]
