"""The messenger channels as cms sees them: listed by the hook, available
only while a connector of their type is enabled and set up to send, and
printing to the console in the demo instead of calling the vendor."""

import pytest
from django.test import override_settings
from django.urls import reverse

from cms.notifications.channels import ChannelError, channels
from connectors.demo import seed_messengers
from connectors.models import ConnectorConfig
from tests.fixtures.handovers import PASSWORD

from .messaging_support import LINES, LINK, message, person, sender

pytestmark = pytest.mark.django_db
MESSENGERS = ("feishu", "dingtalk", "wecom")


def test_the_hook_lists_the_three_messengers():
    found = channels()

    assert [key for key in found if key in MESSENGERS] == list(MESSENGERS)
    assert {str(found[key].label) for key in MESSENGERS} == {
        "Feishu",
        "DingTalk",
        "WeCom",
    }


def test_a_messenger_is_available_only_when_set_up_to_send():
    feishu = channels()["feishu"]
    assert not feishu.available()

    config = sender("feishu", {"app_id": "cli_x"}, {"app_secret": "s"})
    assert feishu.available()
    assert not channels()["wecom"].available()

    config.settings["send_notifications"] = False
    config.save()
    assert not feishu.available()

    config.settings["send_notifications"] = True
    config.enabled = False
    config.save()
    assert not feishu.available()


def test_an_unavailable_messenger_refuses_to_send():
    with pytest.raises(ChannelError) as caught:
        channels()["dingtalk"].send(message(person()))

    assert not caught.value.retryable
    assert "DingTalk" in str(caught.value.message)


@pytest.mark.parametrize("key", MESSENGERS)
def test_the_console_setting_prints_instead_of_sending(key, capsys):
    # Unreachable addresses: a call to the vendor would fail the send.
    sender(key, {"base_url": "https://127.0.0.1:9", "agent_id": "1"}, {"secret": "s"})

    with override_settings(BATON_MESSAGING_CONSOLE=True):
        assert channels()[key].send(message(person())) == ""

    printed = capsys.readouterr().out
    assert "sales@baton.example" in printed
    assert "Baton: 2 things need you" in printed
    assert all(line in printed for line in LINES)
    assert LINK in printed


def test_the_demo_messengers_print_while_debugging(capsys):
    with override_settings(DEBUG=True):
        seed_messengers()
        user = person()
        for key in MESSENGERS:
            assert channels()[key].available()
            channels()[key].send(message(user))

    printed = capsys.readouterr().out
    assert printed.count("Baton: 2 things need you") == 3


def test_the_demo_messengers_do_not_print_in_production(capsys):
    with override_settings(DEBUG=True):
        seed_messengers()
    wecom = ConnectorConfig.objects.get(slug="wecom-demo")
    wecom.settings["base_url"] = "http://127.0.0.1:9"  # nothing listens
    wecom.save()

    with pytest.raises(ChannelError) as caught:
        # DEBUG off: the demo connector calls WeCom like any other.
        channels()["wecom"].send(message(person()))
    assert caught.value.retryable
    assert "Baton: 2 things need you" not in capsys.readouterr().out


def test_the_notifying_apps_secret_is_stored_like_other_secrets(client, people):
    assert client.login(username=people["it"].username, password=PASSWORD)
    response = client.post(
        reverse("wagtailsnippets_connectors_connectorconfig:add") + "?type=wecom",
        {
            "name": "WeCom",
            "slug": "wecom",
            "enabled": "on",
            "match_by": "email",
            "sync_interval_minutes": "0",
            "setting_corp_id": "ww1",
            "setting_transfer_mode": "on_job",
            "setting_send_notifications": "on",
            "setting_agent_id": "1000002",
            "secret_secret": "contact-s3cret",
            "secret_message_secret": "notify-s3cret",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    config = ConnectorConfig.objects.get(slug="wecom")
    assert config.get_secrets()["message_secret"] == "notify-s3cret"
    assert "notify-s3cret" not in config.secrets_ciphertext
    assert "notify-s3cret" not in str(config.settings)
    page = client.get(
        reverse("wagtailsnippets_connectors_connectorconfig:edit", args=[config.pk])
    ).content.decode()
    assert "notify-s3cret" not in page
    assert channels()["wecom"].available()
