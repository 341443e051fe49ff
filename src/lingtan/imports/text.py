"""CSV files as factories write them: which encoding, and their rows one at a time, bounded.

:func:`csv_encoding` names the encoding of a file: UTF-8 (with or without a byte-order mark),
UTF-16 or UTF-32 with their byte-order mark (Excel's "Unicode text"), or GB18030 (which
covers GBK and GB2312, what a Chinese Excel writes). Anything else is refused, naming the file
and what was found. :func:`csv_rows` reads the rows without holding the file: a line longer
than :data:`MAX_LINE_CHARS` or a field longer than :data:`MAX_FIELD_CHARS` is refused.
Every reader of CSV files in lingtan (activity data, readings, tariffs) goes through here.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path

from lingtan.errors import InputError, InputProblem, InputTooLargeError
from lingtan.i18n import Message

__all__ = ["MAX_FIELD_CHARS", "MAX_LINE_CHARS", "csv_encoding", "csv_rows", "file_sha256"]

#: The longest field of a CSV file [characters]: the csv module's own limit.
MAX_FIELD_CHARS = csv.field_size_limit()
#: The longest line of a CSV file [characters].
MAX_LINE_CHARS = 1 << 20

_BOMS = (  # longest first: the UTF-32 LE mark begins with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_BLOCK = 1 << 20


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file (hex), read a block at a time."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _refuse(path: Path, rule: Message) -> InputError:
    return InputError(InputProblem(str(path), "file", path.name, rule))


def _decodes(path: Path, encoding: str) -> bool:
    """Whether the whole file decodes, block by block (memory stays bounded)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as handle:
        try:
            while block := handle.read(_BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def csv_encoding(path: str | Path) -> str:
    """The encoding of a text file: ``utf-8-sig``, ``utf-16``, ``utf-32`` or ``gb18030``.

    Raises
    ------
    InputError
        The file is of none of them (naming the file and what it looks like).
    """
    path = Path(path)
    with path.open("rb") as handle:
        head = handle.read(4096)
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            if not _decodes(path, encoding):
                rule = Message(
                    "begins as %(encoding)s text but does not decode as such",
                    encoding=encoding.upper(),
                )
                raise _refuse(path, rule)
            return encoding
    if b"\x00" in head:
        raise _refuse(
            path,
            Message(
                "holds NUL bytes: UTF-16 text without a byte-order mark, or not text; "
                "save it as UTF-8 CSV"
            ),
        )
    for encoding in ("utf-8-sig", "gb18030"):
        if _decodes(path, encoding):
            return encoding
    raise _refuse(path, Message("is neither UTF-8, GB18030 (GBK) nor UTF-16 text"))


def _lines(handle, path: Path) -> Iterator[str]:
    number = 0
    while line := handle.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS:
            rule = Message(
                "line %(line)d is longer than %(limit)d characters",
                line=number,
                limit=MAX_LINE_CHARS,
            )
            raise InputTooLargeError(InputProblem(str(path), "file", path.name, rule))
        yield line


def csv_rows(path: str | Path) -> Iterator[tuple[int, list[str]]]:
    """The rows of a CSV file (the header first) with their numbers, one at a time.

    Raises
    ------
    InputError
        Of an encoding :func:`csv_encoding` refuses, a line or a field too long, or a row the
        csv module cannot read; nothing after it is read.
    """
    path = Path(path)
    with path.open(newline="", encoding=csv_encoding(path)) as handle:
        reader = csv.reader(_lines(handle, path))
        number = 0
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                where = Message("%(file)s row %(row)d", file=path.name, row=number + 1)
                if "field larger than field limit" in str(error):
                    rule = Message(
                        "a field is longer than %(limit)d characters", limit=MAX_FIELD_CHARS
                    )
                else:
                    rule = Message("is not a CSV row (%(error)s)", error=str(error))
                raise InputError(InputProblem(where, "row", None, rule)) from None
            number += 1
            yield number, values
