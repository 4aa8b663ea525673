"""Every admin list downloads as XLSX and CSV: with the list's filters, the same
rows as the page, translated headings, cells safe against formula injection,
times in the company time zone, no secrets, the list's permissions, and a
constant number of queries whatever the number of rows."""

import csv
import datetime
import io
import re
from html import unescape

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from wagtail.users.models import UserProfile

from cms.auth.tokens import token_create
from cms.exports import safe_cell, spreadsheet_response
from cms.models import Department, Employee, Handover, Item, Role
from cms.selectors import handover_progress
from connectors.models import (
    AccessAction,
    AccessGrant,
    ConnectorConfig,
    ResidualAccess,
    SyncRun,
    Transfer,
)
from tests.connectors.helpers import admin_user
from tests.fixtures.handovers import PASSWORD

pytestmark = pytest.mark.django_db

HANDOVERS = "/admin/handovers/"
HANDOVER_HEADINGS = [
    "Handover number",
    "Employee",
    "Employee number",
    "Department",
    "Template",
    "State",
    "Resignation date",
    "Last working day",
    "Started at",
    "Completed at",
    "Items done",
    "Items in total",
    "Done (%)",
    "Overdue",
]
FORMULAS = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tcmd"]
NUMBER = re.compile(r"HO-\d{4}-\d{5}")


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _export_url(url: str, fmt: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}export={fmt}"


def _sheet(response, fmt: str) -> list[list]:
    """The downloaded file as rows of cell values, headings first."""
    assert response.status_code == 200, response.content[:500]
    assert "attachment" in response["Content-Disposition"]
    if fmt == "csv":
        assert response.content.startswith("\ufeff".encode())
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def _cells(response) -> list[list]:
    """Like ``_sheet``, keeping openpyxl's cells (value and type) for XLSX."""
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(row) for row in workbook.active.iter_rows()]


def _download(client, url: str, fmt: str) -> list[list]:
    return _sheet(client.get(_export_url(url, fmt)), fmt)


def _column(sheet: list[list], heading: str) -> list:
    index = sheet[0].index(heading)
    return [row[index] for row in sheet[1:]]


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return unescape(response.content.decode())


def _every_text(sheet: list[list]) -> str:
    return "\n".join(str(value) for row in sheet for value in row)


@pytest.fixture
def hr(people, client):
    return _login(client, people["hr"])


@pytest.fixture
def it(people, client):
    return _login(client, people["it"])


@pytest.fixture
def completed_dev_handover(people):
    """The demo's engineering handover, marked completed."""
    handover = Handover.objects.get(employee__user__username="dev")
    Handover.objects.filter(pk=handover.pk).update(
        state=Handover.State.COMPLETED,
        completed_at=datetime.datetime(2026, 3, 1, 20, 30, tzinfo=datetime.UTC),
    )
    return Handover.objects.get(pk=handover.pk)


def _more_handovers(source: Handover, count: int) -> list[Handover]:
    """``count`` copies of ``source`` (items included) for new employees in a
    department of their own each, as a large company's list has them."""
    handovers = []
    items = list(source.items.all())
    first = Employee.objects.filter(employee_number__startswith="C").count()
    for number in range(first, first + count):
        department = Department.objects.create(
            code=f"copy-{number}", name=f"Copy department {number}"
        )
        role = Role.objects.create(code=f"copy-{number}", name=f"Copy role {number}")
        employee = Employee.objects.create(
            employee_number=f"C{number:04d}",
            name=f"Copy {number}",
            department=department,
            role=role,
            manager=source.employee.manager,
        )
        handover = Handover.objects.create(
            number=f"HO-2026-9{number:04d}",
            employee=employee,
            template=source.template,
            template_revision=source.template_revision,
            language=source.language,
            state=Handover.State.IN_PROGRESS,
            last_working_day=source.last_working_day,
            started_at=timezone.now(),
        )
        Item.objects.bulk_create(
            Item(
                handover=handover,
                block_id=item.block_id,
                section_block_id=item.section_block_id,
                section_title=item.section_title,
                position=item.position,
                kind=item.kind,
                label=item.label,
                definition=item.definition,
                data=item.data,
                state=item.state,
                required=item.required,
                filled_by_role=item.filled_by_role,
                confirmed_by_role=item.confirmed_by_role,
                evidence=item.evidence,
            )
            for item in items
        )
        handovers.append(handover)
    return handovers


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


