# ruff: noqa: RUF001
"""A zh-Hans reader gets no English in what Baton sends them: every e-mail
(subject, text and HTML) of every notification event, the batched message,
the daily digest, the Feishu, DingTalk and WeCom cards made of them, the
certificate PDF of a leaver who works in Chinese and its public verify page.
Data stays as written: names, numbers, codes, hashes, addresses, what people
and templates wrote."""

import datetime
import io
import re
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader
from wagtail.users.models import UserProfile

from cms import notifications
from cms.models import (
    Certificate,
    ChecklistTemplatePage,
    Comment,
    Employee,
    Handover,
    Item,
    ParticipantRole,
    Signature,
)
from cms.notifications import outbox
from cms.notifications.events import EVENT_TEMPLATES
from cms.services import handover_start
from connectors.access.common import Op
from connectors.access.planning import describe_change
from connectors.messaging.dingtalk import action_card
from connectors.messaging.feishu import card
from connectors.messaging.wecom import textcard
from tests.chinese_text import english_in, english_in_text, html_text, known_data
from tests.fixtures.handovers import complete_handover

pytestmark = pytest.mark.django_db

CODE = "K7QP-3MXD-9TWA"
ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# 17:30 UTC on the 30th is 01:30 on the 31st in Asia/Shanghai.
AT = "2026-12-30T17:30:00+00:00"


@pytest.fixture
def chinese(people):
    """Everyone works in Chinese."""
    for user in people.values():
        profile = UserProfile.get_for_user(user)
        profile.preferred_language = "zh-hans"
        profile.save()
    return people


@pytest.fixture
def handover(chinese):
    """`sales` leaves, from the Chinese Sales template."""
    return handover_start(
        actor=chinese["hr"],
        employee=Employee.objects.get(user=chinese["sales"]),
        template=ChecklistTemplatePage.objects.get(
            slug="sales", locale__language_code="zh-hans"
        ),
        resignation_date=datetime.date(2026, 12, 1),
        last_working_day=datetime.date(2026, 12, 31),
        successors=[chinese["successor"]],
        manager=chinese["manager"],
        it_users=[chinese["it"]],
    )


@pytest.fixture
def sent(monkeypatch):
    """Every message the outbox and the digest deliver, as composed."""
    messages = []
    deliver = notifications.delivery.deliver

    def spy(message, **kwargs):
        messages.append(message)
        return deliver(message, **kwargs)

    monkeypatch.setattr(outbox, "deliver", spy)
    monkeypatch.setattr(notifications.reminders, "deliver", spy)
    return messages


def _card_texts(message) -> list[str]:
    """What a person reads on the Feishu, DingTalk and WeCom cards."""
    args = (message.subject, message.lines, message.link, message.link_label)
    feishu = card(*args)
    texts = [feishu["header"]["title"]["content"]]
    for element in feishu["elements"]:
        if element["tag"] == "div":
            texts.append(element["text"]["content"])
        for button in element.get("actions", ()):
            texts.append(button["text"]["content"])
    dingtalk = action_card(*args)["action_card"]
    markdown = re.sub(r"\\(.)", r"\1", dingtalk["markdown"]).replace("###", "")
    texts += [dingtalk["title"], *markdown.split("\n"), dingtalk["single_title"]]
    wecom = textcard(*args)
    texts += [wecom["title"], *html_text(wecom["description"]), wecom.get("btntxt")]
    return [text for text in texts if text and text.strip()]


def _english(mail, message, data) -> dict:
    """Where the mail and its cards hold English, by part."""
    [(html, _kind)] = mail.alternatives
    found = {
        "subject": english_in_text(mail.subject, data),
        "text": english_in_text(mail.body, data),
        "html": english_in(html, data),
        "cards": [text for text in _card_texts(message) if english_in_text(text, data)],
    }
    return {part: texts for part, texts in found.items() if texts}


