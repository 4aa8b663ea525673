# ruff: noqa: RUF001
"""Access changes are read in the reader's language, whatever language the
handover was planned in: IT's message about planned changes (mail and
messenger cards), the IT queue and the handover page's access section. The
stored sentence (and the audit trail) keeps the words it was planned with; old
events that stored only those words still read. What a system could not do
reads in the reader's language too: Baton's own words translated, a system's
own words quoted under a label the reader reads."""

import re

import pytest
from django.core import mail
from wagtail.users.models import UserProfile

from cms import notifications
from cms.models import Handover, NotificationSettings
from cms.notifications import outbox
from connectors.messaging.feishu import card
from connectors.models import AccessAction
from connectors.sdk.base import ConnectorError
from tests.chinese_text import english_in, english_in_text, known_data
from tests.connectors.test_access import (  # noqa: F401 (fixtures)
    Directory,
    MemoryDirectory,
    confirm,
    directory,
    grants,
    handover,
)
from tests.fixtures.handovers import PASSWORD

pytestmark = pytest.mark.django_db

AT = "2026-12-31T10:00:00+00:00"
SUSPEND_EN = "Directory: suspend the account sales."
SUSPEND_ZH = "Directory：停用账号 sales。"
# The successor's name follows each language's rule: Jing Yang / Yang Jing.
ADD_EN = "Directory: add Jing Yang to crm-admins."
ADD_ZH = "Directory：将 Yang Jing 加入 crm-admins。"
NOT_APPLIED_EN = "The change was accepted, but reading it back shows it did not happen."
NOT_APPLIED_ZH = "系统已接受该变更，但回读结果显示变更并未生效。"


@pytest.fixture(autouse=True)
def _send_each_event_at_once(db):
    NotificationSettings.objects.update_or_create(defaults={"batch_window_minutes": 0})


@pytest.fixture
def sent(monkeypatch):
    """Every message the outbox delivers, as composed."""
    messages = []
    deliver = notifications.delivery.deliver

    def spy(message, **kwargs):
        messages.append(message)
        return deliver(message, **kwargs)

    monkeypatch.setattr(outbox, "deliver", spy)
    return messages


def speaks(user, language):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()


def to(user):
    return [message for message in mail.outbox if message.to == [user.email]]


def card_texts(message) -> list[str]:
    """What a person reads on the Feishu card made of the message."""
    feishu = card(message.subject, message.lines, message.link, message.link_label)
    texts = [feishu["header"]["title"]["content"]]
    for element in feishu["elements"]:
        if element["tag"] == "div":
            texts.append(element["text"]["content"])
        for button in element.get("actions", ()):
            texts.append(button["text"]["content"])
    return texts


def english_of(message, composed) -> dict:
    """Where a mail and its card hold English that is not data."""
    data = [*known_data(), "crm-admins", "Directory"]
    [(html, _kind)] = message.alternatives
    found = {
        "subject": english_in_text(message.subject, data),
        "text": english_in_text(message.body, data),
        "html": english_in(html, data),
        "card": [text for text in card_texts(composed) if english_in_text(text, data)],
    }
    return {part: texts for part, texts in found.items() if texts}


def confirm_all(handover, people, capture):  # noqa: F811
    found = grants(handover)
    for key in (("account", ""), ("membership", "crm-admins")):
        confirm(found[key], people, capture)


def access_section(html: str) -> str:
    match = re.search(r'<section[^>]*data-live-id="access".*?</section>', html, re.S)
    assert match, "no access section on the page"
    return match.group(0)


def queue_rows(html: str) -> str:
    match = re.search(r"<tbody>.*?</tbody>", html, re.S)
    assert match, "no rows in the IT queue"
    return match.group(0)


# The message about planned changes -----------------------------------------------


