# Chinese text uses full-width punctuation on purpose.
# ruff: noqa: RUF001
"""Completion issues a certificate anyone can verify, without personal data."""

import datetime
import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader
from wagtail.users.models import UserProfile

from cms import services
from cms.models import (
    Certificate,
    ChecklistTemplatePage,
    Employee,
    Item,
    ParticipantRole,
)
from cms.services import handover_start
from reports.models import CertificateSettings
from reports.services import employee_initials
from tests.fixtures.handovers import PASSWORD, complete_handover, item_of

#: What a certificate must never print: stored keys and stored choice values.
RAW = [
    "external_id",
    "record_kind",
    "data:",
    "in_progress",
    "raised_by_me",
    "not_started",
    "awaiting_my_action",
    "not_submitted",
    "revoke",
    "transfer",
    "return_to_role",
    "asset_type",
]


def _pdf_text(certificate):
    with certificate.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    # Table cells wrap: compare on single spaces.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def completed(sales_handover, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        complete_handover(sales_handover, people)
    return sales_handover


def test_completion_issues_a_certificate_with_every_item(completed):
    certificate = Certificate.objects.get(handover=completed)

    text = _pdf_text(certificate)
    assert completed.number in text
    assert "Fang Chen" in text  # English: given name first, as every page
    assert certificate.code in text
    assert certificate.root_hash[:16] in text.replace(" ", "")
    for label in completed.items.values_list("label", flat=True):
        assert label in text
    assert "Jing Yang" in text  # the successor who signed


def test_certificate_root_hash_is_the_chain_head_at_completion(completed):
    certificate = Certificate.objects.get(handover=completed)
    events = list(completed.audit_events.order_by("sequence"))

    assert events[-2].action == "handover.completed"
    assert certificate.root_hash == events[-2].hash
    assert events[-1].action == "certificate.issued"
    call_command("verify_audit", "--handover", str(completed.pk))


def test_chinese_handover_gets_a_chinese_certificate(
    people, django_capture_on_commit_callbacks
):
    handover = handover_start(
        actor=people["hr"],
        employee=Employee.objects.get(user=people["sales"]),
        template=ChecklistTemplatePage.objects.get(
            slug="sales", locale__language_code="zh-hans"
        ),
        last_working_day=__import__("datetime").date(2026, 12, 31),
        successors=[people["successor"]],
        manager=people["manager"],
        it_users=[people["it"]],
    )
    with django_capture_on_commit_callbacks(execute=True):
        complete_handover(handover, people)

    text = _pdf_text(Certificate.objects.get(handover=handover))
    assert "离职交接完成证明" in text
    assert "重点客户名单" in text


