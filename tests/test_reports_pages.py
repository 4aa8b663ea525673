"""Baton's dashboard and report pages as people see them: HR and IT on the
Wagtail admin home and under Reports, managers on the participant site, and
everyone else turned away. The downloads hold exactly the page's table."""

import csv
import datetime
import io
import json
import re
from html import unescape
from urllib.parse import urlsplit

import lxml.html
import openpyxl
import pytest
from django.utils import timezone, translation
from wagtail import hooks
from wagtail.users.models import UserProfile

from cms.admin_views.filters import HANDOVER_LIST_FILTERS_HOOK
from cms.models import (
    Certificate,
    ChecklistTemplatePage,
    Department,
    Employee,
    Handover,
    Item,
    Role,
)
from cms.services import handover_start
from reports.figures import REPORTS, dashboard_for
from tests.fixtures.handovers import PASSWORD

ADMIN_REPORT = "/admin/reports/baton/{}/"
SITE_REPORT = "/en/reports/{}/"
SITE_INDEX = "/en/reports/"
# The handover lists the dashboard links to, and how many rows each shows.
LIST_PATHS = ("/admin/handovers/", "/admin/access/", "/admin/access/residual/")
IT_REPORTS = {"access", "connectors"}
MANAGER_REPORTS = {"cycle-time", "acceptance", "questions", "access", "workload"}
# Days from the start to the certificate of the three finished handovers.
CYCLE_DAYS = {"sales": 10, "sales2": 2, "rnd": 4}


# Given ---------------------------------------------------------------------------