def test_chinese_it_reads_an_english_handovers_plan_in_chinese(
    handover,  # noqa: F811
    people,
    sent,
    django_capture_on_commit_callbacks,
):
    speaks(people["it"], "zh-hans")
    mail.outbox.clear()

    confirm_all(handover, people, django_capture_on_commit_callbacks)

    messages = to(people["it"])
    planned = [m for m in messages if "访问权限变更已计划" in m.subject]
    assert len(planned) == 2
    bodies = "\n".join(message.body for message in planned)
    assert SUSPEND_ZH in bodies
    assert ADD_ZH in bodies
    assert "suspend the account" not in bodies and "add Jing Yang" not in bodies
    composed = [m for m in sent if m.user == people["it"]]
    for message, card_message in zip(messages, composed, strict=True):
        assert english_of(message, card_message) == {}
    lines = " ".join(line for m in composed for line in m.lines)
    assert SUSPEND_ZH in lines and ADD_ZH in lines
    # What was planned keeps the handover's words: the stored sentence and
    # the audit trail.
    action = AccessAction.objects.get(operation="suspend_account")
    assert action.description == SUSPEND_EN
    said = [
        change["change"]
        for event in handover.audit_events.filter(action="access.planned")
        for change in event.details["changes"]
    ]
    assert SUSPEND_EN in said and ADD_EN in said


def test_english_it_reads_a_chinese_handovers_plan_in_english(
    handover,  # noqa: F811
    people,
    sent,
    django_capture_on_commit_callbacks,
):
    Handover.objects.filter(pk=handover.pk).update(language="zh-hans")
    handover.refresh_from_db()
    speaks(people["it"], "en")
    mail.outbox.clear()

    confirm_all(handover, people, django_capture_on_commit_callbacks)

    bodies = "\n".join(message.body for message in to(people["it"]))
    assert SUSPEND_EN in bodies and ADD_EN in bodies
    assert "停用账号" not in bodies and "加入" not in bodies
    assert AccessAction.objects.get(operation="suspend_account").description == (
        SUSPEND_ZH
    )


def test_an_event_stored_before_with_sentences_still_reads(handover, people, sent):  # noqa: F811
    speaks(people["it"], "zh-hans")
    mail.outbox.clear()

    notifications.handover_event_send(
        handover_id=handover.pk,
        event="access.planned",
        details={"system": "Directory", "changes": [SUSPEND_EN], "at": AT},
    )
    notifications.recipient_flush(people["it"].pk)

    [message] = to(people["it"])
    assert f"Directory 的访问权限将于 2026年12月31日 变更：{SUSPEND_EN}" in message.body


# Pages -------------------------------------------------------------------------


def test_the_it_queue_reads_in_each_readers_language(
    handover,  # noqa: F811
    people,
    client,
    django_capture_on_commit_callbacks,
):
    confirm_all(handover, people, django_capture_on_commit_callbacks)
    speaks(people["it"], "zh-hans")

    assert client.login(username="it", password=PASSWORD)
    rows = queue_rows(client.get("/admin/access/?state=planned").content.decode())
    assert SUSPEND_ZH in rows
    assert "suspend the account" not in rows
    assert english_in(rows, [*known_data(), "crm-admins", "Directory"]) == []

    client.logout()
    assert client.login(username="hr", password=PASSWORD)
    rows = queue_rows(client.get("/admin/access/?state=planned").content.decode())
    assert SUSPEND_EN in rows
    assert "停用账号" not in rows


def test_the_handover_pages_access_section_reads_in_each_readers_language(
    handover,  # noqa: F811
    people,
    client,
    django_capture_on_commit_callbacks,
):
    confirm(
        grants(handover)[("account", "")], people, django_capture_on_commit_callbacks
    )
    speaks(people["it"], "zh-hans")

    assert client.login(username="it", password=PASSWORD)
    html = client.get(f"/zh-hans/handovers/{handover.pk}/").content.decode()
    section = access_section(html)
    # The confirmed change (planned in English) and the ones still waiting.
    assert SUSPEND_ZH in section
    assert "Directory：将 sales 移出 sales-team。" in section
    data = [*known_data(), "crm-admins", "sales-team", "Directory"]
    assert english_in(section, data) == []

    client.logout()
    assert client.login(username="manager", password=PASSWORD)
    section = access_section(
        client.get(f"/en/handovers/{handover.pk}/").content.decode()
    )
    assert SUSPEND_EN in section
    assert "停用账号" not in section


