"""WeCom application messages against the fake: a textcard to the member's
user ID (found by e-mail, cached) from the notifying app (its agent id and
own secret), the 512-byte description, unknown people, refusals, an expired
token."""

import pytest

from cms.notifications.channels import ChannelError, NoAddress
from connectors.models import MessagingAddress

from .fake_wecom import AGENT_ID, APP_SECRET, SECRET, FakeWeCom
from .messaging_support import LINES, LINK, channel, message, person, sender

pytestmark = pytest.mark.django_db
BY_EMAIL = "/cgi-bin/user/get_userid_by_email"


@pytest.fixture
def wecom(httpserver):
    fake = FakeWeCom(httpserver).install()
    fake.members = {"SamSales": ("sales@baton.example", "")}
    fake.app_secrets = {APP_SECRET}
    return fake


@pytest.fixture
def config(wecom):
    return sender(
        "wecom",
        wecom.settings(agent_id=str(AGENT_ID)),
        {"secret": SECRET, "message_secret": APP_SECRET},
    )


def test_a_textcard_arrives_from_the_notifying_app(wecom, config):
    msgid = channel("wecom").send(message(person(), link_label="查看"))

    (sent,) = wecom.messages
    assert (sent["touser"], sent["agentid"], sent["msgtype"]) == (
        "SamSales",
        AGENT_ID,
        "textcard",
    )
    card = sent["textcard"]
    assert card["title"] == "Baton: 2 things need you"
    assert all(line in card["description"] for line in LINES)
    assert (card["url"], card["btntxt"]) == (LINK, "查看")
    assert msgid.startswith("msg")
    # The token came from the notifying app's secret, not the customer contact one.
    (token,) = wecom.requests_to("/cgi-bin/gettoken")
    assert token.args["corpsecret"] == APP_SECRET


def test_without_its_own_secret_the_connectors_secret_is_used(wecom):
    sender("wecom", wecom.settings(agent_id=str(AGENT_ID)), {"secret": SECRET})

    channel("wecom").send(message(person(), link_label="Open the handover"))

    (token,) = wecom.requests_to("/cgi-bin/gettoken")
    assert token.args["corpsecret"] == SECRET
    # An English button label longer than WeCom's 4 characters: WeCom's own.
    assert "btntxt" not in wecom.messages[0]["textcard"]


def test_many_lines_fit_in_512_bytes(wecom, config):
    lines = [f"交接事项 {number}: 等待您的确认" for number in range(40)]

    channel("wecom").send(message(person(), lines=lines))

    description = wecom.messages[0]["textcard"]["description"]
    assert len(description.encode()) <= 512
    # Whole lines while they fit, then how many more there are.
    shown = description.count('<div class="normal">')
    assert 0 < shown < 40
    assert description.endswith(f'<div class="gray">+{40 - shown}</div>')


def test_the_user_id_is_found_once(wecom, config):
    user = person()
    channel("wecom").send(message(user))
    channel("wecom").send(message(user))

    assert len(wecom.requests_to(BY_EMAIL)) == 1
    assert len(wecom.messages) == 2


def test_nobody_with_the_email_is_no_address(wecom, config):
    user = person("ghost", "ghost@baton.example")

    with pytest.raises(NoAddress) as caught:
        channel("wecom").send(message(user))

    assert str(caught.value.message) == (
        "Baton found no WeCom user with the e-mail ghost@baton.example."
    )
    assert wecom.messages == []


def test_a_member_who_left_drops_the_cached_id(wecom, config):
    user = person()
    channel("wecom").send(message(user))
    wecom.members.clear()

    with pytest.raises(NoAddress):
        channel("wecom").send(message(user))

    assert not MessagingAddress.objects.filter(user=user).exists()


def test_an_expired_token_is_renewed(wecom, config):
    user = person()
    channel("wecom").send(message(user))
    wecom.expired.update(wecom.tokens)

    channel("wecom").send(message(user))

    assert len(wecom.tokens) == 2
    assert len(wecom.messages) == 2


def test_a_busy_wecom_is_retryable(wecom, config):
    wecom.message_fail = (45009, "api freq out of limit")

    with pytest.raises(ChannelError) as caught:
        channel("wecom").send(message(person()))

    assert caught.value.retryable


def test_a_forbidden_app_is_not_retried_nor_quotes_the_secret(wecom, config):
    wecom.message_fail = (48002, f"api forbidden for {APP_SECRET}")

    with pytest.raises(ChannelError) as caught:
        channel("wecom").send(message(person()))

    assert not caught.value.retryable
    assert "48002" in str(caught.value.message)
    assert APP_SECRET not in str(caught.value.message)


def test_a_changed_email_is_looked_up_again(wecom, config):
    user = person()
    channel("wecom").send(message(user))
    wecom.members["SamS"] = ("sam.sales@baton.example", "")
    user.email = "sam.sales@baton.example"
    user.save()

    channel("wecom").send(message(user))

    assert len(wecom.requests_to(BY_EMAIL)) == 2
    assert [sent["touser"] for sent in wecom.messages] == ["SamSales", "SamS"]
    assert MessagingAddress.objects.get(user=user).address == "SamS"


def test_a_keyed_message_asks_wecom_to_check_for_duplicates(wecom, config):
    user = person()
    channel("wecom").send(message(user, key="notify:41-43-3"))
    channel("wecom").send(message(user))

    keyed, plain = wecom.messages
    assert (keyed["enable_duplicate_check"], keyed["duplicate_check_interval"]) == (
        1,
        1800,
    )
    assert "enable_duplicate_check" not in plain


def _answering(monkeypatch, **answer):
    """WeCom answers message/send with errcode 0 and ``answer``."""

    def partial(fake, body):
        fake.messages.append(body)
        return fake._answer(msgid="msg000001", **answer)

    monkeypatch.setattr(FakeWeCom, "_message", partial)


def test_an_invalid_user_in_an_ok_answer_is_no_address(httpserver, monkeypatch):
    # WeCom's partial failure: errcode 0, the person listed in invaliduser.
    _answering(monkeypatch, invaliduser="SamSales")
    wecom = FakeWeCom(httpserver).install()
    wecom.members = {"SamSales": ("sales@baton.example", "")}
    sender("wecom", wecom.settings(agent_id=str(AGENT_ID)), {"secret": SECRET})
    user = person()

    with pytest.raises(NoAddress):
        channel("wecom").send(message(user))

    assert len(wecom.messages) == 1
    assert not MessagingAddress.objects.filter(user=user).exists()


def test_a_member_without_a_licence_is_a_failed_send(httpserver, monkeypatch):
    _answering(monkeypatch, invaliduser="", unlicenseduser="SamSales")
    wecom = FakeWeCom(httpserver).install()
    wecom.members = {"SamSales": ("sales@baton.example", "")}
    sender("wecom", wecom.settings(agent_id=str(AGENT_ID)), {"secret": SECRET})

    with pytest.raises(ChannelError) as caught:
        channel("wecom").send(message(person()))

    assert str(caught.value.message) == (
        "WeCom did not deliver the message: this member has no WeCom API licence "
        "(ask the WeCom admin to assign one)."
    )
    assert not caught.value.retryable


def test_others_listed_in_an_ok_answer_do_not_matter(httpserver, monkeypatch):
    _answering(monkeypatch, invaliduser="Gone|Left", unlicenseduser="Other")
    wecom = FakeWeCom(httpserver).install()
    wecom.members = {"SamSales": ("sales@baton.example", "")}
    sender("wecom", wecom.settings(agent_id=str(AGENT_ID)), {"secret": SECRET})

    assert channel("wecom").send(message(person())) == "msg000001"