# The handover list ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_hr_downloads_the_handovers_with_the_lists_filter(
    hr, sales_handover, completed_dev_handover, fmt
):
    # Given an open and a completed handover
    url = f"{HANDOVERS}?state=completed"

    # When HR downloads the list filtered to completed handovers
    sheet = _download(hr, url, fmt)

    # Then the file has the headings and exactly the page's rows
    assert sheet[0] == HANDOVER_HEADINGS
    page_numbers = set(NUMBER.findall(_page(hr, url)))
    assert set(_column(sheet, "Handover number")) == page_numbers
    assert page_numbers == {completed_dev_handover.number}
    row = dict(zip(sheet[0], sheet[1], strict=True))
    assert row["Employee"] == "Liu Lei"
    assert row["Employee number"] == "E0006"
    assert row["Department"] == "R&D"
    assert row["Template"] == completed_dev_handover.template.title
    assert row["State"] == "Completed"
    assert row["Overdue"] == "No"


def test_the_handover_export_without_filters_has_every_handover(
    hr, sales_handover, completed_dev_handover
):
    sheet = _download(hr, HANDOVERS, "csv")

    assert set(_column(sheet, "Handover number")) == set(
        Handover.objects.values_list("number", flat=True)
    )
    assert all(any(cell for cell in row) for row in sheet)


def test_the_handover_export_keeps_the_search(hr, sales_handover):
    sheet = _download(hr, f"{HANDOVERS}?q=Chen", "xlsx")

    assert _column(sheet, "Handover number") == [sales_handover.number]


def test_the_handover_export_counts_progress_and_overdue(hr, sales_handover):
    # Given one item of the sales handover accepted, and its last day passed
    item = sales_handover.items.order_by("position").first()
    Item.objects.filter(pk=item.pk).update(state=Item.State.ACCEPTED)
    Handover.objects.filter(pk=sales_handover.pk).update(
        last_working_day=timezone.localdate() - datetime.timedelta(days=3)
    )
    progress = handover_progress(handover=sales_handover)

    # When HR downloads the overdue handovers
    cells = _cells(hr.get(_export_url(f"{HANDOVERS}?overdue=yes", "xlsx")))

    # Then the counts are numbers, not text
    headings = [cell.value for cell in cells[0]]
    row = dict(zip(headings, cells[1], strict=True))
    assert row["Handover number"].value == sales_handover.number
    assert (row["Items done"].value, row["Items done"].data_type) == (1, "n")
    assert row["Items in total"].value == progress["total"] > 1
    assert row["Done (%)"].value == progress["percent"]
    assert row["Overdue"].value == "Yes"
    assert len(cells) == 2


def test_the_export_headings_follow_the_admin_language(people, hr, sales_handover):
    profile = UserProfile.get_for_user(people["hr"])
    profile.preferred_language = "zh-hans"
    profile.save()

    sheet = _download(hr, HANDOVERS, "xlsx")

    assert {"员工", "工号", "部门", "模板", "状态", "最后工作日"} <= set(sheet[0])
    assert "Employee" not in sheet[0]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("name", FORMULAS)
def test_a_formula_in_a_name_is_written_as_text(hr, sales_handover, name, fmt):
    # Given an employee whose name would run as a formula in a spreadsheet
    Employee.objects.filter(pk=sales_handover.employee_id).update(name=name)

    # When HR downloads the handovers and the employees
    handovers = _download(hr, HANDOVERS, fmt)
    employees = _download(hr, reverse("wagtailsnippets_cms_employee:list"), fmt)

    # Then the name starts with a quote: text, never a formula
    assert "'" + name in _column(handovers, "Employee")
    assert "'" + name in _column(employees, "Name")


