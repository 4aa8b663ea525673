"""A real S3-compatible server on loopback for the tests: moto's server
(``moto[server]``), which speaks S3's HTTP API, started once per test session.
Baton talks to it through django-storages and boto3 exactly as to S3."""

import uuid

import boto3
import pytest
from django.core.files.storage import storages

ACCESS_KEY = "baton-test-access"
SECRET_KEY = "baton-test-secret"  # moto accepts any
REGION = "us-east-1"


class StorageServer:
    def __init__(self, endpoint_url: str):
        self.endpoint_url = endpoint_url

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def bucket(self) -> str:
        """A new, empty bucket: each test its own."""
        name = f"baton-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        listing = self.client().list_objects_v2(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def storage_options(self, bucket: str, location: str) -> dict:
        """As config/settings_parts/storage.py sets them for BATON_STORAGE=s3."""
        return {
            "bucket_name": bucket,
            "location": location,
            "endpoint_url": self.endpoint_url,
            "region_name": REGION,
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "signature_version": "s3v4",
        }

    def environment(self) -> dict:
        """For a subprocess: backups to and from this server."""
        return {
            "BATON_BACKUP_S3_ENDPOINT_URL": self.endpoint_url,
            "BATON_BACKUP_S3_REGION": REGION,
            "BATON_BACKUP_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "BATON_BACKUP_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        }


@pytest.fixture(scope="session")
def storage_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield StorageServer(f"http://{host}:{port}")
    server.stop()


@pytest.fixture
def s3_files(storage_server, settings):
    """Baton's files (default and private storage) in a fresh bucket, as with
    BATON_STORAGE=s3; the bucket's name."""
    from django.utils.functional import empty

    from cms.models.handovers import private_storage

    bucket = storage_server.bucket()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": storage_server.storage_options(bucket, "media"),
        },
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": storage_server.storage_options(bucket, "private"),
        },
    }
    private_storage._wrapped = empty
    yield bucket
    private_storage._wrapped = empty
    storages._storages = {}
