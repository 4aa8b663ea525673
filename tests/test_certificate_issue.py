"""Completion issues a certificate anyone can verify, without personal data."""

import io

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from cms.models import Certificate, ChecklistTemplatePage, Employee
from cms.services import handover_start
from reports.services import employee_initials
from tests.fixtures.handovers import complete_handover


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
    assert "Chen Fang" in text
    assert certificate.code in text
    assert certificate.root_hash[:16] in text.replace(" ", "")
    for label in completed.items.values_list("label", flat=True):
        assert label in text
    assert "Yang Jing" in text  # the successor who signed


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
