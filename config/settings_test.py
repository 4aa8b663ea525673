"""Settings for the test suite: production settings (DEBUG off) on PostgreSQL,
with only what a test client needs changed."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "baton-tests-only-" + "x" * 40)
# One database per test process unless told otherwise, so parallel runs on one
# machine never drop each other's test database (`make test` names it).
os.environ.setdefault(
    "DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/baton_test_{os.getpid()}"
)
os.environ.setdefault(
    "BATON_VAR_DIR", str(Path(tempfile.gettempdir()) / "baton-test-var")
)
os.environ["SECURE_SSL_REDIRECT"] = "0"

from .settings import *  # noqa: F403
from .settings import HUEY

# Transactional tests empty the database between tests, audit tables included.
BATON_AUDIT_FLUSH_ALLOWED = True
# Fast hashing: the demo and factories create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tasks run in-process, unless a test starts a real consumer (HUEY_IMMEDIATE=0).
HUEY = {**HUEY, "immediate": os.environ.get("HUEY_IMMEDIATE", "1") != "0"}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The suite's fake upstream servers listen on loopback; tests of the outbound
# guard take this allowance away again.
BATON_CONNECTORS_ALLOW_PRIVATE_NETWORKS = ["127.0.0.0/8", "::1/128"]
# Sign-in lockout (django-axes) is off: the test client's login() calls
# authenticate() without a request, which axes refuses, and the demo users must
# never be locked out by unrelated tests. tests/test_auth_bruteforce.py turns it
# on with a small limit.
AXES_ENABLED = False
