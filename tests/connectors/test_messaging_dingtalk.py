"""DingTalk work notifications against the fake: an action card to the
person's user id (found by name, confirmed by e-mail, cached), the agent id,
unknown people, busy and refusing answers, a revoked token, and the send's
result read after: whom DingTalk did not reach, and why."""

import pytest

from cms.models import Employee
from cms.notifications.channels import ChannelError, NoAddress
from cms.notifications.delivery import deliver
from connectors.messaging.dingtalk import DingTalkChannel
from connectors.models import MessagingAddress

from .fake_dingtalk import AGENT_ID, APP_SECRET, FakeDingTalk
from .messaging_support import LINES, LINK, channel, message, person, sender

pytestmark = pytest.mark.django_db
SEARCH = "/v1.0/contact/users/search"
RESULT = "/topapi/message/corpconversation/getsendresult"


@pytest.fixture
def dingtalk(httpserver):
    fake = FakeDingTalk(httpserver).install()
    fake.users = [
        {
            "userid": "old-sam",
            "name": "Sam Sales",
            "email": "sam@elsewhere.example",
            "org_email": "",
            "job_number": "E0042",
        },
        {
            "userid": "0431281562",
            "name": "Sam Sales",
            "email": "",
            "org_email": "sales@baton.example",
            "job_number": "E1001",
        },
    ]
    return fake


@pytest.fixture
def config(dingtalk):
    return sender(
        "dingtalk", dingtalk.settings(agent_id=str(AGENT_ID)), dingtalk.secrets()
    )


def test_a_work_notification_arrives_as_an_action_card(dingtalk, config):
    task_id = channel("dingtalk").send(message(person()))

    (sent,) = dingtalk.messages
    assert sent["agent_id"] == AGENT_ID
    assert sent["userid_list"] == "0431281562"
    card = sent["msg"]["action_card"]
    assert sent["msg"]["msgtype"] == "action_card"
    assert card["title"] == "Baton: 2 things need you"
    assert all(line in card["markdown"] for line in LINES)
    assert (card["single_title"], card["single_url"]) == ("Open", LINK)
    assert task_id.isdigit()


def test_the_user_id_is_found_once(dingtalk, config):
    user = person()
    channel("dingtalk").send(message(user))
    channel("dingtalk").send(message(user))

    assert len(dingtalk.requests_to(SEARCH)) == 1
    assert len(dingtalk.messages) == 2


def test_nobody_with_the_email_is_no_address(dingtalk, config):
    user = person("sam2", "sam.sales@baton.example")

    with pytest.raises(NoAddress) as caught:
        channel("dingtalk").send(message(user))

    assert str(caught.value.message) == (
        "Baton found no DingTalk user with the e-mail sam.sales@baton.example."
    )
    assert dingtalk.messages == []


def test_busy_dingtalk_is_retryable(dingtalk, config):
    dingtalk.message_error = (-1, "系统繁忙")

    with pytest.raises(ChannelError) as caught:
        channel("dingtalk").send(message(person()))

    assert caught.value.retryable


def test_a_wrong_agent_id_is_refused_for_good(dingtalk):
    sender("dingtalk", dingtalk.settings(agent_id="123"), dingtalk.secrets())

    with pytest.raises(ChannelError) as caught:
        channel("dingtalk").send(message(person()))

    assert not caught.value.retryable
    assert "40056" in str(caught.value.message)


def test_without_an_agent_id_the_admin_is_told(dingtalk):
    sender("dingtalk", dingtalk.settings(), dingtalk.secrets())

    with pytest.raises(ChannelError) as caught:
        channel("dingtalk").send(message(person()))

    assert not caught.value.retryable
    assert "agent ID" in str(caught.value.message)


def test_a_revoked_token_is_renewed(dingtalk, config):
    user = person()
    channel("dingtalk").send(message(user))
    dingtalk.revoked.update(dingtalk.tokens)

    channel("dingtalk").send(message(user))

    assert len(dingtalk.tokens) == 2
    assert len(dingtalk.messages) == 2


def test_errors_never_quote_the_secret(dingtalk, config):
    dingtalk.message_error = (33001, f"bad request {APP_SECRET}")

    with pytest.raises(ChannelError) as caught:
        channel("dingtalk").send(message(person()))

    assert APP_SECRET not in str(caught.value.message)
    assert "33001" in str(caught.value.message)