def test_verify_page_says_valid_and_shows_only_minimal_facts(completed, client):
    certificate = Certificate.objects.get(handover=completed)

    response = client.get(f"/verify/{certificate.code}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Valid certificate" in html
    assert completed.number in html
    assert "C. F." in html
    assert certificate.root_hash in html
    assert "Chen Fang" not in html
    assert "Key client list" not in html


def test_verify_page_accepts_a_code_typed_loosely(completed, client):
    certificate = Certificate.objects.get(handover=completed)
    typed = certificate.code.replace("-", "").lower()

    response = client.get(f"/verify/?code={typed}", follow=True)

    assert "Valid certificate" in response.content.decode()


def test_unknown_code_is_not_valid(db, client):
    response = client.get("/verify/AAAA-BBBB-CCCC/")

    assert response.status_code == 404
    assert "Not valid" in response.content.decode()


def test_verify_page_in_chinese(completed, client):
    certificate = Certificate.objects.get(handover=completed)

    html = client.get(
        f"/verify/{certificate.code}/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()

    assert "有效" in html


@pytest.mark.parametrize(
    ("name", "initials"), [("Chen Fang", "C. F."), ("陈芳", "陈*"), ("", "—")]
)
def test_initials_hide_the_name(name, initials):
    assert employee_initials(name) == initials


# -- language, labels, time zone and names ------------------------------------------


def _reads_chinese(user):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "zh-hans"
    profile.save()


def _crm_task(handover):
    """A record a connector brought in: its own keys (external id, record kind)
    around the task's data, with a stored status."""
    return Item.objects.create(
        handover=handover,
        block_id=f"crm-tasks:{handover.pk}",
        position=70,
        kind="connector_list",
        label="Renewal follow-up",
        definition={"connector": "crm", "record_kind": "task", "label": "Tasks"},
        data={
            "external_id": "T-9001",
            "record_kind": "task",
            "data": {"description": "Call Hangzhou Precision", "status": "in_progress"},
        },
        filled_by_role=ParticipantRole.LEAVER,
        confirmed_by_role=ParticipantRole.SUCCESSOR,
    )


def _raised_by_me(handover, people):
    item = item_of(handover, "Pending approvals")
    services.item_update(
        actor=people["sales"],
        item=item,
        version=item.version,
        data={"title": "Discount for Hangzhou", "direction": "raised_by_me"},
    )


@pytest.fixture
def complete(people, django_capture_on_commit_callbacks):
    def run(handover):
        _crm_task(handover)
        _raised_by_me(handover, people)
        with django_capture_on_commit_callbacks(execute=True):
            complete_handover(handover, people)
        certificate = Certificate.objects.get(handover=handover)
        return certificate, _pdf_text(certificate)

    return run


def test_a_leaver_who_reads_chinese_gets_a_chinese_certificate(
    sales_handover, people, complete
):
    """An English handover, a leaver whose profile says zh-Hans: every label,
    kind, state and field is Chinese; no stored key or value shows."""
    _reads_chinese(people["sales"])

    certificate, text = complete(sales_handover)

    squashed = text.replace(" ", "")
    assert certificate.language == "zh-hans"
    for chinese in [
        "离职交接完成证明",
        "最终内容",
        "接交人",
        "已接收",  # the items' state
        "状态：进行中",  # the CRM task's status, labelled
        "类型：我发起的",  # the approval's direction
        "处理方式：注销",  # the e-mail account: revoke
    ]:
        assert chinese in squashed, chinese
    assert "Handover completion certificate" not in text
    assert "Final content" not in text
    for raw in RAW:
        assert raw not in text, raw
    assert "ChenFang" in squashed  # Chinese order for the leaver
    assert "YangJing" in squashed  # and for the successor who signed
    assert "Fang Chen" not in text


def test_an_english_certificate_prints_labels_not_keys(sales_handover, complete):
    _certificate, text = complete(sales_handover)

    assert "Status: In progress" in text
    assert "Direction: Raised by me" in text
    assert "Action: Revoke" in text
    assert "Description: Call Hangzhou Precision" in text
    for raw in RAW:
        assert raw not in text, raw


def test_bilingual_setting_prints_chinese_and_english(sales_handover, people, complete):
    CertificateSettings.objects.update_or_create(defaults={"bilingual": True})
    _reads_chinese(people["sales"])

    certificate, text = complete(sales_handover)

    squashed = text.replace(" ", "")
    assert certificate.language == "zh-hans+en"
    for both in [
        ("离职交接完成证明", "Handovercompletioncertificate"),
        ("最后工作日", "Lastworkingday"),
        ("进行中", "Inprogress"),
        ("验证码", "Verificationcode"),
        ("全部事项均已按下列记录移交并签署", "everyitemhandedoverandsigned"),
    ]:
        for part in both:
            assert part in squashed, part
    # The leaver's language comes first; names are written once, its way.
    assert squashed.index("离职交接完成证明") < squashed.index(
        "Handovercompletioncertificate"
    )
    assert "ChenFang" in squashed


def test_an_english_leaver_with_bilingual_certificates_reads_english_first(
    sales_handover, complete
):
    CertificateSettings.objects.update_or_create(defaults={"bilingual": True})

    certificate, text = complete(sales_handover)

    assert certificate.language == "en+zh-hans"
    squashed = text.replace(" ", "")
    assert squashed.index("Handovercompletioncertificate") < squashed.index(
        "离职交接完成证明"
    )


@pytest.mark.parametrize(
    ("zone", "offset"), [("Asia/Shanghai", "UTC+08:00"), ("Europe/Berlin", "UTC+01:00")]
)
def test_the_issued_time_is_in_the_company_time_zone(
    settings, sales_handover, people, complete, zone, offset
):
    settings.TIME_ZONE = zone
    _reads_chinese(people["sales"])

    certificate, text = complete(sales_handover)

    local = timezone.localtime(certificate.handover.completed_at)
    assert str(local.tzinfo) == zone
    issued = f"{local.year}年{local.month}月{local.day}日{local:%H:%M}{offset}"
    squashed = text.replace(" ", "")
    assert f"签发时间{issued}" in squashed
    assert f"{zone}({offset})" in squashed
    assert not re.search(r"\d{2}:\d{2}UTC(?!\+0[18]:00)", squashed)
    day = datetime.date(2026, 12, 31)  # the last working day, Chinese format
    assert f"{day.year}年{day.month}月{day.day}日" in squashed


def test_hr_with_the_permission_turns_bilingual_certificates_on(client, people):
    people["hr"].user_permissions.add(
        Permission.objects.get(codename="change_certificatesettings")
    )
    assert client.login(username="hr", password=PASSWORD)

    page = client.get("/admin/settings/reports/certificatesettings/", follow=True)
    assert page.status_code == 200
    assert "Print every certificate in Simplified Chinese and English" in (
        page.content.decode()
    )
    response = client.post(page.redirect_chain[-1][0], {"bilingual": "on"})

    assert response.status_code == 302
    assert CertificateSettings.load().bilingual is True