def test_escaped_xlsx_cells_are_text_cells(hr, sales_handover):
    Employee.objects.filter(pk=sales_handover.employee_id).update(name="-2")

    cells = _cells(hr.get(_export_url(HANDOVERS, "xlsx")))

    names = [row[1] for row in cells[1:] if row[1].value == "'-2"]
    assert len(names) == 1
    assert names[0].data_type == "s"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_times_are_in_the_company_time_zone(hr, completed_dev_handover, fmt):
    # Given a handover completed at 20:30 UTC, 04:30 the next day in Shanghai
    sheet = _download(hr, f"{HANDOVERS}?state=completed", fmt)

    completed = _column(sheet, "Completed at")[0]

    local = datetime.datetime(2026, 3, 2, 4, 30)
    assert completed == (local if fmt == "xlsx" else "2026-03-02 04:30:00")


def test_the_handover_export_runs_the_same_queries_for_2_or_12_rows(
    hr, sales_handover, django_assert_max_num_queries
):
    # Given 2 handovers (the demo's and the sales one), then 12
    url = _export_url(HANDOVERS, "xlsx")
    hr.get(url)  # warm caches that are not per row (content types, sites)
    with_two = _queries(hr, url)
    _more_handovers(sales_handover, 10)

    # When the list is downloaded again, then it takes no more queries
    with django_assert_max_num_queries(with_two):
        response = hr.get(url)
    assert len(_sheet(response, "xlsx")) == 1 + 12
    assert _queries(hr, url) == with_two


def test_the_employee_export_runs_the_same_queries_for_few_or_many(hr, sales_handover):
    url = _export_url(reverse("wagtailsnippets_cms_employee:list"), "csv")
    hr.get(url)
    few = _queries(hr, url)
    _more_handovers(sales_handover, 10)

    assert _queries(hr, url) == few


# The other lists -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_hr_downloads_the_employees_as_the_page_lists_them(hr, fmt):
    # Given one employee who has left
    Employee.objects.filter(employee_number="E0006").update(status=Employee.Status.LEFT)
    url = reverse("wagtailsnippets_cms_employee:list") + "?status=active"

    sheet = _download(hr, url, fmt)

    assert sheet[0] == [
        "Employee number",
        "Name",
        "Department",
        "Position",
        "Role",
        "Manager",
        "Work email",
        "Work phone",
        "Status",
        "Hire date",
        "Directory id",
    ]
    names = _column(sheet, "Name")
    page = _page(hr, url)
    assert names and all(name in page for name in names)
    assert "Liu Lei" not in names
    assert set(names) == set(
        Employee.objects.filter(status="active").values_list("name", flat=True)
    )
    chen = dict(zip(sheet[0], sheet[1 + names.index("Chen Fang")], strict=True))
    assert chen["Department"] == "Sales"
    assert chen["Role"] == "Sales"
    assert chen["Manager"] == "Zhang Wei (E0002)"
    assert chen["Status"] == "Active"
    hire = datetime.date(2021, 3, 1)
    assert chen["Hire date"] in ("2021-03-01", datetime.datetime(2021, 3, 1), hire)


@pytest.mark.parametrize(
    ("url_name", "expected"),
    [
        ("wagtailsnippets_cms_role:list", ["Sales", "engineer", "Any employee."]),
        ("wagtailsnippets_cms_department:list", ["Human Resources", "rnd", "hrhead"]),
    ],
)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_hr_downloads_roles_and_departments(hr, url_name, expected, fmt):
    sheet = _download(hr, reverse(url_name), fmt)

    text = _every_text(sheet)
    assert all(value in text for value in expected)
    assert len(sheet) > 2