def _signed_in(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def team(people, user_factory):
    """Three more people reporting to `manager`: two in Sales, one in R&D."""
    boss = Employee.objects.get(user=people["manager"])
    specs = {
        "sales": ("E1001", "Gao Yan", "sales", "sales"),
        "sales2": ("E1002", "Hu Lan", "sales", "sales"),
        "rnd": ("E1003", "Ma Tao", "rnd", "engineer"),
    }
    team = {}
    for key, (number, name, department, role) in specs.items():
        user = user_factory(username=f"team-{key}")
        user.set_password(PASSWORD)
        user.save()
        team[key] = Employee.objects.create(
            employee_number=number,
            name=name,
            department=Department.objects.get(code=department),
            role=Role.objects.get(code=role),
            manager=boss,
            user=user,
        )
    return team


def _start(people, employee, *, last_working_day, draft=False) -> Handover:
    return handover_start(
        actor=people["hr"],
        employee=employee,
        template=ChecklistTemplatePage.objects.get(
            slug="sales", locale__language_code="en"
        ),
        resignation_date=None,
        last_working_day=last_working_day,
        successors=[people["successor"]],
        manager=people["manager"],
        it_users=[people["it"]],
        draft=draft,
    )


def _finished(people, employee, *, days: int, issued: datetime.datetime) -> Handover:
    """A completed handover whose certificate came ``days`` after its start."""
    handover = _start(people, employee, last_working_day=timezone.localdate(issued))
    started = issued - datetime.timedelta(days=days)
    Handover.objects.filter(pk=handover.pk).update(
        state=Handover.State.COMPLETED,
        started_at=started,
        review_started_at=issued - datetime.timedelta(hours=2),
        completed_at=issued,
    )
    handover.items.update(state=Item.State.ACCEPTED)
    Certificate.objects.create(
        handover=handover,
        code=f"TEST-{handover.pk:04d}",
        language="en",
        pdf=f"certificates/test-{handover.pk}.pdf",
        pdf_sha256="0" * 64,
        root_hash="0" * 64,
        issued_at=issued,
    )
    return handover


@pytest.fixture
def history(people, team):
    """Three handovers finished this month (10, 2 and 4 days from start to
    certificate), and open ones: late, due this week, a draft not started,
    one with an item returned with a question."""
    now = timezone.now()
    today = timezone.localdate()
    for key, days in CYCLE_DAYS.items():
        _finished(
            people, team[key], days=days, issued=now - datetime.timedelta(hours=1)
        )
    late = _start(
        people,
        Employee.objects.get(user=people["sales"]),
        last_working_day=today - datetime.timedelta(days=2),
    )
    returned = late.items.order_by("position").first()
    late.items.filter(pk=returned.pk).update(state=Item.State.RETURNED)
    _start(people, team["sales2"], last_working_day=today - datetime.timedelta(days=12))
    _start(
        people,
        team["sales"],
        last_working_day=today + datetime.timedelta(days=9),
        draft=True,
    )
    return team


@pytest.fixture
def hr(client, people):
    return _signed_in(client, "hr")


# Reading the pages ------------------------------------------------------------------


def _html(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.content.decode())


def _table(response) -> tuple[list[str], list[list[str]]]:
    """The report table's headings and each row's plain values."""
    tables = _html(response).xpath("//table[@data-report-table]")
    assert tables, "the page shows no report table"
    table = tables[0]
    headings = [th.text_content().strip() for th in table.xpath("./thead/tr/th")]
    rows = [
        [cell.get("data-value") for cell in row.xpath("./th|./td")]
        for row in table.xpath("./tbody/tr")
    ]
    return headings, rows


def _summary(response) -> dict[str, str]:
    figures = _html(response).xpath("//dl[contains(@class, 'reports-summary')]/div")
    return {
        figure.xpath("./dt")[0].text_content().strip(): figure.xpath(
            ".//*[contains(@class, 'reports-summary__value')]"
        )[0]
        .text_content()
        .strip()
        for figure in figures
    }


def _same(page_value: str, file_value) -> bool:
    """A table cell's data-value and a downloaded cell hold the same figure."""
    if file_value is None or file_value == "":
        return page_value in ("", None)
    if isinstance(file_value, datetime.datetime):
        file_value = (
            file_value.date().isoformat()
            if file_value.time() == datetime.time()
            else file_value.isoformat()
        )
    if isinstance(file_value, (int, float)):
        return abs(float(page_value) - float(file_value)) < 1e-9
    try:
        return abs(float(page_value) - float(file_value)) < 1e-9
    except ValueError:
        return str(file_value) == page_value


def _listed(response) -> int:
    """How many rows a linked admin list holds (every page of it)."""
    context = response.context
    if "items_count" in context:
        return context["items_count"]
    return context["page"].paginator.count


def _menu_names(response) -> set[str]:
    match = re.search(
        r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "the admin page has no sidebar"
    return set(re.findall(r'"name": "([^"]+)"', unescape(match.group(1))))


def _panels(response) -> set[str]:
    return {
        panel.get("data-panel") for panel in _html(response).xpath("//*[@data-panel]")
    }


def _figure_values(response) -> dict[str, int]:
    return {
        item.get("data-figure"): int(
            item.xpath(".//*[contains(@class, 'reports-figure__value')]")[0]
            .text_content()
            .strip()
        )
        for item in _html(response).xpath("//*[@data-figure]")
    }


# The admin home -----------------------------------------------------------------


def test_hr_home_shows_baton_panels_instead_of_wagtail_page_summary(hr, history):
    home = hr.get("/admin/")

    assert home.status_code == 200
    assert _panels(home) >= {"hr", "it"}
    page = home.content.decode()
    assert "w-summary" not in page  # "8 Pages", "3 Documents"
    assert "editor-guide" not in _menu_names(home)  # Wagtail's help menu
    assert "Your pages in a workflow" not in page
    figures = _figure_values(home)
    expected = {
        figure.key: figure.value
        for panel in dashboard_for(home.wsgi_request.user)
        for group in panel.groups
        for figure in group.figures
    }
    assert figures == expected
    assert any(expected.values()), "the test data should give the dashboard numbers"


def test_hr_home_has_no_page_search_box_nor_editor_guide(hr, history):
    home = hr.get("/admin/")

    page = home.content.decode()
    assert 'action="/admin/pages/' not in page
    assert "guide.wagtail.org" not in page


def test_hr_admin_home_numbers_link_to_lists_holding_exactly_those_handovers(
    hr, history
):
    hooked = list(hooks.get_hooks(HANDOVER_LIST_FILTERS_HOOK))
    assert hooked, "reports registers its Handovers list filters on the hook"
    checked = 0
    for panel in dashboard_for(hr.get("/admin/").wsgi_request.user):
        for group in panel.groups:
            for figure in group.figures:
                if not figure.url or not urlsplit(figure.url).path.startswith(
                    LIST_PATHS
                ):
                    continue
                listing = hr.get(figure.url)
                assert listing.status_code == 200, figure.url
                assert _listed(listing) == figure.value, (figure.key, figure.url)
                checked += 1
    assert checked >= 10


def test_people_with_admin_access_but_no_reports_keep_wagtail_home(
    user_factory, people, client
):
    from django.contrib.auth.models import Permission

    editor = user_factory(username="editor")
    editor.set_password(PASSWORD)
    editor.save()
    editor.user_permissions.add(
        Permission.objects.get(
            codename="access_admin", content_type__app_label="wagtailadmin"
        )
    )

    home = _signed_in(client, "editor").get("/admin/")

    assert home.status_code == 200
    assert not _panels(home)
    assert not any(name.startswith("baton-report-") for name in _menu_names(home))


# The Reports menu and pages -------------------------------------------------------


def test_hr_reports_menu_lists_every_report_and_wagtail_reports_stay(hr, history):
    names = _menu_names(hr.get("/admin/"))

    assert {f"baton-report-{key}" for key in REPORTS} <= names
    assert "site-history" in names
    for key in REPORTS:
        assert hr.get(ADMIN_REPORT.format(key)).status_code == 200, key


def test_hr_cycle_time_page_shows_summary_chart_and_table(hr, history):
    page = hr.get(ADMIN_REPORT.format("cycle-time"))

    assert page.status_code == 200
    summary = _summary(page)
    assert summary["Handovers"] == "3"
    assert summary["Start → certificate, median"] == "4.0"
    html = page.content.decode()
    assert 'id="report-chart-cycle-time"' in html  # the chart's spec
    assert "reports/vendor/chartjs/chart.umd.min.js" in html
    assert "Download XLSX" in html and "export=xlsx" in html
    headings, rows = _table(page)
    assert headings[0] == "Month"
    month = timezone.localdate().strftime("%Y-%m")
    this_month = next(row for row in rows if row[0] == month)
    assert this_month[1] == "3"


def test_the_chart_plots_the_rows_of_the_table(hr, history):
    page = hr.get(ADMIN_REPORT.format("cycle-time"))

    _headings, rows = _table(page)
    script = _html(page).xpath('//script[@id="report-chart-cycle-time"]')[0]
    spec = json.loads(script.text)
    assert spec["kind"] == "bar"
    assert spec["unit"] == "days"
    assert spec["labels"] == [row[0] for row in rows]
    assert [series["label"] for series in spec["series"]] == [
        "Start → certificate, median",
        "Last working day → certificate, median",
    ]
    month = timezone.localdate().strftime("%Y-%m")
    assert spec["series"][0]["data"][spec["labels"].index(month)] == 4
    figure = _html(page).xpath("//figure[@data-report-chart]")[0]
    caption = figure.xpath(".//figcaption")[0].text_content()
    assert "Start → certificate, median 4.0 days" in caption
    assert figure.xpath(".//canvas")[0].get("aria-labelledby")


def test_filters_in_the_query_string_change_the_figures(hr, history):
    sales = Department.objects.get(code="sales")
    rnd = Department.objects.get(code="rnd")

    in_sales = _summary(
        hr.get(ADMIN_REPORT.format("cycle-time"), {"department": sales.pk})
    )
    in_rnd = _summary(hr.get(ADMIN_REPORT.format("cycle-time"), {"department": rnd.pk}))
    by_department = hr.get(ADMIN_REPORT.format("cycle-time"), {"group": "department"})

    assert in_sales["Handovers"] == "2"
    assert in_sales["Start → certificate, median"] == "6.0"  # 10 and 2 days
    assert in_rnd["Handovers"] == "1"
    assert in_rnd["Start → certificate, median"] == "4.0"
    _headings, rows = _table(by_department)
    assert {row[0]: row[1] for row in rows} == {"R&D": "1", "Sales": "2"}


def test_a_period_without_certificates_says_so(hr, history):
    page = hr.get(
        ADMIN_REPORT.format("cycle-time"), {"start": "2020-01-01", "end": "2020-03-31"}
    )

    assert page.status_code == 200
    assert "No handover got its certificate in this period." in page.content.decode()
    assert not _html(page).xpath("//table[@data-report-table]")


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_downloads_hold_exactly_the_table_on_the_page(hr, history, fmt):
    query = {"group": "department", "start": timezone.localdate().replace(day=1)}
    page = hr.get(ADMIN_REPORT.format("cycle-time"), query)
    headings, rows = _table(page)

    download = hr.get(ADMIN_REPORT.format("cycle-time"), {**query, "export": fmt})

    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert f".{fmt}" in download["Content-Disposition"]
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(download.content)).active
        lines = [list(line) for line in sheet.iter_rows(values_only=True)]
    else:
        lines = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert lines[0] == headings
    assert len(lines[1:]) == len(rows) == 2
    for file_row, page_row in zip(lines[1:], rows, strict=True):
        assert all(
            _same(page_value, file_value)
            for page_value, file_value in zip(page_row, file_row, strict=True)
        ), (page_row, file_row)


@pytest.mark.parametrize(
    "query",
    [
        {"department": "abc"},
        {"role": str(2**70)},
        {"start": "2026-13-01"},
        {"template": "-1", "group": "weekday"},
    ],
)
def test_garbage_filters_show_errors_not_a_server_error(hr, history, query):
    for url in (ADMIN_REPORT.format("cycle-time"), ADMIN_REPORT.format("access")):
        page = hr.get(url, query)

        assert page.status_code == 200
        html = page.content.decode()
        assert "Correct the filters above to see the report." in html
        assert 'class="reports-error"' in html
        assert hr.get(url, {**query, "export": "xlsx"})["Content-Type"].startswith(
            "text/html"
        )


def test_an_end_before_the_start_is_explained_in_the_form(hr, history):
    page = hr.get(
        ADMIN_REPORT.format("acceptance"), {"start": "2026-05-01", "end": "2026-04-01"}
    )

    assert "The end of the period cannot be before its start." in page.content.decode()


def test_an_unknown_report_is_not_found(hr, history):
    assert hr.get(ADMIN_REPORT.format("salaries")).status_code == 404
    assert hr.get(SITE_REPORT.format("salaries")).status_code == 404


# Who sees what -----------------------------------------------------------------------


def test_it_sees_only_the_it_panel_and_the_access_and_connector_reports(
    client, history
):
    it = _signed_in(client, "it")

    home = it.get("/admin/")

    assert _panels(home) == {"it"}
    reports = {n for n in _menu_names(home) if n.startswith("baton-report-")}
    assert reports == {f"baton-report-{key}" for key in IT_REPORTS}
    for key in REPORTS:
        expected = 200 if key in IT_REPORTS else 404
        assert it.get(ADMIN_REPORT.format(key)).status_code == expected, key
        assert it.get(ADMIN_REPORT.format(key), {"export": "csv"}).status_code == (
            expected
        ), key


def test_a_manager_gets_the_team_pages_on_the_site_not_the_admin(client, history):
    manager = _signed_in(client, "manager")

    index = manager.get(SITE_INDEX)
    workload = manager.get(SITE_REPORT.format("workload"))
    admin = manager.get(ADMIN_REPORT.format("workload"))

    assert index.status_code == 200
    assert _panels(index) == {"manager"}
    links = {a.get("href") for a in _html(index).xpath("//a")}
    assert {SITE_REPORT.format(key) for key in MANAGER_REPORTS} <= links
    assert SITE_REPORT.format("connectors") not in links
    assert workload.status_code == 200
    assert manager.get(SITE_REPORT.format("connectors")).status_code == 404
    # No admin access at all: Wagtail sends them to its sign-in, never a report.
    assert admin.status_code == 302
    assert admin.url.startswith("/admin/login/")


def test_a_manager_sees_only_their_chain_in_the_reports(
    client, history, people, user_factory
):
    manager = _signed_in(client, "manager")
    # Outside Zhang Wei's chain: someone reporting to the HR head.
    user = user_factory(username="outsider")
    outsider = Employee.objects.create(
        employee_number="E1009",
        name="Qin Lu",
        department=Department.objects.get(code="hr"),
        manager=Employee.objects.get(user=people["hrhead"]),
        user=user,
    )
    _finished(
        people, outsider, days=30, issued=timezone.now() - datetime.timedelta(hours=3)
    )

    summary = _summary(manager.get(SITE_REPORT.format("cycle-time")))
    hr_summary = _summary(
        _signed_in(client, "hr").get(ADMIN_REPORT.format("cycle-time"))
    )

    assert summary["Handovers"] == "3"
    assert hr_summary["Handovers"] == "4"


def test_manager_site_report_downloads_match_the_page(client, history):
    manager = _signed_in(client, "manager")
    page = manager.get(SITE_REPORT.format("cycle-time"), {"group": "role"})
    headings, rows = _table(page)

    download = manager.get(
        SITE_REPORT.format("cycle-time"), {"group": "role", "export": "xlsx"}
    )

    sheet = openpyxl.load_workbook(io.BytesIO(download.content)).active
    lines = [list(line) for line in sheet.iter_rows(values_only=True)]
    assert lines[0] == headings
    assert [
        all(_same(p, f) for p, f in zip(page_row, file_row, strict=True))
        for page_row, file_row in zip(rows, lines[1:], strict=True)
    ] == [True] * len(rows)


@pytest.mark.parametrize("username", ["sales", "successor"])
def test_anyone_else_is_turned_away_everywhere(client, history, username):
    person = _signed_in(client, username)

    assert person.get(SITE_INDEX).status_code == 404
    for key in REPORTS:
        assert person.get(SITE_REPORT.format(key)).status_code == 404
        assert (
            person.get(SITE_REPORT.format(key), {"export": "xlsx"}).status_code == 404
        )
        admin = person.get(ADMIN_REPORT.format(key))
        assert admin.status_code == 302 and admin.url.startswith("/admin/login/")


def test_signed_out_visitors_are_asked_to_sign_in(client, history):
    response = client.get(SITE_REPORT.format("cycle-time"))

    assert response.status_code == 302
    assert "login" in response.url


# The participant site's pages -------------------------------------------------------


def test_site_report_pages_run_no_inline_script(client, history):
    manager = _signed_in(client, "manager")

    for url in (SITE_INDEX, SITE_REPORT.format("cycle-time")):
        doc = _html(manager.get(url))
        for script in doc.xpath("//script"):
            assert script.get("src") or script.get("type") == "application/json", url


def test_site_report_fits_a_phone(client, history):
    manager = _signed_in(client, "manager")

    doc = _html(manager.get(SITE_REPORT.format("cycle-time")))

    assert doc.xpath("//meta[@name='viewport']")
    # The table scrolls inside its own frame instead of widening the page.
    assert doc.xpath("//div[contains(@class, 'reports-table-wrap')]//table")


# In Chinese -------------------------------------------------------------------------


def _has_catalog(text: str) -> bool:
    with translation.override("zh-hans"):
        return translation.gettext(text) != text


def test_chinese_site_report_shows_translated_labels(client, history):
    manager = _signed_in(client, "manager")

    page = manager.get("/zh-hans/reports/cycle-time/")

    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert "部门" in html  # the department filter
    assert "下载XLSX" in html
    assert "Download XLSX" not in html


def test_chinese_admin_report_for_a_user_who_chose_chinese(hr, history, people):
    profile = UserProfile.get_for_user(people["hr"])
    profile.preferred_language = "zh-hans"
    profile.save()

    page = hr.get(ADMIN_REPORT.format("cycle-time"))

    html = page.content.decode()
    assert "部门" in html
    assert "下载XLSX" in html
    assert "Download CSV" not in html


def test_chinese_report_words_come_from_the_catalogue(client, history):
    """The report's own words (title, summary, empty state) in Chinese: these
    msgids are new in this change and reach the catalogue when the lead merges
    /work/briefs/po_*.json and compiles the messages."""
    words = ["Cycle time", "Apply filters", "My team's handovers"]
    assert [word for word in words if not _has_catalog(word)] == []
    manager = _signed_in(client, "manager")

    html = manager.get("/zh-hans/reports/cycle-time/").content.decode()

    with translation.override("zh-hans"):
        for word in words[:2]:
            assert translation.gettext(word) in html
        assert "Cycle time" not in html
