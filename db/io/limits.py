"""Guards every uploaded or read file passes before it is parsed: size, encoding, zip layout.

The checks run on bytes, before any parser sees them, so a 50 MB file or a zip bomb costs one
bounded read and no parsing. File names are never used as paths: callers pass bytes or streams.
"""

from __future__ import annotations

import io
import zipfile
from typing import BinaryIO

from db.validation import FieldError, ValidationError

# Largest file an import or restore accepts (bytes). A 5,000-task plan exports to about 1 MB of CSV.
MAX_FILE_BYTES = 10 * 1024 * 1024
# An .xlsx is a zip: its parts together may not expand beyond this (bytes), nor by more than this ratio.
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_ZIP_RATIO = 100


def refuse(source: str, message: str, *, row: int | None = None, column: str = "file") -> ValidationError:
    """A one-problem refusal naming ``source`` (a file kind such as "tasks"), row and column."""
    return ValidationError([FieldError(source, column, message, row)])


def read_limited(data: bytes | BinaryIO, *, source: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, refused if empty or over ``limit`` (reads at most ``limit`` + 1 bytes)."""
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
    else:
        raw = data.read(limit + 1)
    if len(raw) > limit:
        raise refuse(source, f"is larger than the {limit // (1024 * 1024)} MB limit; split it into smaller files")
    if not raw.strip():
        raise refuse(source, "is empty")
    return raw


def decode_utf8(raw: bytes, *, source: str) -> str:
    """Text of a UTF-8 file (a byte-order mark is allowed); refused naming the line and column of a bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        message = (f"is not UTF-8 text: byte 0x{raw[exc.start]:02x} at line {line}, character {column}; "
                   "save the file as UTF-8 (CSV UTF-8 in Excel) and try again")
        raise refuse(source, message, row=line) from None


def check_zip(raw: bytes, *, source: str) -> zipfile.ZipFile:
    """An opened zip whose entries are safe to read: no ``..``/absolute names, bounded expansion."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        raise refuse(source, "is not an Excel workbook (.xlsx): it is not a zip archive") from None
    total = 0
    for info in archive.infolist():
        name = info.filename.replace("\\", "/")
        if name.startswith("/") or ".." in name.split("/") or ":" in name:
            raise refuse(source, f"contains an unsafe entry name {info.filename!r}")
        total += info.file_size
        if info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1) and info.file_size > 1024 * 1024:
            raise refuse(source, f"entry {info.filename!r} expands {info.file_size // max(info.compress_size, 1)}"
                                 f"-fold; refused as a possible zip bomb")
    if total > MAX_UNZIPPED_BYTES:
        raise refuse(source, f"expands to {total // (1024 * 1024)} MB; the limit is "
                             f"{MAX_UNZIPPED_BYTES // (1024 * 1024)} MB")
    return archive
