"""HR's intake screens in the admin: the review queue (start, change, dismiss,
start by hand), start rules, the start form's explanations, bulk start from a
spreadsheet and from the Employees list, the employee record's provenance,
and the manager's successor pick on the participant site."""

import csv
import datetime
import io
import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from cms import services
from cms.models import (
    ChecklistTemplatePage,
    Employee,
    Handover,
    ParticipantRole,
    ResignationEvent,
    StartRule,
)
from tests.fixtures.handovers import PASSWORD

pytestmark = pytest.mark.django_db

QUEUE_URL = "/admin/intake/"
BULK_URL = "/admin/intake/bulk/"
START_URL = "/admin/handovers/start/"
RESIGNED = datetime.date(2026, 12, 1)
LAST_DAY = datetime.date(2026, 12, 31)
State = ResignationEvent.State


def _login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def hr_client(people, client):
    return _login(client, "hr")


def _text(response) -> str:
    return unescape(response.content.decode())


def _employee(number) -> Employee:
    return Employee.objects.get(employee_number=number)


def _template(slug="sales", language="en") -> ChecklistTemplatePage:
    return ChecklistTemplatePage.objects.get(slug=slug, locale__language_code=language)


def _receive(number="E0005", *, mode="propose", external_id=None, **fields):
    fields.setdefault("resignation_date", RESIGNED)
    fields.setdefault("last_working_day", LAST_DAY)
    return services.resignation_receive(
        notice=services.ResignationNotice(
            source=fields.pop("source", ResignationEvent.Source.WEBHOOK),
            external_id=external_id or f"evt-{number}-{fields['last_working_day']}",
            employee=services.EmployeeLookup(number=number),
            reason=fields.pop("reason", "Moving abroad"),
            **fields,
        ),
        mode=mode,
    )