def test_the_employee_records_name_is_searched(dingtalk, config):
    dingtalk.users.append(
        {
            "userid": "wangli01",
            "name": "王丽",
            "email": "",
            "org_email": "wang.li@baton.example",
            "job_number": "E2001",
        }
    )
    # Her account's name is in pinyin; the employee record spells it as DingTalk.
    user = person("wangli", "wang.li@baton.example", "Li", "Wang")
    Employee.objects.create(user=user, name="王丽", employee_number="E2001")

    channel("dingtalk").send(message(user))

    assert dingtalk.messages[0]["userid_list"] == "wangli01"


def test_an_unexpected_failure_is_a_channel_error(dingtalk, config, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(DingTalkChannel, "deliver", broken)

    with pytest.raises(ChannelError) as caught:
        channel("dingtalk").send(message(person()))

    assert "internal error" in str(caught.value.message)


# What DingTalk reports after the send (getsendresult) -----------------------------


def test_the_result_is_read_once_after_the_send(dingtalk, config):
    task_id = channel("dingtalk").send(message(person()))

    (read,) = dingtalk.requests_to(RESULT)
    assert read.get_json() == {"agent_id": AGENT_ID, "task_id": int(task_id)}
    assert dingtalk.delivered == [("0431281562", dingtalk.messages[0]["msg"])]


def test_a_user_id_dingtalk_no_longer_knows_is_no_address(dingtalk, config):
    user = person()
    channel("dingtalk").send(message(user))
    dingtalk.users.pop()  # left: the cached user ID is stale

    with pytest.raises(NoAddress) as caught:
        channel("dingtalk").send(message(user, subject="Again"))

    assert str(caught.value.message) == (
        "DingTalk no longer knows the user ID 0431281562: the person may have left."
    )
    assert not MessagingAddress.objects.filter(user=user).exists()


@pytest.mark.parametrize(
    ("outcome", "reason", "retryable"),
    [
        (
            "143105",
            "DingTalk held the work notification back: the app reached its daily "
            "limit of messages to this person.",
            False,
        ),
        (
            "143104",
            "DingTalk held the work notification back: too many messages per minute.",
            True,
        ),
        (
            "1430004",
            "DingTalk held the work notification back (code 1430004).",
            False,
        ),
        (
            "failed",
            "DingTalk accepted the work notification but could not deliver it.",
            True,
        ),
    ],
)
def test_a_person_dingtalk_did_not_reach_is_a_failed_send(
    dingtalk, config, outcome, reason, retryable
):
    dingtalk.outcomes["0431281562"] = outcome

    with pytest.raises(ChannelError) as caught:
        channel("dingtalk").send(message(person()))

    assert str(caught.value.message) == reason
    assert caught.value.retryable is retryable
    assert len(dingtalk.messages) == 1
    assert dingtalk.delivered == []


def test_the_same_card_again_the_same_day_counts_as_sent(dingtalk, config):
    # DingTalk has no dedupe id; it holds back the same content to the same
    # person within a day (code 143106): a retry finds the card there already.
    user = person()
    first = channel("dingtalk").send(message(user, key="notify:41-43-3"))
    again = channel("dingtalk").send(message(user, key="notify:41-43-3"))

    assert first != again
    assert len(dingtalk.messages) == 2
    assert len(dingtalk.delivered) == 1


def test_a_result_not_ready_yet_counts_as_sent(dingtalk, config):
    dingtalk.results_ready = False

    task_id = channel("dingtalk").send(message(person()))

    assert task_id.isdigit()
    assert len(dingtalk.requests_to(RESULT)) == 1


def test_a_result_dingtalk_cannot_give_counts_as_sent(dingtalk, config, caplog):
    dingtalk.result_error = (-1, "系统繁忙")

    task_id = channel("dingtalk").send(message(person()))

    assert task_id.isdigit()
    assert "counted as sent" in caplog.text


def test_a_delivery_dingtalk_refused_goes_by_email_with_the_reason(
    dingtalk, config, mailoutbox
):
    dingtalk.outcomes["0431281562"] = "failed"
    user = person()

    outcome = deliver(message(user, key="notify:7-7-1"), channel_key="dingtalk")

    reason = "DingTalk accepted the work notification but could not deliver it."
    assert [(row.channel, row.state, row.error) for row in outcome.deliveries] == [
        ("dingtalk", "failed", reason),
        ("email", "fallback", reason),
    ]
    (mail,) = mailoutbox
    assert mail.to == ["sales@baton.example"]
    assert mail.subject == "Baton: 2 things need you"
