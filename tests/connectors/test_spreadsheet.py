# ruff: noqa: RUF001 — messages quote Chinese punctuation as people see it
"""The spreadsheet connector: reading CSV and Excel uploads, guessing the column
mapping, turning rows into records, and the upload → preview → import pages."""

import datetime
import io
import uuid
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from cms import services
from cms.errors import InvalidInput
from cms.models import ChecklistTemplatePage, Employee, Handover, Item
from connectors import spreadsheet
from connectors.models import ConnectorConfig, SyncRun, UploadImport
from connectors.registry import get_type
from connectors.sdk.base import ConnectorError, MisconfiguredError
from connectors.spreadsheet import read_table, rows_to_records, suggest_mapping
from connectors.types.spreadsheet import SpreadsheetConnector

CLIENTS_CSV = (
    "客户名称,联系人,电话,邮箱,金额,备注\n"
    '华信物流,周岚,+86 21 5555 0101,zhou.lan@huaxin.example,"480,000",续约在一月\n'
    "明和食品,钱雨,+86 571 5555 0199,qian.yu@minghe.example,96000,\n"
    ",无名,,,,客户名称为空\n"
    "远景科技,孙立,,not-an-email,,\n"
)


def refusal(data, filename, **kwargs) -> str:
    """The message ``read_table`` refuses the file with."""
    with pytest.raises(InvalidInput) as caught:
        read_table(io.BytesIO(data), filename, **kwargs)
    error = caught.value
    assert error.fields["file"] == [error.message]
    return str(error.message)


