"""CSV text, read as a stream: the encoding (UTF-8, GBK/GB18030 or UTF-16) and
the delimiter (comma, semicolon or tab) are found first, then rows are read one
by one."""

from __future__ import annotations

import codecs
import contextlib
import csv
import io

from django.utils.translation import gettext

from .files import OLE_MAGIC, ZIP_MAGIC, refuse

__all__ = ["open_csv"]

DELIMITERS = (",", ";", "\t")
SAMPLE_CHARACTERS = 64 * 1024
CHUNK_BYTES = 256 * 1024


def _detect_encoding(stream) -> tuple[str, str, str]:
    """(codec to read with, encoding to report, the first characters), after
    decoding the whole file once: a wrong byte in the last row is found now,
    not half-way through an import."""
    head = stream.read(4)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = (("utf-16", "utf-16"),)
    else:
        candidates = (("utf-8-sig", "utf-8"), ("gb18030", "gb18030"))
    for codec, name in candidates:
        stream.seek(0)
        decoder = codecs.getincrementaldecoder(codec)()
        sample = []
        sampled = 0
        has_nul = False
        try:
            while chunk := stream.read(CHUNK_BYTES):
                text = decoder.decode(chunk)
                has_nul = has_nul or "\x00" in text
                if sampled < SAMPLE_CHARACTERS:
                    sample.append(text)
                    sampled += len(text)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        if has_nul:
            refuse(gettext("This is not a CSV text file."))
        return codec, name, "".join(sample)
    refuse(
        gettext(
            "The file's text encoding is not UTF-8 or GBK. In Excel, use “Save as” "
            "and choose “CSV UTF-8”, then upload that file."
        )
    )


def _sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: the one that splits the first lines into the
    same, largest number of columns."""
    sample = text[:SAMPLE_CHARACTERS]
    lines = sample.splitlines()[:30]
    if len(lines) > 1 and len(sample) == SAMPLE_CHARACTERS:
        lines = lines[:-1]  # the last line may be cut off
    sample = "\n".join(lines)
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            rows = [
                row
                for row in csv.reader(io.StringIO(sample), delimiter=delimiter)
                if row
            ]
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            continue
        consistent = sum(1 for row in rows if len(row) == width)
        score = (consistent, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


@contextlib.contextmanager
def open_csv(stream, *, sheet=None):
    """``(numbered rows, details)`` of a seekable binary ``stream`` of CSV
    text; ``sheet`` is ignored (a CSV file has one)."""
    head = stream.read(8)
    if head.startswith((ZIP_MAGIC, OLE_MAGIC)):
        refuse(
            gettext(
                "This file is an Excel workbook, not CSV text. Upload it with its "
                ".xlsx name, or save it as CSV first."
            )
        )
    stream.seek(0)
    codec, encoding, sample = _detect_encoding(stream)
    delimiter = _sniff_delimiter(sample)
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=codec, newline="")
    reader = csv.reader(text, delimiter=delimiter)

    def numbered_rows():
        number = 0
        try:
            for number, values in enumerate(reader, start=1):
                yield number, [value.strip() for value in values]
        except csv.Error as error:
            refuse(
                gettext("Row %(row)d of the file cannot be read: %(reason)s")
                % {"row": number + 1, "reason": error}
            )

    try:
        yield numbered_rows(), {"encoding": encoding, "delimiter": delimiter}
    finally:
        # The stream belongs to the caller: let go of it without closing it.
        text.detach()