def _iso_days(mail) -> list[str]:
    """Days written as ISO dates outside addresses: a Chinese reader's dates
    read 2026年12月31日."""
    text = re.sub(r"https?://\S+", "", f"{mail.subject}\n{mail.body}")
    return ISO_DAY.findall(text)


def _emit(handover, event, *, actor=None, item=None, details=None):
    """The event into the outbox and out at once; the ids of those told."""
    recipients = notifications.handover_event_send(
        handover_id=handover.pk,
        event=event,
        actor_id=actor.pk if actor else None,
        item_id=item.pk if item else None,
        details=details or {},
    )
    assert recipients, event
    for user_id in recipients:
        notifications.recipient_flush(user_id)
    return recipients


def _events(handover, people):
    """Every event kind, with what its service puts in it."""
    leaver, successor = people["sales"], people["successor"]
    item = handover.items.filter(filled_by_role=ParticipantRole.LEAVER).first()
    item.assignee = successor
    item.due_date = datetime.date(2026, 12, 20)
    item.save(update_fields=["assignee", "due_date"])
    question = Comment.objects.create(
        item=item, author=successor, body="客户名单是否完整？", is_question=True
    )
    Handover.objects.filter(pk=handover.pk).update(cancel_reason="员工决定留任")
    grant = SimpleNamespace(
        system="Active Directory",
        account_label="chenfang01",
        account_id="",
        group_label="销售部",
        group_id="",
    )
    with translation.override("zh-hans"):
        changes = [describe_change(grant, Op.SUSPEND)]
    ad = {"system": "Active Directory"}
    failed = {**ad, "error": "目录服务拒绝了请求。"}
    planned = {**ad, "changes": changes, "at": AT}
    on_item = {"item": item}
    return [
        ("handover.started", {}),
        ("participant.added", _d(user_id=successor.pk, role="successor")),
        ("item.assigned", on_item),
        ("question.asked", {**on_item, "actor": successor}),
        ("question.answered", _d(question_id=question.pk, actor=leaver, **on_item)),
        ("item.returned", _d(reason="请补充联系人", actor=successor, **on_item)),
        ("item.submitted", {**on_item, "actor": leaver}),
        ("item.resubmitted", {**on_item, "actor": leaver}),
        ("handover.in_review", {}),
        ("handover.completed", {"actor": people["manager"]}),
        ("handover.cancelled", {"actor": people["hr"]}),
        ("successor.requested", _d(days=3, pick_by="2026-12-20")),
        ("certificate.issued", _d(code=CODE)),
        ("item.escalated", _d(step="manager", days_overdue=3, **on_item)),
        ("item.escalated", _d(step="hr", days_overdue=7, **on_item)),
        ("access.planned", {**on_item, "details": planned}),
        ("access.failed", {**on_item, "details": failed}),
        ("connector.sync_failed", {"details": {**failed, "block": "客户名单"}}),
        ("connector.transfer_failed", {**on_item, "details": failed}),
    ]


def _d(*, item=None, actor=None, **details):
    """An event's arguments: its item and actor, and the rest as details."""
    return {"item": item, "actor": actor, "details": details}


def test_every_notification_reads_chinese(handover, chinese, mailoutbox, sent):
    events = _events(handover, chinese)
    assert {event for event, _kwargs in events} == set(EVENT_TEMPLATES)
    english, iso_days = {}, {}

    for event, kwargs in events:
        mails, messages = len(mailoutbox), len(sent)
        _emit(handover, event, **kwargs)
        data = [*known_data(), CODE, "chenfang01"]
        news = zip(mailoutbox[mails:], sent[messages:], strict=True)
        for mail, message in news:
            assert message.language == "zh-hans"
            assert mail.subject == message.subject
            key = f"{event} → {mail.to[0]}"
            if found := _english(mail, message, data):
                english[key] = found
            if days := _iso_days(mail):
                iso_days[key] = days

    assert len(mailoutbox) >= len(events)
    assert english == {}
    assert iso_days == {}


