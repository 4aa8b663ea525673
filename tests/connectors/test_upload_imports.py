"""Spreadsheet uploads say what they do and run in the background: a person
chooses to add to the list or replace it, sees which items would become not
applicable before anything changes, and watches a large file import row by
row to the end."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cms.models import Handover, Item
from connectors.models import BlockSync, ConnectorConfig, SyncedRecord, UploadImport
from connectors.spreadsheet.uploads import KEPT_HOURS, upload_purge
from tests.connectors.helpers import connector_template, start_handover

pytestmark = pytest.mark.django_db


@pytest.fixture
def sheet(people, django_capture_on_commit_callbacks):
    """A handover whose template has one client list filled by uploads; the
    leaver is signed in to a client."""
    config, _created = ConnectorConfig.objects.get_or_create(
        slug="client-sheet", defaults={"type": "spreadsheet", "name": "Client list"}
    )
    template = connector_template("client-sheet", "client", label="Your clients")
    with django_capture_on_commit_callbacks(execute=True):
        handover = start_handover(people, template)
    block_id = BlockSync.objects.get(handover=handover).block_id
    return handover, block_id, config


def _csv(rows, header=("ID", "Customer", "Contact")) -> bytes:
    lines = [",".join(header)] + [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def _upload(client, handover, block_id, data, name="clients.csv"):
    response = client.post(
        reverse("connectors:spreadsheet_upload", args=[handover.pk, block_id]),
        {"file": SimpleUploadedFile(name, data)},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def _form(response, **changes):
    form = response.context["form"]
    data = {
        name: form[name].value() or "" for name in form.fields if name != "previewed"
    }
    data["previewed"] = response.context.get("previewed") or ""
    data.update(changes)
    return data


def _preview(client, location, *, mode):
    """The preview for ``mode`` with the ID column, as the person sees it
    after choosing both (one round-trip)."""
    first = client.get(location)
    shown = client.post(
        location, _form(first, id_column="ID", mode=mode, action="preview")
    )
    assert shown.status_code == 200, shown.content.decode()[:2000]
    return shown


def _import(client, location, shown, capture):
    with capture(execute=True):
        done = client.post(location, _form(shown, action="import"))
    assert done.status_code == 302, done.content.decode()[:2000]
    return client.get(done["Location"])


def _items(handover):
    return {
        item.data["external_id"].rpartition(":")[2]: item
        for item in Item.objects.filter(handover=handover, kind="connector_list")
    }


FIRST = [("C-1", "Acme", "Ann"), ("C-2", "Beta", "Bo"), ("C-3", "Gamma", "Gu")]
SECOND = [("C-3", "Gamma", "Gu"), ("C-4", "Delta", "Di")]


def _first_file(client, handover, block_id, capture):
    location = _upload(client, handover, block_id, _csv(FIRST))
    _import(client, location, _preview(client, location, mode="add"), capture)
    assert set(_items(handover)) == {"C-1", "C-2", "C-3"}


def test_a_second_file_added_to_the_list_keeps_the_first_files_items(
    client, people, sheet, django_capture_on_commit_callbacks
):
    handover, block_id, _config = sheet
    client.force_login(people["sales"])
    _first_file(client, handover, block_id, django_capture_on_commit_callbacks)

    location = _upload(client, handover, block_id, _csv(SECOND))
    shown = _preview(client, location, mode="add")
    html = shown.content.decode()

    assert "1 new item" in html
    assert "1 item already in the list, updated where it changed" in html
    assert "2 items already in the list are not in this file: they stay" in html
    assert "will become not applicable" not in html
    progress = _import(client, location, shown, django_capture_on_commit_callbacks)

    assert "Imported: 1 new, 0 updated, 0 skipped." in progress.content.decode()
    items = _items(handover)
    assert set(items) == {"C-1", "C-2", "C-3", "C-4"}
    assert {item.state for item in items.values()} == {Item.State.PENDING}


def test_replacing_the_list_shows_first_exactly_the_items_that_then_become_not_applicable(  # noqa: E501
    client, people, sheet, django_capture_on_commit_callbacks
):
    handover, block_id, _config = sheet
    client.force_login(people["sales"])
    _first_file(client, handover, block_id, django_capture_on_commit_callbacks)
    location = _upload(client, handover, block_id, _csv(SECOND))

    shown = _preview(client, location, mode="replace")

    effect = shown.context["effect"]
    listed = {(row["label"], row["external_id"]) for row in effect.resolved}
    assert listed == {("Acme", f"{block_id}:C-1"), ("Beta", f"{block_id}:C-2")}
    assert effect.resolved_count == 2
    html = shown.content.decode()
    assert "2 items will become not applicable (resolved upstream):" in html
    assert "Acme" in html and f"{block_id}:C-2" in html
    # Nothing changed yet.
    assert {item.state for item in _items(handover).values()} == {"pending"}

    progress = _import(client, location, shown, django_capture_on_commit_callbacks)

    items = _items(handover)
    not_applicable = {
        key for key, item in items.items() if item.state == Item.State.NOT_APPLICABLE
    }
    assert not_applicable == {"C-1", "C-2"}
    assert items["C-4"].state == Item.State.PENDING
    assert "2 items imported before are no longer in the file" in (
        progress.content.decode()
    )


def test_import_without_seeing_the_preview_of_the_new_choice_shows_it_first(
    client, people, sheet, django_capture_on_commit_callbacks
):
    handover, block_id, _config = sheet
    client.force_login(people["sales"])
    _first_file(client, handover, block_id, django_capture_on_commit_callbacks)
    location = _upload(client, handover, block_id, _csv(SECOND))
    shown = _preview(client, location, mode="add")

    # Switching to "replace" and pressing Import at once re-shows the preview.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(location, _form(shown, mode="replace", action="import"))

    assert response.status_code == 200
    assert "Your choices changed" in response.content.decode()
    assert "2 items will become not applicable" in response.content.decode()
    assert not any(
        item.state == Item.State.NOT_APPLICABLE for item in _items(handover).values()
    )


def test_50000_rows_import_in_the_background_once_with_progress_to_the_end(
    client, people, sheet, django_capture_on_commit_callbacks
):
    handover, block_id, _config = sheet
    client.force_login(people["hr"])
    buffer = io.StringIO()
    buffer.write("ID,Customer,Contact,Email\n")
    for number in range(50_000):
        buffer.write(
            f"C-{number:05d},华信物流 {number},周岚,client{number}@example.com\n"
        )
    location = _upload(client, handover, block_id, buffer.getvalue().encode())
    upload = UploadImport.objects.get()
    assert upload.rows_total == 50_000
    stored = upload.file.name

    shown = _preview(client, location, mode="add")
    assert shown.context["effect"].new == 50_000
    progress = _import(client, location, shown, django_capture_on_commit_callbacks)

    assert "50,000 of 50,000 rows" in progress.content.decode()
    assert "Imported: 50000 new, 0 updated, 0 skipped." in progress.content.decode()
    assert Item.objects.filter(handover=handover, kind="connector_list").count() == (
        50_000
    )
    assert SyncedRecord.objects.filter(handover=handover).count() == 50_000
    status = client.get(
        reverse(
            "connectors:spreadsheet_progress_json",
            args=[handover.pk, block_id, upload.pk],
        )
    )
    assert json.loads(status.content) | {"state_label": ""} == {
        "state": "done",
        "state_label": "",
        "rows_done": 50_000,
        "rows_total": 50_000,
        "percent": 100,
        "finished": True,
        "label": "50,000 of 50,000 rows",
    }
    # Imported: the stored file (personal data) is gone.
    upload.refresh_from_db()
    assert not upload.file
    assert not UploadImport.file.field.storage.exists(stored)
    assert "preview" not in upload.options


def test_a_failed_import_says_why_keeps_the_file_and_can_be_tried_again(
    client, people, sheet, django_capture_on_commit_callbacks
):
    handover, block_id, config = sheet
    client.force_login(people["sales"])
    location = _upload(client, handover, block_id, _csv(FIRST))
    shown = _preview(client, location, mode="add")
    with django_capture_on_commit_callbacks() as queued:
        done = client.post(location, _form(shown, action="import"))
    # The connector is switched off between the confirmation and the worker.
    ConnectorConfig.objects.filter(pk=config.pk).update(enabled=False)
    for run_task in queued:
        run_task()

    progress = client.get(done["Location"])

    html = progress.content.decode()
    assert "The connector of this block is missing or disabled." in html
    assert "Try again" in html
    assert _items(handover) == {}
    ConnectorConfig.objects.filter(pk=config.pk).update(enabled=True)
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(progress.request["PATH_INFO"])
    page = client.get(again["Location"]).content.decode()
    assert "Imported: 3 new, 0 updated, 0 skipped." in page
    assert set(_items(handover)) == {"C-1", "C-2", "C-3"}


def test_bad_files_are_refused_in_the_persons_language_and_change_nothing(
    client, people, sheet
):
    handover, block_id, _config = sheet
    client.force_login(people["sales"])
    url = f"/zh-hans/imports/{handover.pk}/{block_id}/"

    duplicate = client.post(
        url, {"file": SimpleUploadedFile("c.csv", b"Customer,Email,email\n1,2,3\n")}
    )
    too_many = client.post(
        url,
        {
            "file": SimpleUploadedFile(
                "c.csv",
                (
                    "ID,Customer\n" + "".join(f"{n},C{n}\n" for n in range(50_001))
                ).encode(),
            )
        },
    )

    assert duplicate.status_code == 400
    assert "Rename one of them" not in duplicate.content.decode()
    assert "“email”" in duplicate.content.decode()
    assert too_many.status_code == 400
    refusal = too_many.content.decode()
    assert "50000" in refusal or "50,000" in refusal
    # Parts imported one after another no longer replace each other.
    assert "several files" not in refusal
    assert not UploadImport.objects.exists()
    assert _items(handover) == {}


def test_only_the_uploader_follows_an_upload_and_strangers_get_404(
    client, people, stranger, sheet, django_capture_on_commit_callbacks
):
    handover, block_id, _config = sheet
    client.force_login(people["sales"])
    location = _upload(client, handover, block_id, _csv(FIRST))
    upload = UploadImport.objects.get()
    progress = reverse(
        "connectors:spreadsheet_progress", args=[handover.pk, block_id, upload.pk]
    )
    status = reverse(
        "connectors:spreadsheet_progress_json", args=[handover.pk, block_id, upload.pk]
    )

    client.force_login(people["hr"])
    assert client.get(location).status_code == 302
    assert client.get(progress).status_code == 302
    assert client.get(status).status_code == 404
    client.force_login(stranger)
    assert client.get(location).status_code == 404
    assert client.get(progress).status_code == 404
    assert client.get(status).status_code == 404
    client.force_login(people["successor"])
    assert client.get(location).status_code == 403


def test_uploads_nobody_imports_are_deleted_after_a_day(client, people, sheet):
    handover, block_id, _config = sheet
    client.force_login(people["sales"])
    _upload(client, handover, block_id, _csv(FIRST))
    upload = UploadImport.objects.get()
    stored = upload.file.name

    assert upload_purge() == 0
    later = timezone.now() + timezone.timedelta(hours=KEPT_HOURS + 1)
    assert upload_purge(now=later) == 1

    assert not UploadImport.objects.exists()
    assert not UploadImport.file.field.storage.exists(stored)
    assert Handover.objects.filter(pk=handover.pk).exists()