# What a system could not do ----------------------------------------------------


def test_batons_own_failure_reads_in_the_readers_language(
    handover,  # noqa: F811
    people,
    client,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    """Baton's words ("reading it back shows it did not happen") are
    translated for each reader, in the message and in the queue."""
    confirm(
        grants(handover)[("account", "")], people, django_capture_on_commit_callbacks
    )
    monkeypatch.setattr(
        MemoryDirectory,
        "suspend_account",
        lambda self, **kwargs: None,  # accepted, but nothing changes
    )
    speaks(people["it"], "zh-hans")
    mail.outbox.clear()

    from connectors.access import services as access

    with django_capture_on_commit_callbacks(execute=True):
        access.access_revoke_now(actor=people["hr"], handover=handover)

    action = AccessAction.objects.get(operation="suspend_account")
    assert (action.state, action.error) == ("failed", NOT_APPLIED_EN)
    [message] = to(people["it"])
    assert f"Directory 上的访问权限变更失败：{NOT_APPLIED_ZH}" in message.body
    assert "reading it back" not in message.body

    assert client.login(username="it", password=PASSWORD)
    rows = queue_rows(client.get("/admin/access/").content.decode())
    assert NOT_APPLIED_ZH in rows and "reading it back" not in rows
    client.logout()
    assert client.login(username="hr", password=PASSWORD)
    rows = queue_rows(client.get("/admin/access/").content.decode())
    assert NOT_APPLIED_EN in rows


def test_what_a_system_said_is_quoted_under_the_readers_label(
    handover,  # noqa: F811
    people,
    django_capture_on_commit_callbacks,
):
    confirm(
        grants(handover)[("account", "")], people, django_capture_on_commit_callbacks
    )
    Directory.fail_next = [ConnectorError("permission denied")]
    speaks(people["it"], "zh-hans")
    mail.outbox.clear()

    from connectors.access import services as access

    with django_capture_on_commit_callbacks(execute=True):
        access.access_revoke_now(actor=people["hr"], handover=handover)

    [message] = to(people["it"])
    # The system's words stay as it said them, quoted, under a Chinese label.
    assert (
        "Directory 上的访问权限变更失败：系统返回：“permission denied”" in message.body
    )


def test_an_english_reader_reads_what_a_system_said_as_it_said_it(
    handover,  # noqa: F811
    people,
    django_capture_on_commit_callbacks,
):
    confirm(
        grants(handover)[("account", "")], people, django_capture_on_commit_callbacks
    )
    Directory.fail_next = [ConnectorError("permission denied")]
    mail.outbox.clear()

    from connectors.access import services as access

    with django_capture_on_commit_callbacks(execute=True):
        access.access_revoke_now(actor=people["hr"], handover=handover)

    [message] = to(people["it"])
    assert "An access change on Directory failed: permission denied" in message.body


def test_an_older_failure_in_chinese_reads_as_written_for_a_chinese_reader(
    handover,  # noqa: F811
    people,
):
    speaks(people["it"], "zh-hans")
    mail.outbox.clear()

    notifications.handover_event_send(
        handover_id=handover.pk,
        event="access.failed",
        details={"system": "Directory", "error": "目录服务拒绝了请求。"},
    )
    notifications.recipient_flush(people["it"].pk)

    [message] = to(people["it"])
    assert "Directory 上的访问权限变更失败：目录服务拒绝了请求。" in message.body
