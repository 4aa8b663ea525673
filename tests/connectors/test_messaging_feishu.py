"""Feishu notifications against the fake open platform: an interactive card
to the person's id, found by e-mail once and cached; unknown people, refusals,
limits and a revoked token."""

import pytest

from cms.notifications.channels import ChannelError, NoAddress
from connectors.models import MessagingAddress

from .fake_feishu import APP_SECRET, FakeFeishu
from .messaging_support import LINES, LINK, channel, message, person, sender

pytestmark = pytest.mark.django_db


@pytest.fixture
def feishu(httpserver):
    fake = FakeFeishu(httpserver).install()
    fake.users = {"sales@baton.example": "ou_sales", "manager@baton.example": "ou_mgr"}
    return fake


@pytest.fixture
def config(feishu):
    return sender("feishu", feishu.settings(), feishu.secrets())


def test_a_card_arrives_with_title_lines_and_button(feishu, config):
    sent_id = channel("feishu").send(message(person()))

    (sent,) = feishu.messages
    assert sent["receive_id_type"] == "open_id"
    assert sent["receive_id"] == "ou_sales"
    assert sent["msg_type"] == "interactive"
    card = sent["content"]
    assert card["header"]["title"]["content"] == "Baton: 2 things need you"
    texts = [block["text"]["content"] for block in card["elements"] if "text" in block]
    assert texts == list(LINES)
    (button,) = card["elements"][-1]["actions"]
    assert (button["text"]["content"], button["url"]) == ("Open", LINK)
    assert sent_id.startswith("om_")


def test_the_connectors_user_id_type_is_used(feishu):
    sender("feishu", feishu.settings(user_id_type="user_id"), feishu.secrets())

    channel("feishu").send(message(person()))

    (lookup,) = feishu.requests_to("/open-apis/contact/v3/users/batch_get_id")
    assert lookup.args["user_id_type"] == "user_id"
    assert feishu.messages[0]["receive_id_type"] == "user_id"


def test_the_address_is_looked_up_once(feishu, config):
    user = person()
    channel("feishu").send(message(user))
    channel("feishu").send(message(user, subject="Again"))

    assert len(feishu.requests_to("/open-apis/contact/v3/users/batch_get_id")) == 1
    assert [sent["receive_id"] for sent in feishu.messages] == ["ou_sales"] * 2
    assert MessagingAddress.objects.get(user=user).address == "ou_sales"


def test_nobody_with_the_email_is_no_address(feishu, config):
    user = person("stranger", "stranger@baton.example")

    with pytest.raises(NoAddress) as caught:
        channel("feishu").send(message(user))

    assert str(caught.value.message) == (
        "Baton found no Feishu user with the e-mail stranger@baton.example."
    )
    assert not caught.value.retryable
    assert feishu.messages == []


def test_a_person_the_bot_cannot_reach_drops_the_cached_id(feishu, config):
    user = person()
    channel("feishu").send(message(user))
    feishu.users.pop("sales@baton.example")  # left the company

    with pytest.raises(NoAddress):
        channel("feishu").send(message(user))

    assert not MessagingAddress.objects.filter(user=user).exists()


def test_a_revoked_token_is_renewed(feishu, config):
    user = person()
    channel("feishu").send(message(user))
    feishu.revoked.update(feishu.tokens)

    channel("feishu").send(message(user))

    assert len(feishu.tokens) == 2
    assert len(feishu.messages) == 2


def test_a_rate_limit_is_retryable(feishu, config):
    feishu.message_error = (400, 99991400, "request trigger frequency limit")

    with pytest.raises(ChannelError) as caught:
        channel("feishu").send(message(person()))

    assert caught.value.retryable
    assert "99991400" in str(caught.value.message)


def test_a_refusal_is_not_retried_and_hides_the_secret(feishu, config):
    feishu.message_error = (400, 230099, f"card invalid near {APP_SECRET}")

    with pytest.raises(ChannelError) as caught:
        channel("feishu").send(message(person()))

    assert not caught.value.retryable
    assert "230099" in str(caught.value.message)
    assert APP_SECRET not in str(caught.value.message)


def test_an_outage_is_retryable(feishu, config):
    feishu.message_error = (503, 1, "service unavailable")

    with pytest.raises(ChannelError) as caught:
        channel("feishu").send(message(person()))

    assert caught.value.retryable


def test_an_app_without_the_bot_permission_says_what_it_needs(feishu, config):
    feishu.message_error = (400, 99991672, "Access denied. scope im:message")

    with pytest.raises(ChannelError) as caught:
        channel("feishu").send(message(person()))

    assert not caught.value.retryable
    assert "may not send messages (code 99991672" in str(caught.value.message)


def test_the_same_message_sent_again_posts_no_second_card(feishu, config):
    # A retry: the same notifications, told again after a worker died.
    user = person()
    first = channel("feishu").send(message(user, key="notify:41-43-3"))
    again = channel("feishu").send(message(user, key="notify:41-43-3"))

    (sent,) = feishu.messages
    assert again == first
    assert sent["receive_id"] == "ou_sales"
    assert 0 < len(sent["uuid"]) <= 50


def test_other_notifications_and_other_people_get_their_own_cards(feishu, config):
    sales, manager = person(), person("manager", "manager@baton.example")

    channel("feishu").send(message(sales, key="notify:41-43-3"))
    channel("feishu").send(message(sales, key="notify:44-44-1"))
    channel("feishu").send(message(manager, key="notify:41-43-3"))
    # Without a key nothing is deduplicated.
    channel("feishu").send(message(sales))
    channel("feishu").send(message(sales))

    assert [sent["receive_id"] for sent in feishu.messages] == [
        "ou_sales",
        "ou_sales",
        "ou_mgr",
        "ou_sales",
        "ou_sales",
    ]
    uuids = [sent["uuid"] for sent in feishu.messages]
    assert len(set(uuids[:3])) == 3
    assert uuids[3:] == [None, None]
