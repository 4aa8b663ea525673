"""Attachments and certificates on S3-compatible storage (BATON_STORAGE=s3):
stored privately in the bucket, and still served only through Baton's
permission-checked views, which stream them from the bucket."""

import hashlib

from rest_framework.test import APIClient

from cms.models import Certificate
from tests import storage_server as _server
from tests.fixtures.handovers import complete_handover, item_of

API = "/api/v1"
# The fixtures: a real S3-compatible server (moto), Baton's files in a bucket.
storage_server = _server.storage_server
s3_files = _server.s3_files


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_an_attachment_lands_in_the_bucket_and_only_participants_get_it(
    s3_files, storage_server, sales_handover, people, stranger
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    item = item_of(sales_handover, "Key client list")
    content = b"%PDF-1.4 clients on s3"

    uploaded = as_user(people["sales"]).post(
        f"{API}/items/{item.pk}/attachments/",
        {"file": SimpleUploadedFile("clients.pdf", content, "application/pdf")},
    )
    assert uploaded.status_code == 201, uploaded.content
    url = uploaded.json()["download_url"]

    keys = storage_server.keys(s3_files)
    expected = f"private/handovers/{sales_handover.pk}/items/{item.pk}/clients.pdf"
    assert keys == [expected]
    stored = storage_server.client().get_object(Bucket=s3_files, Key=expected)
    assert stored["Body"].read() == content
    grants = storage_server.client().get_object_acl(Bucket=s3_files, Key=expected)
    assert [grant["Permission"] for grant in grants["Grants"]] == ["FULL_CONTROL"]
    assert "URI" not in grants["Grants"][0]["Grantee"]  # no AllUsers grant

    download = as_user(people["successor"]).get(url)
    assert download.status_code == 200
    assert _body(download) == content
    assert download["Content-Disposition"].startswith("attachment;")
    assert as_user(stranger).get(url).status_code == 404


def test_the_certificate_is_stored_in_and_served_from_the_bucket(
    s3_files,
    storage_server,
    sales_handover,
    people,
    stranger,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        complete_handover(sales_handover, people)
    certificate = Certificate.objects.get(handover=sales_handover)

    key = f"private/{certificate.pdf.name}"
    assert key in storage_server.keys(s3_files, "private/certificates/")
    stored = storage_server.client().get_object(Bucket=s3_files, Key=key)
    assert hashlib.sha256(stored["Body"].read()).hexdigest() == certificate.pdf_sha256

    url = f"{API}/handovers/{sales_handover.pk}/certificate/"
    download = as_user(people["manager"]).get(url)
    assert download.status_code == 200
    body = _body(download)
    assert body.startswith(b"%PDF")
    assert hashlib.sha256(body).hexdigest() == certificate.pdf_sha256
    assert as_user(stranger).get(url).status_code == 404
