"""The files of a backup: every file of the default storage (Wagtail documents
and images) and of the private one (attachments, certificates, uploads), read
and written through the storage API, so the filesystem and S3 work alike."""

import hashlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage

__all__ = ["HashingReader", "file_storages", "storage_files", "storage_put"]

#: Archive members of the files: media/<storage>/<name>.
PREFIX = "media"


def file_storages() -> dict:
    from cms.models.handovers import private_storage

    return {"default": default_storage, "private": private_storage}


def _nested_private(default, private) -> str:
    """On disk the private files live inside MEDIA_ROOT: the default storage's
    walk leaves that folder to the private storage's."""
    if not (
        isinstance(default, FileSystemStorage)
        and isinstance(private, FileSystemStorage)
    ):
        return ""
    inner, outer = Path(private.location).resolve(), Path(default.location).resolve()
    return inner.name if inner.parent == outer else ""


def _walk(storage, path: str = "") -> Iterator[str]:
    try:
        directories, files = storage.listdir(path)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield str(PurePosixPath(path, name)) if path else name
    for directory in sorted(directories):
        yield from _walk(
            storage, str(PurePosixPath(path, directory)) if path else directory
        )


def storage_files() -> Iterator[tuple[str, object, str]]:
    """(storage key, storage, name) of every stored file."""
    storages = file_storages()
    skip = _nested_private(storages["default"], storages["private"])
    for key, storage in storages.items():
        for name in _walk(storage):
            if key == "default" and skip and name.split("/", 1)[0] == skip:
                continue
            yield key, storage, name


def storage_put(storage, name: str, handle) -> None:
    """Under exactly ``name``, replacing a file of that name."""
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, File(handle, name=PurePosixPath(name).name))
    if saved != name:
        storage.delete(saved)
        raise OSError(f"storage renamed {name} to {saved}")


class HashingReader:
    """A file object that hashes what is read through it."""

    def __init__(self, raw):
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, size=-1):
        data = self.raw.read(size)
        self.sha256.update(data)
        self.size += len(data)
        return data
