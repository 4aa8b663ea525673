"""A person's own data on request (PIPL Art. 45, 47): HR exports everything
Baton holds about one person as a ZIP, and records, reviews and carries out or
refuses erasure requests. Only HR admins see any of it."""

import datetime
import io
import json
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.html import escape
from wagtail.users.models import UserProfile

from cms.errors import NotFound, PermissionDenied
from cms.models import AuditEvent, Employee, Signature
from reports.models import ErasureRequest, SubjectExport
from reports.subject import requests as erasure
from reports.subject.export import subject_export
from tests.fixtures.handovers import complete_handover

JSON_FILES = {
    "person.json",
    "handovers.json",
    "items.json",
    "comments.json",
    "signatures.json",
    "access.json",
    "notifications.json",
}
MENU_ITEM = "baton-personal-data-requests"


@pytest.fixture
def completed(sales_handover, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        complete_handover(sales_handover, people)
    return sales_handover


@pytest.fixture
def leaver(completed):
    return completed.employee


def _open(content: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(content))


def _json(archive, name):
    return json.loads(archive.read(name).decode())


def _as_json(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _export_url(employee):
    return f"/admin/reports/subject/export/{employee.pk}/"


# The export ---------------------------------------------------------------------


def test_the_zip_holds_what_the_leaver_would_expect(completed, leaver, people):
    archive = _open(subject_export(leaver, actor=people["hr"]))
    names = set(archive.namelist())

    assert JSON_FILES | {"README.txt"} <= names
    assert f"pdfs/certificates/{completed.number}.pdf" in names
    assert archive.read(f"pdfs/certificates/{completed.number}.pdf").startswith(b"%PDF")
    person = _json(archive, "person.json")
    assert person["employee"]["employee_number"] == leaver.employee_number
    assert person["employee"]["name"] == leaver.name
    assert person["account"]["username"] == "sales"

    handovers = _json(archive, "handovers.json")
    assert [row["number"] for row in handovers] == [completed.number]
    assert handovers[0]["your_roles"] == ["leaver"]
    assert handovers[0]["state"] == "completed"

    items = _json(archive, "items.json")
    filled = [row for row in items if "filled" in row["your_part"]]
    leaver_items = completed.items.filter(filled_by_role="leaver")
    assert {row["label"] for row in filled} == set(
        leaver_items.values_list("label", flat=True)
    )
    one = leaver_items.filter(kind="field").first()
    row = next(row for row in filled if row["label"] == one.label)
    assert row["content"] == one.data
    assert {version["action"] for version in row["versions_you_wrote"]} >= {"submit"}

    declaration = Signature.objects.get(
        handover=completed, signer=people["sales"], decision="declare"
    )
    signatures = _json(archive, "signatures.json")
    assert len(signatures) == 1
    assert signatures[0]["decision"] == "declare"
    assert signatures[0]["signed_at"] == _as_json(declaration.signed_at)
    assert signatures[0]["ip_address"] == declaration.ip_address
    assert signatures[0]["auth_method"] == declaration.auth_method

    uploads = [name for name in names if name.startswith("pdfs/attachments/")]
    assert len(uploads) == (
        completed.items.filter(attachments__uploaded_by=people["sales"]).count()
    )
    readme = archive.read("README.txt").decode()
    assert leaver.employee_number in readme and "signatures.json" in readme


def test_the_zip_says_nothing_about_anyone_else(leaver, people):
    archive = _open(subject_export(leaver, actor=people["hr"]))
    text = "\n".join(
        archive.read(name).decode()
        for name in archive.namelist()
        if "pdfs/" not in name
    )
    others = Employee.objects.exclude(pk=leaver.pk)
    assert others.exists()
    for other in others:
        assert other.name not in text, other.name
    for user in (people["successor"], people["manager"], people["it"]):
        assert user.email not in text
        assert user.last_name not in text


def test_the_export_is_audited_without_personal_data(completed, leaver, people):
    subject_export(leaver, actor=people["hr"])

    log = SubjectExport.objects.get()
    assert log.employee == leaver and log.exported_by == people["hr"]
    assert log.handover_count == 1 and len(log.sha256) == 64
    event = AuditEvent.objects.get(handover=completed, action="subject.exported")
    assert event.details["export"] == log.pk
    recorded = json.dumps(event.details, ensure_ascii=False)
    assert leaver.name not in recorded and leaver.employee_number not in recorded


def test_hr_downloads_the_zip_from_the_employee_archive(leaver, people, client):
    client.force_login(people["hr"])
    assert MENU_ITEM in client.get("/admin/").content.decode()
    listing = client.get("/admin/snippets/cms/employee/").content.decode()
    assert _export_url(leaver) in listing
    assert "Export this person&#x27;s data" in listing

    page = client.get(_export_url(leaver))
    assert page.status_code == 200
    response = client.post(_export_url(leaver))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    disposition = response["Content-Disposition"]
    today = timezone.localdate().isoformat()
    assert f"personal-data-{leaver.employee_number}-{today}.zip" in disposition
    assert leaver.name not in disposition
    archive = _open(b"".join(response.streaming_content))
    assert "signatures.json" in archive.namelist()
    # The export is in the log HR reads, by number, not by name.
    index = client.get("/admin/reports/erasure-requests/").content.decode()
    assert "Recent exports" in index and leaver.employee_number in index


def test_nobody_but_hr_admins_sees_any_of_it(leaver, people, client):
    request = ErasureRequest.objects.create(
        employee=leaver,
        received_at=timezone.now(),
        received_via="email",
        requested_by="the person",
    )
    urls = [
        _export_url(leaver),
        "/admin/reports/erasure-requests/",
        "/admin/reports/erasure-requests/add/",
        f"/admin/reports/erasure-requests/{request.pk}/",
    ]
    admin_access = Permission.objects.get(
        codename="access_admin", content_type__app_label="wagtailadmin"
    )
    # In Wagtail's admin, but not HR admins: the pages do not exist for them.
    for username in ("manager", "it", "successor"):
        people[username].user_permissions.add(admin_access)
        client.force_login(people[username])
        for url in urls:
            assert client.get(url).status_code == 404, (username, url)
        assert client.post(_export_url(leaver)).status_code == 404
        listing = client.get("/admin/snippets/cms/employee/").content.decode()
        assert _export_url(leaver) not in listing
        assert MENU_ITEM not in client.get("/admin/").content.decode()
    # Not even in the admin: sent to sign in, and no file.
    client.force_login(people["sales"])
    for url in urls:
        response = client.post(url)
        assert response.status_code in (302, 404), url
        assert "zip" not in response.get("Content-Type", "")
    with pytest.raises(NotFound):
        subject_export(leaver, actor=people["manager"])
    assert not SubjectExport.objects.exists()


# Erasure requests ----------------------------------------------------------------


@pytest.fixture
def erased_calls(monkeypatch):
    """``erase_person`` as the erasure package has it — or, until that lands,
    a stand-in that records its arguments. Either way the calls are kept."""
    from cms.services import erasure as package

    real = getattr(package, "erase_person", None)
    calls = []

    def spy(employee, *, actor, reason, keep):
        counts = (
            real(employee, actor=actor, reason=reason, keep=keep)
            if real is not None
            else {"comments": 3, "signature_metadata": 2}
        )
        calls.append({"employee": employee, "keep": keep, "counts": counts})
        return counts

    monkeypatch.setattr(package, "erase_person", spy, raising=False)
    return calls


def _record(client, employee, **extra):
    data = {
        "employee": employee.pk,
        "received_at": "2026-12-01T09:30",
        "received_via": "email",
        "requested_by": "The person themself",
        "request_text": "Please delete my data.",
        **extra,
    }
    return client.post("/admin/reports/erasure-requests/add/", data)


def test_an_erasure_request_from_record_to_carried_out(
    leaver, completed, people, client, erased_calls
):
    from cms.services.retention import kept_reasons

    client.force_login(people["hr"])
    response = _record(client, leaver)
    request = ErasureRequest.objects.get()
    assert response.status_code == 302
    assert request.status == "received" and request.recorded_by == people["hr"]
    assert request.received_via == "email"

    review = client.get(f"/admin/reports/erasure-requests/{request.pk}/")
    html = review.content.decode()
    kept = kept_reasons(leaver)
    # A handover completed today: the law keeps its records for years.
    assert kept
    for reason in kept.values():
        assert escape(str(reason)) in html
    assert "Approve and carry out" in html
    # Every data class is listed with what happens to it.
    from cms.services.erasure import DataClass

    for data_class in DataClass:
        assert escape(str(data_class.label)) in html
    assert "Employee record and user account" in html

    client.post(
        f"/admin/reports/erasure-requests/{request.pk}/",
        {"decision": "approve", "note": "Within the law."},
    )
    request.refresh_from_db()

    assert request.status == "carried_out"
    assert request.reviewed_by == people["hr"] and request.carried_out_at
    assert len(erased_calls) == 1
    call = erased_calls[0]
    assert call["employee"].pk == leaver.pk
    assert call["keep"] == {key: str(value) for key, value in kept.items()}
    assert request.result["erased"] == call["counts"]
    assert request.result["kept"] == call["keep"]
    actions = list(
        AuditEvent.objects.filter(
            handover=completed, action__startswith="subject.erasure"
        ).values_list("action", flat=True)
    )
    assert actions == [
        "subject.erasure_requested",
        "subject.erasure_approved",
        "subject.erasure_carried_out",
    ]
    listing = client.get(
        "/admin/reports/erasure-requests/", {"status": "carried_out"}
    ).content.decode()
    assert f"/admin/reports/erasure-requests/{request.pk}/" in listing
    other = client.get(
        "/admin/reports/erasure-requests/", {"status": "refused"}
    ).content.decode()
    assert f"/admin/reports/erasure-requests/{request.pk}/" not in other


def test_a_refusal_needs_a_reason_and_erases_nothing(
    leaver, people, client, erased_calls
):
    client.force_login(people["hr"])
    _record(client, leaver)
    request = ErasureRequest.objects.get()
    url = f"/admin/reports/erasure-requests/{request.pk}/"

    client.post(url, {"decision": "refuse", "note": "  "})
    request.refresh_from_db()
    assert request.status == "received"

    client.post(url, {"decision": "refuse", "note": "Records kept by law."})
    request.refresh_from_db()
    assert request.status == "refused"
    assert request.decision_note == "Records kept by law."
    assert request.reviewed_by == people["hr"] and request.reviewed_at
    assert erased_calls == []
    page = client.get(url).content.decode()
    assert "Records kept by law." in page and "Approve and carry out" not in page
    # Decided once: approving afterwards changes nothing.
    client.post(url, {"decision": "approve"})
    request.refresh_from_db()
    assert request.status == "refused" and erased_calls == []


def test_nobody_reviews_a_request_about_their_own_data(
    hr_leaver_handover, people, client, erased_calls
):
    own = Employee.objects.get(user=people["hr"])
    request = erasure.erasure_request_record(
        actor=people["hrhead"],
        employee=own,
        received_via="in_person",
        requested_by="Na Li",
    )
    client.force_login(people["hr"])
    url = f"/admin/reports/erasure-requests/{request.pk}/"
    page = client.get(url).content.decode()
    assert "another HR admin must review it" in page
    assert "Approve and carry out" not in page

    client.post(url, {"decision": "approve"})
    request.refresh_from_db()
    assert request.status == "received" and erased_calls == []
    with pytest.raises(PermissionDenied):
        erasure.erasure_request_refuse(
            actor=people["hr"], request=request, reason="mine"
        )
    # Another HR admin may.
    erasure.erasure_request_refuse(
        actor=people["hrhead"], request=request, reason="An open handover."
    )
    request.refresh_from_db()
    assert request.status == "refused"


def test_a_request_cannot_arrive_in_the_future(leaver, people, client):
    client.force_login(people["hr"])
    tomorrow = timezone.localtime() + datetime.timedelta(days=1)
    response = _record(client, leaver, received_at=tomorrow.strftime("%Y-%m-%dT%H:%M"))
    assert response.status_code == 400
    assert not ErasureRequest.objects.exists()


# Chinese ---------------------------------------------------------------------------


def _chinese(user):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "zh-hans"
    profile.save()


def test_the_pages_and_the_readme_read_chinese(leaver, people, client, erased_calls):
    _chinese(people["hr"])
    client.force_login(people["hr"])
    _record(client, leaver)
    request = ErasureRequest.objects.get()

    index = client.get("/admin/reports/erasure-requests/").content.decode()
    review = client.get(f"/admin/reports/erasure-requests/{request.pk}/").content
    export = client.get(_export_url(leaver)).content.decode()

    assert "个人数据请求" in index and "等待审核" in index
    assert "批准并执行" in review.decode()
    assert "导出此人的数据" in export
    for english in ("Personal data requests", "Approve and carry out"):
        assert english not in index + review.decode()

    _chinese(people["sales"])
    archive = _open(subject_export(leaver, actor=people["hr"]))
    readme = archive.read("README.txt").decode()
    assert "你的签名" in readme or "您的签名" in readme
    assert "Your signatures" not in readme


def test_an_open_handover_stops_the_erasure_and_the_request_waits(
    sales_handover, people, client
):
    """Approved, but erasing is refused while the handover runs: nothing is
    erased, HR is told why, and the request can be carried out later."""
    leaver = sales_handover.employee
    client.force_login(people["hr"])
    _record(client, leaver)
    request = ErasureRequest.objects.get()
    url = f"/admin/reports/erasure-requests/{request.pk}/"
    name = leaver.name

    response = client.post(url, {"decision": "approve"}, follow=True)
    request.refresh_from_db()
    leaver.refresh_from_db()

    assert request.status == "approved" and request.result == {}
    assert leaver.name == name
    html = response.content.decode()
    assert f"Handover {sales_handover.number} is still open" in html
    assert "Carry out now" in html
