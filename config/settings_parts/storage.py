"""Where Baton keeps its files, and where its backups go (docs/backup.md).

Files (attachments, certificates, Wagtail documents and images) are on the
local filesystem under MEDIA_ROOT by default. ``BATON_STORAGE=s3`` (or an
``AWS_STORAGE_BUCKET_NAME``) puts them in an S3-compatible bucket instead
(django-storages): private objects (no public ACL), presigned URLs only, and
attachments and certificates still served only through Baton's
permission-checked views, which stream them from the bucket.

Backups (``manage.py backup``): encrypted to the age recipients in
``BATON_BACKUP_RECIPIENTS``, written to ``BATON_BACKUP_DIR`` or to
``BATON_BACKUP_URL=s3://bucket/prefix``, the newest ``BATON_BACKUP_KEEP`` kept.
"""

from django.core.exceptions import ImproperlyConfigured

from .environment import VAR_DIR, env

_S3_BACKEND = "storages.backends.s3.S3Storage"

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
BATON_STORAGE = env.str(
    "BATON_STORAGE", default="s3" if AWS_STORAGE_BUCKET_NAME else "filesystem"
).lower()
if BATON_STORAGE not in {"filesystem", "s3"}:
    raise ImproperlyConfigured(
        f"BATON_STORAGE is {BATON_STORAGE!r}: write filesystem or s3."
    )


def s3_options(
    *,
    bucket: str,
    location: str = "",
    endpoint_url: str = "",
    region: str = "",
    access_key: str = "",
    secret_key: str = "",
    addressing_style: str = "",
) -> dict:
    """The options of one private S3Storage: no ACL (the bucket's own, private,
    applies), presigned URLs that expire, never overwrite an existing name."""
    options = {
        "bucket_name": bucket,
        "location": location.strip("/"),
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": env.int("BATON_S3_URL_SECONDS", default=300),
        "file_overwrite": False,
        "signature_version": "s3v4",
    }
    # Left out, boto3 finds them itself (AWS_* variables, instance roles).
    for name, value in {
        "endpoint_url": endpoint_url,
        "region_name": region,
        "access_key": access_key,
        "secret_key": secret_key,
        "addressing_style": addressing_style,
    }.items():
        if value:
            options[name] = value
    return options


if BATON_STORAGE == "s3":
    if not AWS_STORAGE_BUCKET_NAME:
        raise ImproperlyConfigured("BATON_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
    _PREFIX = env.str("BATON_S3_PREFIX", default="").strip("/")
    _S3 = {
        "bucket": AWS_STORAGE_BUCKET_NAME,
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=""),
        "region": env.str("AWS_S3_REGION_NAME", default=""),
        "access_key": env.str("AWS_S3_ACCESS_KEY_ID", default=""),
        "secret_key": env.str("AWS_S3_SECRET_ACCESS_KEY", default=""),
        "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default=""),
    }
    BATON_FILE_STORAGES = {
        # Wagtail documents and images (documents are served by Wagtail's
        # permission-checked serve view).
        "default": {
            "BACKEND": _S3_BACKEND,
            "OPTIONS": s3_options(location=f"{_PREFIX}/media", **_S3),
        },
        # Attachments and certificates: only through Baton's views.
        "private": {
            "BACKEND": _S3_BACKEND,
            "OPTIONS": s3_options(location=f"{_PREFIX}/private", **_S3),
        },
    }
else:
    # The private files live under MEDIA_ROOT/private (cms.models.handovers).
    BATON_FILE_STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    }

# Backups -----------------------------------------------------------------------
# age recipients (public keys, "age1…", comma-separated): the server can write
# backups but not read them; restore needs the matching identity file.
BATON_BACKUP_RECIPIENTS = env.list("BATON_BACKUP_RECIPIENTS", default=[])
BATON_BACKUP_DIR = env.str("BATON_BACKUP_DIR", default=str(VAR_DIR / "backups"))
# s3://bucket/prefix: backups go there instead of BATON_BACKUP_DIR.
BATON_BACKUP_URL = env.str("BATON_BACKUP_URL", default="")
BATON_BACKUP_S3_ENDPOINT_URL = env.str("BATON_BACKUP_S3_ENDPOINT_URL", default="")
BATON_BACKUP_S3_REGION = env.str("BATON_BACKUP_S3_REGION", default="")
BATON_BACKUP_S3_ACCESS_KEY_ID = env.str("BATON_BACKUP_S3_ACCESS_KEY_ID", default="")
BATON_BACKUP_S3_SECRET_ACCESS_KEY = env.str(
    "BATON_BACKUP_S3_SECRET_ACCESS_KEY", default=""
)
BATON_BACKUP_KEEP = env.int("BATON_BACKUP_KEEP", default=14)
if BATON_BACKUP_KEEP < 1:
    raise ImproperlyConfigured("BATON_BACKUP_KEEP must be 1 or more.")


# What ``config.settings`` takes from here: the settings, not the helpers.
__all__ = [name for name in dir() if name.isupper() and not name.startswith("_")]