def _main_menu(response) -> str:
    match = re.search(
        r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return unescape(unescape(match.group(1)))


# The queue ----------------------------------------------------------------------------


def test_the_intake_menu_counts_the_proposals_waiting_for_hr(hr_client, people):
    _receive("E0005")
    _receive("E0007")

    menu = _main_menu(hr_client.get("/admin/"))

    assert "Intake (2 waiting)" in menu


def test_people_without_hr_rights_do_not_see_the_queue(people, client):
    event = _receive("E0005").event
    _login(client, "it")

    assert "Intake" not in _main_menu(client.get("/admin/"))
    for url in (
        QUEUE_URL,
        f"{QUEUE_URL}{event.pk}/change/",
        f"{QUEUE_URL}{event.pk}/dismiss/",
        BULK_URL,
    ):
        assert client.get(url).status_code == 404
    assert client.post(f"{QUEUE_URL}{event.pk}/start/").status_code == 404
    event.refresh_from_db()
    assert event.state == State.PROPOSED


def test_the_queue_shows_each_event_its_plan_and_its_refusal(hr_client, people):
    proposed = _receive("E0005").event
    refused = _receive("E9999").event  # nobody has this number

    page = _text(hr_client.get(QUEUE_URL))

    assert "Chen Fang (E0005)" in page
    assert "Proposed" in page
    assert "Template “Sales handover”" in page  # the plan, and why
    assert reverse("intake:start", args=[proposed.pk]) in page
    assert reverse("intake:change", args=[proposed.pk]) in page
    assert "Unknown (number: E9999)" in page
    assert "No employee matches employee number “E9999”." in page
    assert "Start by hand" in page
    assert refused.state == State.REFUSED


def test_the_queue_filters_by_state_and_source_and_searches_employees(
    hr_client, people
):
    _receive("E0005")
    _receive("E0007", source=ResignationEvent.Source.DIRECTORY)
    _receive("E9999")

    proposed = _text(hr_client.get(QUEUE_URL, {"state": "proposed"}))
    from_directory = _text(hr_client.get(QUEUE_URL, {"source": "directory"}))
    by_name = _text(hr_client.get(QUEUE_URL, {"q": "yang"}))

    assert "Chen Fang (E0005)" in proposed and "E9999" not in proposed
    assert "Yang Jing (E0007)" in from_directory
    assert "Chen Fang (E0005)" not in from_directory
    assert "Yang Jing (E0007)" in by_name and "Chen Fang" not in by_name


def test_one_click_starts_a_proposal_as_planned(hr_client, people):
    event = _receive("E0005").event

    response = hr_client.post(reverse("intake:start", args=[event.pk]), follow=True)

    event.refresh_from_db()
    assert event.state == State.STARTED
    assert event.decided_by == people["hr"]
    handover = event.handover
    assert handover.state == Handover.State.IN_PROGRESS
    assert handover.template == _template()
    assert f"Handover {handover.number} started for Chen Fang." in _text(response)
    assert "Handover " in _text(hr_client.get(QUEUE_URL))


def test_change_shows_the_plan_then_starts_with_what_hr_chose(hr_client, people):
    event = _receive("E0005").event
    change_url = reverse("intake:change", args=[event.pk])

    form = _text(hr_client.get(change_url))
    response = hr_client.post(
        change_url,
        {
            "last_working_day": "2027-01-15",
            "template": _template().pk,
            "successors": [people["hrhead"].pk],
            "manager": "",
        },
    )

    assert "The plan, and why" in form
    assert 'value="2026-12-31"' in form
    assert "Jing Yang (successor)" in form  # the planned successor, chosen
    assert response.status_code == 302
    event.refresh_from_db()
    handover = event.handover
    assert handover.last_working_day == datetime.date(2027, 1, 15)
    successors = handover.participants.filter(role=ParticipantRole.SUCCESSOR)
    assert [p.user.username for p in successors] == ["hrhead"]


def test_dismiss_needs_a_reason_and_starts_nothing(hr_client, people):
    event = _receive("E0005").event
    dismiss_url = reverse("intake:dismiss", args=[event.pk])

    without_reason = hr_client.post(dismiss_url, {"reason": ""})
    with_reason = hr_client.post(dismiss_url, {"reason": "Withdrew the resignation"})

    assert without_reason.status_code == 400
    assert with_reason.status_code == 302
    event.refresh_from_db()
    assert event.state == State.DISMISSED
    assert event.decision_note == "Withdrew the resignation"
    assert not Handover.objects.filter(employee__employee_number="E0005").exists()
    assert "Withdrew the resignation" in _text(hr_client.get(QUEUE_URL))


def test_a_refused_event_starts_by_hand_with_what_it_said(hr_client, people):
    # Given an open handover already (the demo's, for dev) and one unknown.
    already = _receive("E0006").event
    unknown = _receive("E9999").event

    page = _text(hr_client.get(QUEUE_URL))
    by_hand = hr_client.get(
        f"{START_URL}?resignation_date=2026-12-01&last_working_day=2026-12-31"
    )

    assert "Liu Lei already has an open handover." in page
    # A known employee: the event's own form; an unknown one: the start form.
    assert reverse("intake:change", args=[already.pk]) in page
    assert unknown.employee_id is None
    assert f"{START_URL}?resignation_date=2026-12-01&last_working_day=2026-12-31" in (
        page
    )
    assert 'value="2026-12-31"' in by_hand.content.decode()


def test_a_decided_event_offers_nothing_more(hr_client, people):
    event = _receive("E0005").event
    hr_client.post(reverse("intake:start", args=[event.pk]))

    again = hr_client.post(reverse("intake:start", args=[event.pk]), follow=True)
    change = hr_client.get(reverse("intake:change", args=[event.pk]), follow=True)

    assert "This event was already decided: Handover started." in _text(again)
    assert "This event was already decided: Handover started." in _text(change)
    assert Handover.objects.filter(employee__employee_number="E0005").count() == 1


def test_the_queue_downloads_as_a_spreadsheet(hr_client, people):
    _receive("E0005", reason="=HYPERLINK(1)")
    _receive("E9999")

    response = hr_client.get(QUEUE_URL, {"export": "csv"})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Received", "Source", "Connector", "Event id"]
    by_number = {row[4]: row for row in rows[1:]}
    assert by_number["E0005"][8] == "'=HYPERLINK(1)"  # never a formula
    assert "Refused" in {row[9] for row in rows[1:]}


# Start rules and the start form -------------------------------------------------------


def test_start_rules_list_in_priority_order_with_what_they_give(hr_client, people):
    StartRule.objects.create(
        name="Everyone else", priority=900, is_fallback=True, language="en"
    )
    StartRule.objects.create(
        name="Sales team",
        priority=10,
        role=_employee("E0005").role,
        successor_policy=StartRule.SuccessorPolicy.MANAGER_CHOICE,
        manager_choice_days=5,
        due_offset_days=3,
        language="en",
    )

    page = _text(hr_client.get(reverse("wagtailsnippets_cms_startrule:list")))

    assert page.index("Sales team") < page.index("Everyone else")
    assert "Role: Sales" in page
    assert "the manager picks the successor within 5 days" in page
    assert "due 3 days before the last working day" in page
    assert "Anyone no other rule matches (fallback)" in page


def test_suggest_explains_every_decision_before_the_start(hr_client, people):
    StartRule.objects.create(
        name="Sales team",
        priority=10,
        role=_employee("E0005").role,
        template=_template(),
        successor_policy=StartRule.SuccessorPolicy.NAMED,
        successor=people["manager"],
        due_offset_days=5,
        language="en",
    )

    response = hr_client.post(
        START_URL,
        {"employee": _employee("E0005").pk, "last_working_day": "2026-12-31"},
    )

    page = _text(response)
    assert "What the start rules give, and why" in page
    assert "Rule “Sales team” (priority 10) applies to Chen Fang: role Sales." in page
    assert "Template “Sales handover”, set by rule “Sales team”." in page
    assert "Successor Wei Zhang, named by rule “Sales team”." in page
    assert "Every item is due 5 days before the last working day" in page


def test_a_manual_start_applies_the_rules_due_dates(hr_client, people):
    StartRule.objects.create(name="All", priority=1, due_offset_days=4, language="en")

    hr_client.post(
        START_URL,
        {
            "employee": _employee("E0005").pk,
            "template": _template().pk,
            "successors": [people["successor"].pk],
            "last_working_day": "2026-12-31",
        },
    )

    handover = Handover.objects.get(employee__employee_number="E0005")
    assert set(handover.items.values_list("due_date", flat=True)) == {
        datetime.date(2026, 12, 27)
    }


def test_a_manual_start_leaves_the_successor_to_the_manager_when_the_rule_says_so(
    hr_client, people
):
    StartRule.objects.create(
        name="Managers pick",
        priority=1,
        successor_policy=StartRule.SuccessorPolicy.MANAGER_CHOICE,
        language="en",
    )

    response = hr_client.post(
        START_URL,
        {
            "employee": _employee("E0005").pk,
            "template": _template().pk,
            "last_working_day": "2026-12-31",
        },
        follow=True,
    )

    handover = Handover.objects.get(employee__employee_number="E0005")
    assert handover.state == Handover.State.DRAFT
    assert "waits for Wei Zhang to pick the successor" in _text(response)
    event = handover.resignation_events.get()
    assert event.source == ResignationEvent.Source.ADMIN


# Bulk start ---------------------------------------------------------------------------


def _csv_upload(rows, name="leavers.csv"):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"), "text/csv")


def _xlsx_upload(rows, name="leavers.xlsx"):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


HEADINGS = [
    "Employee number or email",
    "Last working day",
    "Resignation date",
    "Template",
    "Successor",
    "Manager",
    "Reason",
]
GOOD_AND_BAD = [
    HEADINGS,
    ["E0005", "2026-12-31", "2026-12-01", "sales@en", "successor", "", "New job"],
    ["successor@baton.example", "2026-12-20", "", "", "", "manager", ""],
    ["E9999", "2026-12-31", "", "", "", "", ""],
    ["E0006", "2026-12-31", "", "", "", "", ""],  # dev: open already
    ["hr@baton.example", "2026-11-30", "2026-12-01", "", "", "", ""],
    ["hrhead@baton.example", "31.12.2026", "", "", "nobody-here", "", ""],
]


def _preview(client, upload):
    response = client.post(BULK_URL, {"spreadsheet": upload})
    assert response.status_code == 302, _text(response)
    return response.url, _text(client.get(response.url))


def _row(page: str, line: int) -> str:
    return re.search(rf'<tr data-line="{line}".*?</tr>', page, re.S).group(0)


def test_a_spreadsheet_is_previewed_row_by_row_before_anything_starts(
    hr_client, people
):
    _url, page = _preview(hr_client, _csv_upload(GOOD_AND_BAD))

    assert not Handover.objects.filter(employee__employee_number="E0005").exists()
    chen = _row(page, 2)
    assert "Chen Fang (E0005)" in chen
    assert "Sales handover (English)" in chen
    assert "Jing Yang (successor)" in chen
    assert "Ready" in chen
    assert "Yang Jing (E0007)" in _row(page, 3)
    assert "Ready" in _row(page, 3)
    assert "No employee matches employee number “E9999”." in _row(page, 4)
    assert "Liu Lei already has an open handover." in _row(page, 5)
    assert "is before the resignation date" in _row(page, 6)
    bad_row = _row(page, 7)
    assert "“31.12.2026” is not a date" in bad_row
    assert "Successor “nobody-here”: no active user" in bad_row
    assert "Start 2 handovers" in page
    assert "2 rows can start" in page and "4 rows are refused" in page


def test_starting_a_bulk_starts_the_good_rows_and_records_the_refused(
    hr_client, people
):
    preview_url, _page = _preview(hr_client, _csv_upload(GOOD_AND_BAD))

    response = hr_client.post(preview_url)
    results = _text(hr_client.get(response.url))
    again = hr_client.post(preview_url)  # a second click starts nothing more

    chen = Handover.objects.get(employee__employee_number="E0005")
    yang = Handover.objects.get(employee__employee_number="E0007")
    assert chen.template == _template()
    assert {p.user.username for p in chen.participants.filter(role="successor")} == {
        "successor"
    }
    assert {p.user.username for p in yang.participants.filter(role="manager")} == {
        "manager"
    }
    assert not Handover.objects.filter(employee__employee_number="E0003").exists()
    assert again.status_code == 302
    assert Handover.objects.filter(employee__employee_number="E0005").count() == 1
    assert chen.number in _row(results, 2) and "Handover started" in _row(results, 2)
    assert "Not started" in _row(results, 4)
    assert "2 handovers started" in results and "4 rows did not start" in results
    refused = ResignationEvent.objects.filter(
        source=ResignationEvent.Source.BULK, state=State.REFUSED
    )
    assert refused.count() == 4
    assert refused.filter(refusal_code="malformed").count() == 1


def test_an_xlsx_spreadsheet_with_chinese_headings_reads_the_same(hr_client, people):
    rows = [
        ["工号", "最后工作日", "继任者"],
        ["E0005", datetime.datetime(2026, 12, 31), "successor"],
    ]

    _url, page = _preview(hr_client, _xlsx_upload(rows))

    chen = _row(page, 2)
    assert "Chen Fang (E0005)" in chen and "Ready" in chen
    assert "Jing Yang (successor)" in chen


def test_a_file_that_is_not_a_list_of_leavers_is_refused_on_the_form(hr_client):
    no_employee_column = _csv_upload([["Name", "Last working day"], ["x", "y"]])
    not_a_spreadsheet = SimpleUploadedFile("leavers.xlsx", b"not a zip file")
    wrong_type = SimpleUploadedFile("leavers.pdf", b"%PDF-1.4")

    for upload, message in (
        (no_employee_column, "No column for the employee"),
        (not_a_spreadsheet, "not a spreadsheet Baton can read"),
        (wrong_type, "File extension “pdf” is not allowed."),
    ):
        response = hr_client.post(BULK_URL, {"spreadsheet": upload})
        assert response.status_code == 400
        assert message in _text(response)


def test_the_sample_spreadsheet_has_the_headings_bulk_start_reads(hr_client):
    response = hr_client.get(reverse("intake:bulk_sample"), {"export": "csv"})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == HEADINGS


def test_the_employees_list_starts_handovers_for_a_selection(hr_client, people):
    chen, dev = _employee("E0005"), _employee("E0006")
    action_url = (
        reverse("wagtail_bulk_action", args=["cms", "employee", "start_handovers"])
        + f"?id={chen.pk}&id={dev.pk}"
    )

    confirm = hr_client.get(action_url)
    preview = hr_client.post(
        action_url, {"last_working_day": "2026-12-31", "resignation_date": ""}
    )
    page = _text(hr_client.get(preview.url))
    hr_client.post(preview.url)

    assert "Start handovers" in _text(confirm)
    assert "Ready" in _row(page, 1)  # Chen Fang, first by name
    assert "Liu Lei already has an open handover." in _row(page, 2)
    started = Handover.objects.get(employee=chen)
    assert started.last_working_day == LAST_DAY
    assert Handover.objects.filter(employee=dev).count() == 1


def test_bulk_start_is_offered_on_the_handover_and_employee_lists(hr_client):
    handovers = _text(hr_client.get("/admin/handovers/"))
    employees = _text(hr_client.get(reverse("wagtailsnippets_cms_employee:list")))

    assert BULK_URL in handovers and "Bulk start" in handovers
    assert BULK_URL in employees and "Start handovers" in employees


# Employee records ---------------------------------------------------------------------


def test_what_hr_types_on_an_employee_is_theirs(hr_client, people):
    chen = _employee("E0005")
    url = reverse("wagtailsnippets_cms_employee:edit", args=[chen.pk])

    hr_client.post(
        url,
        {
            "employee_number": "E0005",
            "name": "Chen Fang",
            "department": chen.department_id,
            "position": "Head of key accounts",
            "role": chen.role_id,
            "manager": chen.manager_id,
            "backup": "",
            "hire_date": "2021-03-01",
            "status": "active",
            "work_email": chen.work_email,
            "work_phone": "",
            "directory_id": "",
            "user": chen.user_id,
        },
    )

    chen.refresh_from_db()
    assert chen.position == "Head of key accounts"
    assert chen.provenance["position"]["source"] == "person"
    assert chen.provenance["position"]["by"] == people["hr"].pk
    assert "name" not in chen.provenance  # unchanged, still the directory's


def test_the_archive_shows_what_the_directory_says_instead(hr_client, people):
    chen = _employee("E0005")
    chen.provenance = {
        "position": {
            "source": "person",
            "by": people["hr"].pk,
            "directory_value": "Sales specialist",
        }
    }
    chen.save(update_fields=["provenance"])

    page = _text(
        hr_client.get(reverse("wagtailsnippets_cms_employee:inspect", args=[chen.pk]))
    )

    assert "The directory says otherwise" in page
    assert "Directory says: Sales specialist" in page
    assert "Key account manager" in page


# The manager's pick -------------------------------------------------------------------


@pytest.fixture
def waiting_for_pick(people):
    """Chen Fang's handover, left to her manager (`manager`) to name the
    successor: a draft."""
    StartRule.objects.create(
        name="Managers pick",
        priority=1,
        successor_policy=StartRule.SuccessorPolicy.MANAGER_CHOICE,
        manager_choice_days=3,
        language="en",
    )
    outcome = _receive("E0005", mode="start")
    assert outcome.handover.state == Handover.State.DRAFT
    return outcome.handover


def test_the_manager_picks_the_successor_and_the_handover_starts(
    people, client, waiting_for_pick
):
    pick_url = reverse("participant:successor_pick", args=[waiting_for_pick.pk])
    _login(client, "manager")

    page = _text(client.get(pick_url))
    found = client.get(
        reverse("participant:successor_search", args=[waiting_for_pick.pk]),
        {"q": "yang"},
    ).json()["results"]
    response = client.post(pick_url, {"successor": people["successor"].pk})

    assert "Who takes over from Fang Chen?" in page
    assert "Same department (Sales) and role (Sales)." in page  # a suggestion
    assert [person["text"] for person in found] == ["Jing Yang (successor)"]
    assert response.status_code == 302
    waiting_for_pick.refresh_from_db()
    assert waiting_for_pick.state == Handover.State.IN_PROGRESS
    assert waiting_for_pick.participants.filter(
        user=people["successor"], role=ParticipantRole.SUCCESSOR
    ).exists()


def test_only_the_manager_may_pick_and_only_colleagues(
    people, client, waiting_for_pick
):
    pick_url = reverse("participant:successor_pick", args=[waiting_for_pick.pk])
    search_url = reverse("participant:successor_search", args=[waiting_for_pick.pk])

    for username in ("sales", "successor", "hr", "it"):
        _login(client, username)
        assert client.get(pick_url).status_code == 404
        assert client.get(search_url, {"q": "yang"}).status_code == 404
        client.logout()
    _login(client, "manager")
    not_a_colleague = client.post(pick_url, {"successor": people["it"].pk})
    the_leaver = client.post(pick_url, {"successor": people["sales"].pk})
    nobody_from_it = client.get(search_url, {"q": "zhao"}).json()["results"]

    assert not_a_colleague.status_code == 400
    assert "Choose a colleague from the list." in _text(not_a_colleague)
    assert the_leaver.status_code == 400
    assert nobody_from_it == []
    waiting_for_pick.refresh_from_db()
    assert waiting_for_pick.state == Handover.State.DRAFT