def test_dates_are_the_company_day_in_chinese(handover, chinese, mailoutbox, sent):
    item = handover.items.filter(filled_by_role=ParticipantRole.LEAVER).first()
    Item.objects.filter(pk=item.pk).update(
        assignee=chinese["successor"], due_date=datetime.date(2026, 12, 20)
    )

    _emit(handover, "item.assigned", item=item)
    _emit(
        handover,
        "access.planned",
        item=item,
        details={"system": "Active Directory", "changes": ["变更"], "at": AT},
    )

    assigned, planned = mailoutbox
    assert "2026年12月20日" in assigned.body
    assert "2026年12月31日" in planned.body  # Shanghai's day, not UTC's 30th
    assert "2026年12月31日" in " ".join(sent[1].lines)


def test_a_batch_of_updates_reads_chinese(handover, chinese, mailoutbox, sent):
    leaver = chinese["sales"]
    items = list(handover.items.filter(filled_by_role=ParticipantRole.LEAVER)[:3])
    for item in items:
        notifications.handover_event_send(
            handover_id=handover.pk,
            event="item.submitted",
            actor_id=leaver.pk,
            item_id=item.pk,
        )

    notifications.recipient_flush(chinese["successor"].pk)

    [mail], [message] = mailoutbox, sent
    assert len(message.lines) == 3
    assert "3" in mail.subject
    assert _english(mail, message, known_data()) == {}


def test_the_daily_digest_reads_chinese(handover, chinese, mailoutbox, sent):
    today = datetime.date(2026, 12, 10)
    leaver_items = handover.items.filter(filled_by_role=ParticipantRole.LEAVER)
    overdue, due_today, soon = list(leaver_items[:3])
    for item, day in ((overdue, 8), (due_today, 10), (soon, 12)):
        Item.objects.filter(pk=item.pk).update(due_date=datetime.date(2026, 12, day))

    assert notifications.due_reminders_send(today=today, user_ids=[chinese["sales"].pk])

    [mail], [message] = mailoutbox, sent
    assert message.language == "zh-hans"
    assert "2026年12月8日" in mail.body
    assert _english(mail, message, known_data()) == {}
    assert _iso_days(mail) == []


def _pdf_text(certificate) -> str:
    with certificate.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def _certificate_data(certificate) -> list[str]:
    hashes = {certificate.root_hash, certificate.pdf_sha256}
    address = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse(
        "reports:verify", args=[certificate.code]
    )
    for signature in Signature.objects.filter(handover=certificate.handover):
        # Item tables print the first 12 characters.
        hashes |= {signature.content_hash, signature.content_hash[:12]}
    return sorted(
        [*known_data(), *hashes, certificate.code, settings.TIME_ZONE, address],
        key=len,
        reverse=True,
    )


@pytest.fixture
def certificate(handover, chinese, django_capture_on_commit_callbacks):
    # The handover is Chinese: so is what the demo people fill in.
    with django_capture_on_commit_callbacks(execute=True):
        complete_handover(handover, chinese)
    return Certificate.objects.get(handover=handover)


def test_the_certificate_of_a_chinese_leaver_reads_chinese(certificate):
    text = _pdf_text(certificate)
    assert "离职交接完成证明" in re.sub(r"\s+", "", text)

    assert english_in_text(text, _certificate_data(certificate), wrapped=True) == []
    assert ISO_DAY.findall(text) == []


def test_the_verify_page_reads_chinese(certificate):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")

    response = client.get(f"/verify/{certificate.code}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "有效" in html
    day = timezone.localtime(certificate.handover.completed_at)  # the company's day
    assert f"{day.year}年{day.month}月{day.day}日" in html
    data = [*_certificate_data(certificate), "XXXX-XXXX-XXXX"]
    assert english_in(html, data) == []