@pytest.fixture
def connector_work(people, sales_handover):
    """A sync run, a failed write-back, access changes, a suspended account and
    a residual finding, around the sales handover."""
    crm = ConnectorConfig.objects.get(slug="crm")
    run = SyncRun.objects.create(
        connector=crm,
        handover=sales_handover,
        trigger=SyncRun.Trigger.MANUAL,
        state=SyncRun.State.FAILED,
        started_at=datetime.datetime(2026, 3, 1, 20, 30, tzinfo=datetime.UTC),
        errors=[{"message": "=cmd|' /C calc'!A0"}],
    )
    item = sales_handover.items.order_by("position").first()
    transfer = Transfer.objects.create(
        item=item,
        handover=sales_handover,
        connector=crm,
        external_id="deal-42",
        successor=people["successor"],
        preview="Deal 42 to Yang Jing",
        state=Transfer.State.FAILED,
        error="Upstream said no",
    )
    grant = AccessGrant.objects.create(
        handover=sales_handover,
        system="Mail",
        kind=AccessGrant.Kind.ACCOUNT,
        account_id="chen.fang",
        state=AccessGrant.State.SUSPENDED,
        suspended_at=timezone.now(),
    )
    failed = AccessAction.objects.create(
        grant=grant,
        handover=sales_handover,
        operation=AccessAction.Operation.MANUAL,
        description="Close the mailbox",
        scheduled_for=timezone.now(),
        state=AccessAction.State.FAILED,
        error="Mailbox locked",
    )
    # The queue says each change in the reader's language from its grant.
    forward = AccessGrant.objects.create(
        handover=sales_handover,
        system="Mail",
        kind=AccessGrant.Kind.ACCOUNT,
        account_id="chen.fang-forwarding",
    )
    planned = AccessAction.objects.create(
        grant=forward,
        handover=sales_handover,
        operation=AccessAction.Operation.MANUAL,
        description="Forward the mail",
        scheduled_for=timezone.now(),
    )
    finding = ResidualAccess.objects.create(
        grant=grant, checked_at=timezone.now(), days_after=1, active=True
    )
    return {
        "run": run,
        "transfer": transfer,
        "grant": grant,
        "failed": failed,
        "planned": planned,
        "finding": finding,
    }


IT_LISTS = [
    ("wagtailsnippets_connectors_connectorconfig:list", "CRM (sample)"),
    ("sync_runs:index", "CRM (sample)"),
    ("write_backs:index", "Deal 42 to Yang Jing"),
    ("connectors_access_queue", "Mail (by hand): revoke chen.fang"),
    ("connectors_access_suspended", "chen.fang"),
    ("connectors_access_residual", "chen.fang"),
    ("cms_api_tokens", "it"),
]


@pytest.mark.parametrize(("url_name", "expected"), IT_LISTS)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_downloads_its_lists(people, it, connector_work, url_name, expected, fmt):
    token_create(user=people["it"])
    url = reverse(url_name)

    sheet = _download(it, url, fmt)

    assert all(sheet[0])
    assert len(sheet) > 1
    assert expected in _every_text(sheet[1:])
    assert expected in _page(it, url)


@pytest.mark.parametrize("url_name", [name for name, _expected in IT_LISTS])
def test_every_it_list_offers_the_two_downloads(people, it, connector_work, url_name):
    page = _page(it, reverse(url_name))

    assert "Download XLSX" in page
    assert "Download CSV" in page
    assert "export=xlsx" in page
    assert "export=csv" in page


def test_the_handover_list_offers_the_downloads_with_its_filters(hr):
    page = _page(hr, f"{HANDOVERS}?state=in_progress")

    assert "Download XLSX" in page
    assert f"{HANDOVERS}?state=in_progress&export=xlsx" in page


def test_the_sync_log_export_has_local_times_and_escaped_errors(it, connector_work):
    sheet = _download(it, reverse("sync_runs:index") + "?state=failed", "csv")

    row = dict(zip(sheet[0], sheet[1], strict=True))
    assert row["Started"] == "2026-03-02 04:30:00"
    assert row["State"] == "Failed"
    assert row["Trigger"] == "Run by hand"
    assert row["Errors"].startswith("[")
    assert len(sheet) == 2


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_it_queue_export_keeps_its_filters(it, connector_work, fmt):
    url = reverse("connectors_access_queue") + "?state=failed"

    sheet = _download(it, url, fmt)

    assert [change.strip(" .") for change in _column(sheet, "Change")] == [
        "Mail (by hand): revoke chen.fang"
    ]
    assert _column(sheet, "Error") == ["Mailbox locked"]
    assert "chen.fang-forwarding" not in _page(it, url)


def test_the_residual_export_keeps_show_all(it, connector_work):
    ResidualAccess.objects.create(
        grant=connector_work["grant"],
        checked_at=timezone.now(),
        days_after=30,
        active=False,
    )
    url = reverse("connectors_access_residual")

    assert len(_download(it, url, "csv")) == 2
    assert len(_download(it, url + "?all=1", "csv")) == 3


