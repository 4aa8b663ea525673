"""The API under schemathesis: generated requests, valid and invalid, for every
operation of ``/api/v1/schema/``, as each demo role and as nobody. No answer
is a server error, and every answer is one the schema documents: its status
code, its content type and the shape of its body.

Bounded and deterministic: a fixed number of examples per operation and role,
derandomized, so a failure shows up on every run. The demo data is seeded once
for the module inside a transaction rolled back at its end, and each request
runs in a savepoint rolled back after it: what one example writes never
changes what the next one sees, and nothing is left behind for other tests.

Nothing is excluded. Schemathesis' coverage phase (every boundary value of
every parameter, about 70 requests per operation) is off: for 66 operations
and six roles it takes several minutes; the fuzzing phase generates invalid
input too (negative mode), and tests/test_api_errors.py pins the boundaries
(ids out of range, nulls, oversized bodies) one by one.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cms.demo.seed import DEMO_PASSWORD, seed

# HR administrators see every handover and connector: they reach the most
# code, so they get the most examples.
HR_EXAMPLES = 12
# IT (connectors, access changes), the leaver's manager, the leaver, the
# successor; and no token at all.
OTHER_ROLES = ["it", "manager", "dev", "successor", None]
OTHER_EXAMPLES = 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class _Rollback(Exception):
    """Raised to undo what one generated request wrote."""


class _KeepConnection:
    """Django's WSGI handler closes the database connection after each
    request; the test's transaction lives on it, so (as Django's test client
    does) the handler is kept from closing it."""

    def __enter__(self):
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)

    def __exit__(self, *exc_info):
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


APP = get_wsgi_application()
# Serving the schema reads no table: it is loaded once, when tests are collected.
with _KeepConnection():
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", APP)
schema.config.phases.coverage.enabled = False


@pytest.fixture(scope="module")
def demo_tokens(django_db_setup, django_db_blocker):
    """The demo data, and an API token for each demo user from the API."""
    with django_db_blocker.unblock(), _KeepConnection(), transaction.atomic():
        seed()
        tokens = {}
        for username in ["hr", *filter(None, OTHER_ROLES)]:
            response = Client().post(
                "/api/v1/auth/token/",
                {"username": username, "password": DEMO_PASSWORD},
                content_type="application/json",
            )
            assert response.status_code == 200, response.content
            tokens[username] = response.json()["token"]
        yield tokens
        transaction.set_rollback(True)


def _headers(tokens, role) -> dict:
    return {"Authorization": f"Token {tokens[role]}"} if role else {}


@pytest.fixture
def hr_headers(demo_tokens):
    with _KeepConnection():
        yield _headers(demo_tokens, "hr")


@pytest.fixture(params=OTHER_ROLES, ids=lambda role: role or "anonymous")
def role_headers(request, demo_tokens):
    with _KeepConnection():
        yield _headers(demo_tokens, request.param)


def _call_and_validate(case, headers):
    try:
        with transaction.atomic():
            case.call_and_validate(headers=headers, checks=CHECKS)
            raise _Rollback
    except _Rollback:
        pass


def _bounded(max_examples):
    return settings(
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


@pytest.mark.django_db
@schema.parametrize()
@_bounded(HR_EXAMPLES)
def test_api_answers_hr_as_documented(case, hr_headers):
    _call_and_validate(case, hr_headers)


@pytest.mark.django_db
@pytest.mark.usefixtures("role_headers")
@schema.parametrize()
@_bounded(OTHER_EXAMPLES)
def test_api_answers_every_role_as_documented(case, role_headers):
    _call_and_validate(case, role_headers)
