"""A signed webhook request is accepted once, whatever happens in between: a
restart (the process cache is gone) or a second worker receiving it too."""

import datetime
import threading
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from connectors.api.webhooks import webhook_signature
from connectors.models import ConnectorConfig, WebhookDelivery
from connectors.tasks import webhook_deliveries_purge_task

SECRET = "whsec-replay-0123456789"


def _hooked_connector() -> ConnectorConfig:
    connector = ConnectorConfig(
        type="sample", name="Hooked", slug="hooked", settings={"records": {}}
    )
    connector.set_secrets({"webhook_secret": SECRET})
    connector.save()
    return connector


def _signed(body: bytes, *, timestamp: int | None = None) -> dict:
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "HTTP_X_BATON_TIMESTAMP": timestamp,
        "HTTP_X_BATON_SIGNATURE": webhook_signature(SECRET, timestamp, body),
    }


def _post(body: bytes, headers: dict):
    return APIClient().post(
        "/api/v1/hooks/hooked/", body, content_type="application/json", **headers
    )


@pytest.mark.django_db
def test_a_replay_after_a_restart_is_still_refused():
    _hooked_connector()
    body = b'{"event": "changed"}'
    headers = _signed(body)

    first = _post(body, headers)
    cache.clear()  # what a restart (or another worker's local cache) looks like
    replayed = _post(body, headers)

    assert first.status_code == 202
    assert replayed.status_code == 401
    assert replayed.json()["detail"] == "This request was already received."


@pytest.mark.django_db
def test_a_new_request_with_the_same_body_is_accepted():
    _hooked_connector()
    body = b'{"event": "changed"}'

    first = _post(body, _signed(body, timestamp=int(time.time()) - 1))
    second = _post(body, _signed(body))

    assert (first.status_code, second.status_code) == (202, 202)


@pytest.mark.django_db
def test_the_hourly_purge_forgets_only_requests_too_old_to_replay():
    _hooked_connector()
    old_body, fresh_body = b'{"event": "old"}', b'{"event": "fresh"}'
    sent_long_ago = int(time.time()) - 250
    old_headers = _signed(old_body, timestamp=sent_long_ago)
    assert _post(old_body, old_headers).status_code == 202
    assert _post(fresh_body, _signed(fresh_body)).status_code == 202

    WebhookDelivery.objects.filter(
        expires_at__lt=timezone.now() + datetime.timedelta(seconds=100)
    ).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    purged = webhook_deliveries_purge_task.call_local()

    assert purged == 1
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="Two workers need two connections to one database (PostgreSQL).",
)
def test_two_workers_receiving_the_same_request_accept_it_once():
    _hooked_connector()
    body = b'{"event": "changed"}'
    headers = _signed(body)
    start = threading.Barrier(2)
    statuses = []

    def worker():
        try:
            start.wait()
            statuses.append(_post(body, headers).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [202, 401]
    assert WebhookDelivery.objects.count() == 1
