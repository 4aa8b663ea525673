"""Every connector setting tells the admin what to enter: a label and a help
text under each box of the typed settings form."""

import lxml.html
import pytest
from django.urls import reverse

from connectors import registry
from tests.fixtures.handovers import PASSWORD

ADD_URL = "wagtailsnippets_connectors_connectorconfig:add"


def _field_text(page, name):
    """The label, help text and errors around the field called ``name``."""
    (element,) = page.xpath(f"//*[@name='{name}']")
    block = element.xpath("ancestor::*[contains(@class, 'w-panel__wrapper')][1]")[0]
    return " ".join(block.text_content().split())


@pytest.mark.parametrize("type_slug", sorted(registry.types()))
def test_every_setting_has_a_label_and_help_text(type_slug):
    connector_type = registry.get_type(type_slug)

    bare = [
        spec.name
        for spec in connector_type.settings
        if not str(spec.label).strip() or not str(spec.help_text).strip()
    ]

    assert bare == [], f"{type_slug}: settings without a label or help text"


@pytest.mark.django_db
def test_the_wecom_form_explains_its_secret_and_transfer_mode(client, people):
    assert client.login(username=people["it"].username, password=PASSWORD)

    response = client.get(f"{reverse(ADD_URL)}?type=wecom")

    assert response.status_code == 200
    page = lxml.html.fromstring(response.content.decode())
    secret = _field_text(page, "secret_secret")
    assert "Customer contact secret" in secret
    assert "under 客户联系 → API in the WeCom admin console" in secret
    transfer_mode = _field_text(page, "setting_transfer_mode")
    assert "may refuse within 24 hours" in transfer_mode