def workbook_bytes(*sheets, hidden=()):
    """An .xlsx built with openpyxl: each sheet is (title, rows)."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# Reading CSV -------------------------------------------------------------------------


def test_utf8_csv_is_read_with_its_header_row():
    table = read_table(io.BytesIO(CLIENTS_CSV.encode()), "clients.csv")

    assert table.columns == ["客户名称", "联系人", "电话", "邮箱", "金额", "备注"]
    assert len(table) == 4
    assert table.rows[0]["客户名称"] == "华信物流"
    assert table.rows[0]["金额"] == "480,000"
    assert table.row_numbers == [2, 3, 4, 5]
    assert (table.encoding, table.delimiter) == ("utf-8", ",")


def test_utf8_with_bom_keeps_the_first_header_clean():
    data = "\ufeffCustomer,Email\nAcme,ops@acme.example\n".encode()

    table = read_table(io.BytesIO(data), "clients.csv")

    assert table.columns == ["Customer", "Email"]
    assert table.rows == [{"Customer": "Acme", "Email": "ops@acme.example"}]


def test_gbk_csv_from_chinese_excel_is_decoded():
    table = read_table(io.BytesIO(CLIENTS_CSV.encode("gbk")), "客户.csv")

    assert table.columns[:3] == ["客户名称", "联系人", "电话"]
    assert table.rows[1]["联系人"] == "钱雨"
    assert table.encoding == "gb18030"


def test_semicolon_and_tab_separated_files_are_recognised():
    semicolon = "Customer;Amount;Notes\nAcme;1.234,50;big, important\n"
    table = read_table(io.BytesIO(semicolon.encode()), "export.csv")
    assert table.delimiter == ";"
    assert table.rows[0] == {
        "Customer": "Acme",
        "Amount": "1.234,50",
        "Notes": "big, important",
    }

    tabbed = "Customer\tAmount\nAcme\t10\nBeta\t20\n"
    table = read_table(io.BytesIO(tabbed.encode()), "export.txt")
    assert table.delimiter == "\t"
    assert [row["Amount"] for row in table.rows] == ["10", "20"]


def test_quoted_cells_may_hold_commas_and_line_breaks():
    data = 'Customer,Notes\n"Acme, Inc.","line one\nline two"\nBeta,x\n'

    table = read_table(io.BytesIO(data.encode()), "clients.csv")

    assert table.rows[0] == {"Customer": "Acme, Inc.", "Notes": "line one\nline two"}
    assert table.row_numbers == [2, 3]


def test_text_in_another_encoding_is_refused_with_advice():
    data = "Kunde,Straße\nMüller,Hauptstraße\n".encode("cp1252") + b"\x81\xff"

    message = refusal(data, "kunden.csv")

    assert "not UTF-8 or GBK" in message
    assert "CSV UTF-8" in message


def test_empty_rows_are_skipped_and_row_numbers_stay_true():
    data = "Customer,Notes\n\nAcme,x\n,\nBeta,y\n"

    table = read_table(io.BytesIO(data.encode()), "clients.csv")

    assert [row["Customer"] for row in table.rows] == ["Acme", "Beta"]
    assert table.row_numbers == [3, 5]


# Reading Excel -----------------------------------------------------------------------


def test_xlsx_values_read_as_excel_shows_them():
    data = workbook_bytes(
        (
            "Clients",
            [
                ["Customer", "Amount", "Since", "Phone", "Active"],
                ["Acme", 1234.5, datetime.datetime(2025, 3, 31), 13800138000, True],
                ["Beta", 96000, datetime.date(2024, 1, 2), "+86 21 5555", False],
            ],
        ),
        ("Notes", [["Anything"], ["else"]]),
    )

    table = read_table(io.BytesIO(data), "clients.xlsx")

    assert table.columns == ["Customer", "Amount", "Since", "Phone", "Active"]
    assert table.rows[0] == {
        "Customer": "Acme",
        "Amount": "1234.5",
        "Since": "2025-03-31",
        "Phone": "13800138000",
        "Active": "TRUE",
    }
    assert table.rows[1]["Amount"] == "96000"
    assert table.sheet_name == "Clients"
    assert table.sheet_names == ["Clients", "Notes"]


def test_another_sheet_can_be_chosen_and_hidden_sheets_are_ignored():
    data = workbook_bytes(
        ("Secret", [["Salary"], ["1"]]),
        ("Clients", [["Customer"], ["Acme"]]),
        ("Accounts", [["System", "Account"], ["CRM", "zhang.san"]]),
        hidden=("Secret",),
    )

    first = read_table(io.BytesIO(data), "book.xlsx")
    chosen = read_table(io.BytesIO(data), "book.xlsx", sheet="Accounts")

    assert first.sheet_names == ["Clients", "Accounts"]
    assert first.rows == [{"Customer": "Acme"}]
    assert chosen.rows == [{"System": "CRM", "Account": "zhang.san"}]
    assert "no sheet named “Secret”" in refusal(data, "book.xlsx", sheet="Secret")


def test_a_formula_refuses_the_file_naming_the_cell():
    data = workbook_bytes(
        (
            "Deals",
            [
                ["Customer", "Amount", "Total"],
                ["Acme", 10, 20],
                ["Beta", 5, "=SUM(B2:B3)"],
            ],
        )
    )

    message = refusal(data, "deals.xlsx")

    assert "Cell C3 holds a formula (=SUM(B2:B3))" in message
    assert "values" in message


def test_a_50_mb_file_is_refused_before_it_is_read():
    class HugeUpload:
        """A 50 MB upload that fails the test if anything reads it."""

        size = 50 * 1024 * 1024
        reads = 0

        def read(self, *args):
            self.reads += 1
            raise AssertionError("the file was read")

        def seek(self, *args):
            pass

    upload = HugeUpload()
    with pytest.raises(InvalidInput) as caught:
        read_table(upload, "everything.csv")

    assert "larger than 32 MB" in str(caught.value.message)
    assert upload.reads == 0


def test_a_file_without_a_size_is_read_only_up_to_the_limit():
    class Stream(io.RawIOBase):
        """An endless stream of CSV text that counts what was read."""

        served = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            chunk = b"a,b\n" * (len(buffer) // 4)
            buffer[: len(chunk)] = chunk
            self.served += len(chunk)
            return len(chunk)

    stream = Stream()
    with pytest.raises(InvalidInput):
        read_table(stream, "endless.csv", max_bytes=1024 * 1024)

    assert stream.served <= 1024 * 1024 + 64 * 1024


def test_a_text_file_named_xlsx_is_refused():
    message = refusal(CLIENTS_CSV.encode(), "clients.xlsx")

    assert "not an Excel workbook" in message


def test_a_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")

    assert "not an Excel workbook" in refusal(buffer.getvalue(), "report.xlsx")


def test_old_excel_files_are_refused_with_save_as_advice():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512

    message = refusal(ole, "clients.xls")
    assert "“clients.xls” is not in a format Baton reads" in message
    assert "Excel workbook (.xlsx) or CSV" in message

    renamed = refusal(ole, "clients.xlsx")
    assert "old Excel (.xls) workbook renamed" in renamed


def test_a_workbook_named_csv_is_refused():
    data = workbook_bytes(("Clients", [["Customer"], ["Acme"]]))

    assert "Excel workbook, not CSV" in refusal(data, "clients.csv")


def test_other_file_types_are_refused():
    assert "Upload a CSV file (.csv) or an Excel workbook (.xlsx)" in refusal(
        b"%PDF-1.4", "clients.pdf"
    )


def test_duplicate_and_missing_headers_are_refused():
    assert "Columns B and D are both called “email”" in refusal(
        b"Customer,Email,Phone,email\nAcme,a@x.example,1,b@x.example\n", "c.csv"
    )
    assert "Column B has no name in the header row" in refusal(
        b"Customer,,Phone\nAcme,x,1\n", "c.csv"
    )
    assert "Row 2 has a value in column C, which has no header" in refusal(
        b"Customer,Phone\nAcme,1,stray\n", "c.csv"
    )
    data = workbook_bytes(("Sheet", [["Customer", None, "Phone"], ["Acme", 1, 2]]))
    assert "Column B has no name" in refusal(data, "c.xlsx")


def test_empty_files_and_header_only_files_are_refused():
    assert refusal(b"", "c.csv") == "The file is empty."
    assert refusal(b"\n\n", "c.csv") == "The file is empty."
    assert "no rows below it" in refusal(b"Customer,Email\n", "c.csv")


def test_too_many_rows_are_refused_with_advice_that_does_not_lose_items():
    data = "Customer\n" + "".join(f"Client {n}\n" for n in range(50_001))

    message = refusal(data.encode(), "c.csv")
    assert "more than 50,000 rows" in message
    # Parts of a file imported one after another must add up, not replace
    # each other.
    assert "import each with “Add to the list”" in message
    assert "more than 3 rows" in refusal(data.encode(), "c.csv", max_rows=3)
    # A connector cannot raise the limit above 50,000.
    assert "more than 50,000 rows" in refusal(data.encode(), "c.csv", max_rows=90_000)


def test_refusals_are_translated():
    with translation.override("zh-hans"):
        message = refusal(b"Customer,Email,email\n1,2,3\n", "c.csv")

    assert "Rename one of them" not in message
    assert "“email”" in message


# Suggested mapping -------------------------------------------------------------------


def test_chinese_client_headers_map_onto_client_properties():
    columns = ["客户名称", "联系人", "电话", "邮箱", "金额", "备注", "客户编号"]

    assert suggest_mapping(columns, "client") == {
        "customer": "客户名称",
        "contact_person.name": "联系人",
        "contact_person.phone": "电话",
        "contact_person.email": "邮箱",
        "relationship_notes": "备注",
    }
    assert spreadsheet.suggest_id_column(columns) == "客户编号"
    # With a deal column, the amount goes with the deal.
    assert suggest_mapping([*columns, "商机"], "client")["open_deals.amount"] == "金额"


def test_english_headers_in_any_case_and_account_kinds():
    assert suggest_mapping(
        ["CUSTOMER", "Contact Name", "E-mail", "Phone Number", "Deal", "Stage"], "deal"
    ) == {
        "customer": "CUSTOMER",
        "contact_person.name": "Contact Name",
        "contact_person.phone": "Phone Number",
        "contact_person.email": "E-mail",
        "open_deals.title": "Deal",
        "open_deals.stage": "Stage",
    }
    assert suggest_mapping(["系统", "账号", "角色", "操作", "ID"], "role") == {
        "system": "系统",
        "account_id": "账号",
        "role_permission": "角色",
        "action": "操作",
    }
    assert spreadsheet.suggest_id_column(["Name", "ID"]) == "ID"
    assert spreadsheet.suggest_id_column(["Name"]) is None


def test_headers_matching_a_property_label_in_either_language():
    assert suggest_mapping(["Asset tag", "资产类型", "Location"], "asset") == {
        "asset_type": "资产类型",
        "asset_tag": "Asset tag",
        "location": "Location",
    }


def test_each_column_is_suggested_once():
    mapping = suggest_mapping(["Name", "Email"], "client")

    assert list(mapping.values()) == ["Name", "Email"]


# Rows to records ---------------------------------------------------------------------


def clients_table():
    return read_table(io.BytesIO(CLIENTS_CSV.encode()), "clients.csv")


def test_rows_become_records_of_item_data_and_bad_rows_report_why():
    table = clients_table()
    mapping = suggest_mapping(table.columns, "client")

    records = rows_to_records(table, mapping, record_kind="client")

    good = [record for record in records if not record.error]
    bad = [record for record in records if record.error]
    assert [record.title for record in good] == ["华信物流", "明和食品"]
    assert good[0].kind == "client"
    assert good[0].fields == {
        "customer": "华信物流",
        "contact_person": {
            "name": "周岚",
            "phone": "+86 21 5555 0101",
            "email": "zhou.lan@huaxin.example",
        },
        "relationship_notes": "续约在一月",
    }
    assert [record.error for record in bad] == [
        "Row 4: Customer is empty",
        "Row 5: Contact person › Email “not-an-email” is not an email address",
    ]


def test_a_deal_column_without_its_title_is_a_row_error():
    table = clients_table()
    mapping = {"customer": "客户名称", "open_deals.amount": "金额"}

    records = rows_to_records(table, mapping, record_kind="client")

    assert records[0].error == "Row 2: Open deals › Title is empty"


def test_deals_fill_one_open_deal_per_row_with_amounts_cleaned():
    data = (
        "Customer,Deal,Amount,Currency,Stage\n"
        'Acme,Renewal,"¥1,234.5",人民币（CNY）,Proposal\n'
        'Beta,Pilot,"1.234,56",usd,Won\n'
    )
    table = read_table(io.BytesIO(data.encode()), "deals.csv")
    mapping = {
        "customer": "Customer",
        "open_deals.title": "Deal",
        "open_deals.amount": "Amount",
        "open_deals.currency": "Currency",
        "open_deals.stage": "Stage",
    }

    records = rows_to_records(table, mapping, record_kind="deal")

    assert [record.error for record in records] == ["", ""]
    assert records[0].fields["open_deals"] == [
        {
            "title": "Renewal",
            "amount": "1234.50",
            "currency": "CNY",
            "stage": "Proposal",
        }
    ]
    assert records[1].fields["open_deals"] == [
        {"title": "Pilot", "amount": "1234.56", "currency": "USD", "stage": "Won"}
    ]


def test_choices_match_values_and_labels_in_both_languages():
    data = (
        "System,Account,Action,Keep reason\n"
        "CRM,a,Revoke,\nERP,b,转交给接交人,\nOA,c,keep,Audit\nX,d,burn,\n"
    )
    table = read_table(io.BytesIO(data.encode()), "accounts.csv")
    mapping = {
        "system": "System",
        "account_id": "Account",
        "action": "Action",
        "keep_reason": "Keep reason",
    }

    records = rows_to_records(table, mapping, record_kind="account")

    assert [record.fields.get("action") for record in records[:3]] == [
        "revoke",
        "transfer",
        "keep",
    ]
    assert records[0].title == "CRM · a"
    assert records[3].error.startswith("Row 5: Action “burn” is not one of: Revoke,")


def test_dates_numbers_and_lists_are_converted():
    data = (
        "Description,Amount,Incurred on,Status\n"
        "Taxi,38.5,2025/3/31,Submitted\n"
        "Hotel,-5,31.03.2025,paid\n"
    )
    table = read_table(io.BytesIO(data.encode()), "expenses.csv")
    mapping = {
        "description": "Description",
        "amount": "Amount",
        "incurred_on": "Incurred on",
        "status": "Status",
    }

    records = rows_to_records(table, mapping, record_kind="expense")

    assert records[0].fields == {
        "description": "Taxi",
        "amount": "38.50",
        "incurred_on": "2025-03-31",
        "status": "submitted",
    }
    assert records[1].error == (
        "Row 3: Amount “-5” is negative; "
        "Incurred on “31.03.2025” is not a date (write it as 2025-03-31)"
    )

    commitments = read_table(
        io.BytesIO(b"Customer,Promises\nAcme,5% off; free training\n"), "c.csv"
    )
    record = rows_to_records(
        commitments,
        {"customer": "Customer", "commitments": "Promises"},
        record_kind="client",
    )[0]
    assert record.fields["commitments"] == ["5% off", "free training"]


def test_ids_are_stable_hashes_unless_an_id_column_is_chosen():
    table = clients_table()
    mapping = {"customer": "客户名称", "contact_person.name": "联系人"}

    first = rows_to_records(table, mapping, record_kind="client")
    again = rows_to_records(clients_table(), mapping, record_kind="client")
    by_name = rows_to_records(
        table, mapping, record_kind="client", id_column="联系人", namespace="block-1"
    )

    assert [r.external_id for r in first] == [r.external_id for r in again]
    assert len({r.external_id for r in first if not r.error}) == 3
    assert by_name[0].external_id == "block-1:周岚"


def test_repeated_rows_and_ids_are_reported_once_each():
    data = "Customer,Code\nAcme,C1\nBeta,C2\nAcme,C1\nGamma,C2\n"
    table = read_table(io.BytesIO(data.encode()), "c.csv")

    by_hash = rows_to_records(table, {"customer": "Customer"}, record_kind="client")
    by_id = rows_to_records(
        table, {"customer": "Customer"}, record_kind="client", id_column="Code"
    )

    assert [r.error for r in by_hash] == ["", "", "Row 4: the same as row 2", ""]
    assert [r.error for r in by_id] == [
        "",
        "",
        "Row 4: the id “C1” is already used in row 2",
        "Row 5: the id “C2” is already used in row 3",
    ]
    assert len({r.external_id for r in by_id}) == 4


def test_a_mapping_without_the_naming_column_is_refused():
    table = clients_table()

    with pytest.raises(InvalidInput) as caught:
        rows_to_records(table, {"contact_person.name": "联系人"}, record_kind="client")
    assert caught.value.fields["mapping"] == [
        "Choose the column for Customer: it names each item."
    ]

    with pytest.raises(InvalidInput) as caught:
        rows_to_records(table, {"customer": "Nope"}, record_kind="client")
    assert caught.value.fields["mapping"] == ["The file has no column “Nope”."]

    with pytest.raises(InvalidInput):
        rows_to_records(table, {}, record_kind="client")


def test_the_table_survives_a_json_round_trip():
    table = clients_table()

    again = spreadsheet.Table.from_dict(table.to_dict())

    assert again == table


# The connector type ------------------------------------------------------------------


def test_the_spreadsheet_type_is_registered_for_uploads_only():
    connector_type = get_type("spreadsheet")

    assert connector_type is SpreadsheetConnector
    assert str(connector_type.label) == "Spreadsheet (CSV / Excel)"
    assert connector_type.can("upload")
    assert not connector_type.can("discover")
    assert set(connector_type.record_kinds()) >= {"client", "account", "asset"}
    assert [spec.name for spec in connector_type.settings] == ["max_rows"]
    client = connector_type(settings={}, secrets={})
    assert client.test_connection() == (
        "Ready: upload a CSV or Excel file on the handover"
    )
    with pytest.raises(ConnectorError):
        client.discover(employee=None, record_kind="client")


def test_max_rows_setting_is_checked():
    assert SpreadsheetConnector(settings={"max_rows": 100}, secrets={}).max_rows == 100
    assert SpreadsheetConnector(settings={}, secrets={}).max_rows == 50_000
    with pytest.raises(MisconfiguredError):
        SpreadsheetConnector(settings={"max_rows": 60_000}, secrets={})
    with pytest.raises(MisconfiguredError):
        SpreadsheetConnector(settings={"max_rows": "many"}, secrets={})


# The pages ---------------------------------------------------------------------------

BLOCK_ID = str(uuid.UUID("8d7f3f7e-6d0b-4a8e-9a55-0c7b6f9e2a11"))


@pytest.fixture
def sheet_connector(demo):
    # The demo data has this spreadsheet connector already.
    return ConnectorConfig.objects.get_or_create(
        slug="client-sheet",
        defaults={"type": "spreadsheet", "name": "Client spreadsheet"},
    )[0]


@pytest.fixture
def sheet_handover(people, sheet_connector, django_capture_on_commit_callbacks):
    """The sales handover, its template carrying a client list filled from a
    spreadsheet upload."""
    template = ChecklistTemplatePage.objects.get(
        slug="sales", locale__language_code="en"
    )
    stream = template.body.raw_data
    stream[0]["value"]["items"].append(
        {
            "type": "connector_list",
            "id": BLOCK_ID,
            "value": {
                "label": "Clients from your spreadsheet",
                "help_text": "",
                "required": False,
                "filled_by": "leaver",
                "confirmed_by": "successor",
                "evidence": "none",
                "due_offset_days": -5,
                "condition": {"field_key": "", "operator": "equals", "value": ""},
                "connector": "client-sheet",
                "record_kind": "client",
                "filter": [],
                "field_mapping": [],
            },
        }
    )
    template.body = stream
    template.save_revision().publish()
    with django_capture_on_commit_callbacks(execute=True):
        return services.handover_start(
            actor=people["hr"],
            employee=Employee.objects.get(user=people["sales"]),
            template=ChecklistTemplatePage.objects.get(pk=template.pk),
            resignation_date=datetime.date(2026, 12, 1),
            last_working_day=datetime.date(2026, 12, 31),
            successors=[people["successor"]],
            manager=people["manager"],
        )


def upload_url(handover, block_id=BLOCK_ID, language="en"):
    return f"/{language}/imports/{handover.pk}/{block_id}/"


def imported(handover):
    return list(
        Item.objects.filter(
            handover=handover, kind="connector_list", block_id__startswith=BLOCK_ID[:40]
        ).order_by("label")
    )


def upload(client, handover, data=None, name="clients.csv", **extra):
    data = CLIENTS_CSV.encode() if data is None else data
    return client.post(
        upload_url(handover), {"file": SimpleUploadedFile(name, data), **extra}
    )


def mapping_post(response, **changes):
    """The preview form as the browser would submit it, with its preselected
    choices and the fingerprint of the preview it shows, plus ``changes``."""
    form = response.context["form"]
    data = {
        name: form[name].value() or "" for name in form.fields if name != "previewed"
    }
    data["previewed"] = response.context.get("previewed") or ""
    data["action"] = "import"
    data.update(changes)
    return data


def confirm(client, location, preview, capture, **changes):
    """Press "Import" on the preview; the background import runs (huey runs
    tasks at once in tests) and the progress page it leads to is returned."""
    with capture(execute=True):
        done = client.post(location, mapping_post(preview, **changes))
    assert done.status_code == 302, done.content.decode()[:2000]
    assert "/progress/" in done["Location"]
    return client.get(done["Location"])


def test_upload_preview_import_and_reimport_without_duplicates(
    client, people, sheet_handover, django_capture_on_commit_callbacks
):
    client.force_login(people["sales"])

    page = client.get(upload_url(sheet_handover))
    assert page.status_code == 200
    assert "Clients from your spreadsheet" in page.content.decode()

    response = upload(client, sheet_handover)
    assert response.status_code == 302
    preview = client.get(response["Location"])
    html = preview.content.decode()
    assert preview.status_code == 200
    for column in ("客户名称", "联系人", "电话", "邮箱"):
        assert f'<th scope="col">{column}</th>' in html
    assert "华信物流" in html and "钱雨" in html
    assert "Import 4 rows" in html
    assert "2 new items" in html and "2 rows skipped" in html
    form = preview.context["form"]
    assert form["map__customer"].value() == "客户名称"
    assert form["map__contact_person__email"].value() == "邮箱"
    assert form["mode"].value() == "add"

    progress = confirm(
        client, response["Location"], preview, django_capture_on_commit_callbacks
    )

    items = imported(sheet_handover)
    assert [item.label for item in items] == ["华信物流", "明和食品"]
    assert items[0].data["data"]["contact_person"]["email"] == (
        "zhou.lan@huaxin.example"
    )
    assert items[0].assignee == people["successor"]
    page = progress.content.decode()
    assert "Imported: 2 new, 0 updated, 2 skipped." in page
    assert "Row 4: Customer is empty" in page
    assert (
        "Row 5: Contact person › Email “not-an-email” is not an email address" in page
    )
    assert "4 of 4 rows" in page
    assert f'href="/en/handovers/{sheet_handover.pk}/"' in page
    run = SyncRun.objects.get(handover=sheet_handover, trigger="upload")
    assert run.actor == people["sales"]

    again = upload(client, sheet_handover)
    preview = client.get(again["Location"])
    assert "2 items already in the list" in preview.content.decode()
    progress = confirm(
        client, again["Location"], preview, django_capture_on_commit_callbacks
    )

    assert len(imported(sheet_handover)) == 2
    assert "Imported: 0 new, 0 updated, 2 skipped." in progress.content.decode()


def test_hr_imports_an_excel_workbook_with_an_id_column(
    client, people, sheet_handover, django_capture_on_commit_callbacks
):
    client.force_login(people["hr"])
    data = workbook_bytes(
        (
            "Clients",
            [
                ["Client ID", "Customer", "Contact", "Phone"],
                ["C-1", "Acme", "Ann", 13800138000],
                ["C-2", "Beta", "Bo", None],
            ],
        )
    )

    response = upload(client, sheet_handover, data, "clients.xlsx")
    preview = client.get(response["Location"])
    assert preview.context["form"]["id_column"].value() == ""
    # A new id column is a new choice: the preview is shown again for it.
    shown = client.post(
        response["Location"], mapping_post(preview, id_column="Client ID")
    )
    assert shown.status_code == 200
    assert "Your choices changed" in shown.content.decode()
    confirm(client, response["Location"], shown, django_capture_on_commit_callbacks)

    items = imported(sheet_handover)
    assert [item.data["external_id"] for item in items] == [
        f"{BLOCK_ID}:C-1",
        f"{BLOCK_ID}:C-2",
    ]
    assert items[0].data["data"]["contact_person"] == {
        "name": "Ann",
        "phone": "13800138000",
    }

    edited = workbook_bytes(
        (
            "Clients",
            [
                ["Client ID", "Customer", "Contact", "Phone"],
                ["C-1", "Acme", "Ann", 13900139000],
                ["C-2", "Beta", "Bo", None],
            ],
        )
    )
    response = upload(client, sheet_handover, edited, "clients.xlsx")
    preview = client.get(response["Location"])
    shown = client.post(
        response["Location"],
        mapping_post(preview, id_column="Client ID", action="preview"),
    )
    assert "2 items already in the list" in shown.content.decode()
    progress = confirm(
        client, response["Location"], shown, django_capture_on_commit_callbacks
    )

    assert len(imported(sheet_handover)) == 2
    assert imported(sheet_handover)[0].data["data"]["contact_person"]["phone"] == (
        "13900139000"
    )
    assert "Imported: 0 new, 1 updated, 0 skipped." in progress.content.decode()


def test_a_bad_file_is_refused_on_the_upload_page_and_nothing_is_kept(
    client, people, sheet_handover
):
    client.force_login(people["sales"])
    data = workbook_bytes(("S", [["Customer", "Total"], ["Acme", "=1+1"]]))

    response = upload(client, sheet_handover, data, "clients.xlsx")

    assert response.status_code == 400
    assert "Cell B2 holds a formula (=1+1)" in response.content.decode()
    assert not UploadImport.objects.exists()
    assert imported(sheet_handover) == []


def test_an_upload_over_32_mb_is_refused_without_being_kept(
    client, people, sheet_handover
):
    client.force_login(people["sales"])
    data = b"Customer\n" + b"x" * (33 * 1024 * 1024)

    response = upload(client, sheet_handover, data, "big.csv")

    assert response.status_code == 400
    assert "The file is larger than 32 MB" in response.content.decode()
    assert not UploadImport.objects.exists()


def test_a_mapping_without_the_customer_column_is_shown_on_the_preview(
    client, people, sheet_handover
):
    client.force_login(people["sales"])
    response = upload(client, sheet_handover)
    preview = client.get(response["Location"])

    refused = client.post(response["Location"], mapping_post(preview, map__customer=""))

    assert refused.status_code == 400
    assert "Choose the column for Customer" in refused.content.decode()
    assert imported(sheet_handover) == []
    assert UploadImport.objects.get().state == "uploaded"


def test_strangers_get_404_and_other_participants_403(
    client, people, stranger, sheet_handover
):
    client.force_login(stranger)
    assert client.get(upload_url(sheet_handover)).status_code == 404
    assert upload(client, sheet_handover).status_code == 404

    client.force_login(people["successor"])
    response = client.get(upload_url(sheet_handover))
    assert response.status_code == 403
    assert "Only HR or the departing employee" in response.content.decode()
    assert upload(client, sheet_handover).status_code == 403


def test_another_persons_upload_token_is_not_theirs(client, people, sheet_handover):
    client.force_login(people["sales"])
    location = upload(client, sheet_handover)["Location"]

    client.force_login(people["hr"])
    response = client.get(location)

    assert response.status_code == 302
    assert response["Location"] == upload_url(sheet_handover)


def test_only_spreadsheet_blocks_can_be_uploaded_to(client, people, sheet_handover):
    client.force_login(people["sales"])
    from connectors.sync import connector_blocks

    crm_block = next(
        block for block in connector_blocks(sheet_handover) if block.slug == "crm"
    )

    assert client.get(upload_url(sheet_handover, crm_block.block_id)).status_code == 404
    assert client.get(upload_url(sheet_handover, "no-such-block")).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, sheet_handover):
    response = client.get(upload_url(sheet_handover))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_csrf_is_checked_on_upload(people, sheet_handover):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(people["sales"])

    assert upload(strict, sheet_handover).status_code == 403


def test_a_closed_handover_takes_no_imports(client, people, sheet_handover):
    Handover.objects.filter(pk=sheet_handover.pk).update(state="cancelled")
    client.force_login(people["hr"])

    page = client.get(upload_url(sheet_handover)).content.decode()
    response = upload(client, sheet_handover)

    assert "nothing can be imported into it" in page
    assert 'type="file"' not in page
    assert response.status_code == 409


def test_the_pages_speak_chinese(client, people, sheet_handover):
    client.force_login(people["sales"])

    page = client.get(upload_url(sheet_handover, language="zh-hans")).content.decode()

    assert "导入表格" in page
