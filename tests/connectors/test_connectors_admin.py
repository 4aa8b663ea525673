"""Connectors in the Wagtail admin: HR / IT configure them, secrets never come
back, the connection can be tested, and the sync log is listed."""

import pytest
from django.urls import reverse

from connectors.models import ConnectorConfig
from tests.connectors.helpers import admin_user
from tests.fixtures.handovers import PASSWORD

pytestmark = pytest.mark.django_db

ADD_URL = "wagtailsnippets_connectors_connectorconfig:add"
EDIT_URL = "wagtailsnippets_connectors_connectorconfig:edit"
INDEX_URL = "wagtailsnippets_connectors_connectorconfig:list"


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def form_data(**overrides):
    data = {
        "name": "Directory",
        "slug": "directory",
        "type": "sample",
        "enabled": "on",
        "match_by": "email",
        "sync_interval_minutes": "30",
        "settings": '{"records": {}}',
        "secret_webhook_secret": "",
    }
    data.update(overrides)
    return data


def test_it_adds_a_connector_and_the_secret_is_never_shown_back(client, people):
    login(client, people["it"])

    response = client.post(
        reverse(ADD_URL), form_data(secret_webhook_secret="hook-secret-987")
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    connector = ConnectorConfig.objects.get(slug="directory")
    assert connector.get_secrets() == {"webhook_secret": "hook-secret-987"}
    page = client.get(reverse(EDIT_URL, args=[connector.pk])).content.decode()
    assert "hook-secret-987" not in page
    assert "A value is stored; leave empty to keep it." in page


def test_saving_with_an_empty_secret_field_keeps_the_stored_secret(client, people):
    login(client, people["hr"])
    client.post(reverse(ADD_URL), form_data(secret_webhook_secret="keep-me"))
    connector = ConnectorConfig.objects.get(slug="directory")

    response = client.post(
        reverse(EDIT_URL, args=[connector.pk]), form_data(name="Directory (EU)")
    )

    assert response.status_code == 302
    connector.refresh_from_db()
    assert connector.name == "Directory (EU)"
    assert connector.get_secrets() == {"webhook_secret": "keep-me"}


def test_bad_settings_show_an_error_and_save_nothing(client, people):
    login(client, people["hr"])

    response = client.post(
        reverse(ADD_URL),
        form_data(settings='{"records": "everyone"}', secret_token="abc"),
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "The setting “records” must be of type object." in page
    assert "has no such secret" in page
    assert not ConnectorConfig.objects.filter(slug="directory").exists()


def test_other_people_do_not_reach_connectors(client, people):
    login(client, admin_user(people["manager"]))

    response = client.get(reverse(INDEX_URL), follow=True)

    assert b"Sorry, you do not have permission to access this area." in (
        response.content
    )
    assert b"CRM (sample)" not in response.content


def test_test_connection_page(client, people):
    login(client, people["it"])
    crm = ConnectorConfig.objects.get(slug="crm")
    url = reverse("connectors_test", args=[crm.pk])

    assert "not been tested yet" in client.get(url).content.decode()
    response = client.post(url, follow=True)

    assert "2 sample record(s) for 1 employee(s)." in response.content.decode()
    crm.refresh_from_db()
    assert crm.last_test_ok is True


def test_the_sync_log_lists_runs_with_filters(client, people, started):
    login(client, people["hr"])
    crm = ConnectorConfig.objects.get(slug="crm")

    page = client.get(
        reverse("sync_runs:index") + f"?connector={crm.pk}&state=ok"
    ).content.decode()

    assert started.number in page
    assert "Handover started" in page
    empty = client.get(reverse("sync_runs:index") + "?state=failed").content.decode()
    assert started.number not in empty


def test_a_template_block_must_name_a_configured_connector(people):
    from django.core.exceptions import ValidationError

    from checklist_blocks.registry import get_kind

    block = get_kind("connector_list").block
    value = block.to_python(
        {"label": "Deals", "connector": "nope", "record_kind": "deal"}
    )

    with pytest.raises(ValidationError) as raised:
        block.clean(value)

    known = ", ".join(sorted(ConnectorConfig.objects.values_list("slug", flat=True)))
    assert f'There is no connector "nope". Known connectors: {known}.' in str(
        raised.value.block_errors["connector"]
    )
    block.clean(
        block.to_python({"label": "Deals", "connector": "crm", "record_kind": "deal"})
    )