# Secrets and permissions ---------------------------------------------------------


def test_no_secret_and_no_token_is_ever_exported(people, it, connector_work):
    # Given a connector with a stored secret and a live API token
    crm = ConnectorConfig.objects.get(slug="crm")
    crm.set_secrets({"webhook_secret": "hook-secret-987"})
    crm.save()
    record, token = token_create(user=people["hr"])
    forbidden = ["hook-secret-987", crm.secrets_ciphertext, token, record.digest]

    # When IT downloads every list it can
    files = [
        it.get(_export_url(reverse(url_name), fmt)).content
        for url_name, _expected in IT_LISTS
        for fmt in ("csv", "xlsx")
    ]
    texts = [
        _every_text(_sheet(it.get(_export_url(reverse(url_name), fmt)), fmt))
        for url_name, _expected in IT_LISTS
        for fmt in ("csv", "xlsx")
    ]

    # Then neither the secret nor the token (nor its hash) is in any file
    for secret in forbidden:
        assert all(secret.encode() not in content for content in files)
        assert all(secret not in text for text in texts)
    assert all(record.token_key not in text for text in texts)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_gets_404_for_the_handover_export(it, sales_handover, fmt):
    response = it.get(_export_url(HANDOVERS, fmt))

    assert response.status_code == 404
    assert "attachment" not in response.get("Content-Disposition", "")


@pytest.mark.parametrize(
    "url_name",
    [
        "connectors_access_queue",
        "connectors_access_suspended",
        "connectors_access_residual",
        "cms_api_tokens",
    ],
)
def test_an_admin_user_without_it_rights_gets_404_for_it_exports(
    people, client, connector_work, url_name
):
    _login(client, admin_user(people["manager"]))

    response = client.get(_export_url(reverse(url_name), "csv"))

    assert response.status_code == 404
    assert client.get(_export_url(HANDOVERS, "xlsx")).status_code == 404


@pytest.mark.parametrize(
    "url_name",
    [
        "wagtailsnippets_connectors_connectorconfig:list",
        "sync_runs:index",
        "write_backs:index",
    ],
)
def test_connector_lists_refuse_the_export_as_they_refuse_the_page(
    people, client, connector_work, url_name
):
    _login(client, admin_user(people["manager"]))
    url = reverse(url_name)

    page = client.get(url)
    export = client.get(_export_url(url, "csv"))

    assert page.status_code == export.status_code == 302
    assert "attachment" not in export.get("Content-Disposition", "")


def test_a_plain_employee_gets_no_file(people, client, sales_handover):
    _login(client, people["sales"])

    for url in [HANDOVERS, reverse("connectors_access_queue")]:
        response = client.get(_export_url(url, "csv"))
        assert response.status_code in (302, 404)
        assert "attachment" not in response.get("Content-Disposition", "")


# The helper itself ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+86 138", "'+86 138"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Chen Fang", "Chen Fang"),
        ("'=already", "'=already"),
        (-2, -2),
        (1.5, 1.5),
        (None, None),
        (datetime.date(2026, 3, 2), datetime.date(2026, 3, 2)),
        (
            datetime.datetime(2026, 3, 1, 20, 30, tzinfo=datetime.UTC),
            datetime.datetime(2026, 3, 2, 4, 30),
        ),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_safe_cell_escapes_lazy_translations():
    assert safe_cell(gettext_lazy("=HYPERLINK")) == "'=HYPERLINK"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_spreadsheet_response_keeps_numbers_numbers(fmt):
    response = spreadsheet_response(
        filename="figures",
        headings=["名称", "Value"],
        rows=[["-2", -2], ["平均", 1.5]],
        fmt=fmt,
    )

    sheet = _sheet(response, fmt)
    today = timezone.localdate().isoformat()
    assert f'filename="figures-{today}.{fmt}"' in response["Content-Disposition"]
    assert sheet[0] == ["名称", "Value"]
    if fmt == "xlsx":
        assert sheet[1:] == [["'-2", -2], ["平均", 1.5]]
    else:
        assert sheet[1:] == [["'-2", "-2"], ["平均", "1.5"]]
