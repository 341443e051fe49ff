"""Excel from every table: any page answers ``?export=xlsx&table=KEY`` with its table ``KEY``
as a workbook (``.xlsx``).

One ASGI middleware (:class:`TableExport`) does it for every screen, present and future: it
takes the request off the two parameters, lets the application answer it as the page it is
(same user, same query, same facility), and once more in the other language; the first answer
is the page, so a request the page would refuse (sign in first, 403, 404) gets exactly that
answer. The table is read from both renderings (:mod:`lingtan.web.tables`) and written with
openpyxl's streaming writer:

- a block at the top: the table's caption, the page (its title and context), the facility, the
  period and filters shown, the export time in the facility's time zone (``data-time-zone`` of
  the page, else UTC+08:00) and the page's address;
- the header rows in Chinese and English ("能耗 [tce] / Energy [tce]"), frozen above the body;
- the body in the page's language: figures as numbers equal to the page's (the unrounded
  ``data-value`` where the page carries one that rounds to what it shows) with a number format
  that shows them as the page does; other cells as text, never formulas
  (:mod:`lingtan.cells`).

Work and memory are bounded: a page above :data:`MAX_PAGE_BYTES` or a table above
:data:`MAX_CELLS` cells (rows × columns) is refused with 422 and a clear message; a table
longer than a sheet (:data:`SHEET_ROWS`, Excel's limit) continues on further sheets, each with
the block and the header again. ``static/app.js`` puts the link under every table's heading.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote_plus
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lingtan.cells import xlsx_text
from lingtan.i18n import N_, NP_
from lingtan.metering.store import ROLLUP_UTC_OFFSET_MIN
from lingtan.web import i18n
from lingtan.web.deps import attachment, error_body
from lingtan.web.tables import Cell, Figure, PageInfo, Spans, figure, read_page

__all__ = [
    "MAX_CELLS",
    "MAX_PAGE_BYTES",
    "SHEET_ROWS",
    "XLSX",
    "Export",
    "ExportRefusedError",
    "TableExport",
    "workbook",
]

#: The largest page an export reads [bytes].
MAX_PAGE_BYTES = 32 * 1024 * 1024
#: The most cells (rows × columns) an export writes.
MAX_CELLS = 2_000_000
#: Rows and columns of one sheet (Excel's limits).
SHEET_ROWS = 1_048_576
SHEET_COLUMNS = 16_384
#: The most characters of one cell (Excel's limit).
MAX_CELL_TEXT = 32_767
#: Rows read to size the columns before the first is written.
WIDTH_SAMPLE_ROWS = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Local time where the page names no time zone: that of the daily totals (UTC+08:00).
LOCAL = timezone(timedelta(minutes=ROLLUP_UTC_OFFSET_MIN))

_TITLE = Font(bold=True, size=13)
_HEAD = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="E3EFE9")
_WRAP = Alignment(wrap_text=True, vertical="top")
_PARAMETERS = ("export", "table")


class ExportRefusedError(Exception):
    """An export that is not written: HTTP status and the message (an English msgid) with its
    values."""

    def __init__(self, status: int, key: str, **values: object):
        self.status, self.key, self.values = status, key, values
        super().__init__(key)


@dataclass(frozen=True)
class Export:
    """What an export needs besides the two renderings of its page."""

    table: str  # the table's id, or its number on the page
    lang: str  # the page's language
    address: str  # the page's path and query
    exported_at: datetime  # with its time zone (UTC)


def _both(zh: str, en: str) -> str:
    """A text in Chinese and English, once when they are the same."""
    return zh if zh == en or not en else en if not zh else f"{zh} / {en}"


#: The labels of the title block above an exported table.
_CONTINUED = NP_("export", "continued, part %(n)s")
_PAGE = NP_("export", "Page")
_FACILITY = NP_("export", "Facility")
_FILTERS = NP_("export", "Period and filters")
_EXPORTED_AT = NP_("export", "Exported at")
_ADDRESS = NP_("export", "Page address")


def _label(label: tuple[str, str], **values: object) -> str:
    """A label of the title block (``NP_(context, msgid)``) in Chinese and English."""
    texts = (i18n.texts(lang).pgettext(*label, **values) for lang in ("zh-CN", "en"))
    return _both(*texts)


def _local(page: PageInfo, moment: datetime) -> datetime:
    """``moment`` in the facility's time zone (``data-time-zone`` of the page), else
    :data:`LOCAL`."""
    try:
        zone = ZoneInfo(page.time_zone) if page.time_zone else LOCAL
    except (ZoneInfoNotFoundError, ValueError):
        zone = LOCAL
    return moment.astimezone(zone)


def _time(local: datetime) -> str:
    offset = local.strftime("%z") or "+0000"
    return f"{local:%Y-%m-%d %H:%M} (UTC{offset[:3].replace('-', '−')}:{offset[3:5]})"


def _width(text: str) -> int:
    """Columns a text needs: two for a wide (CJK) character."""
    longest = max(text.split("\n"), key=len, default="")
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in longest)


def _text(text: str) -> str:
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text if len(text) <= MAX_CELL_TEXT else text[: MAX_CELL_TEXT - 1] + "…"


@dataclass
class _Pages:
    """The page as shown (``page``) and in the other language (``other``)."""

    page: PageInfo
    other: PageInfo
    zh_first: bool

    def both(self, mine: str, theirs: str) -> str:
        return _both(mine, theirs) if self.zh_first else _both(theirs, mine)


def _header(pages: _Pages) -> list[list[str | None]]:
    """The header rows, each cell "中文 / English" (the page's own language alone when the
    other rendering's header has another shape)."""

    def placed(rows: list[list[Cell]]) -> list[list[str | None]]:
        spans = Spans(lambda text: text)
        return [
            spans.place(
                [" ".join(c.text.split()) for c in row], [(c.colspan, c.rowspan) for c in row]
            )
            for row in rows
        ]

    mine, theirs = placed(pages.page.header), placed(pages.other.header)
    if [len(row) for row in mine] != [len(row) for row in theirs]:
        return mine
    return [
        [pages.both(a or "", b or "") or None for a, b in zip(row, other, strict=True)]
        for row, other in zip(mine, theirs, strict=True)
    ]


def _filters(pages: _Pages) -> str:
    theirs = {f.name: f for f in pages.other.fields}
    shown = []
    for mine in pages.page.fields:
        if not mine.shown:
            continue
        other = theirs.get(mine.name, mine)
        shown.append(
            f"{pages.both(mine.label, other.label)}: {pages.both(mine.shown, other.shown)}"
        )
    return "; ".join(shown) or "—"


def _top(pages: _Pages, export: Export, part: int) -> list[str]:
    """The block above the header: caption, page, facility, filters, time, address."""
    page, other = pages.page, pages.other
    caption = pages.both(page.caption or page.title, other.caption or other.title)
    if part > 1:
        caption += f" ({_label(_CONTINUED, n=part)})"
    title = pages.both(page.title, other.title)
    facility = page.facility_name or page.facility
    if page.facility and page.facility_name:
        facility = f"{page.facility_name} ({page.facility})"
    time = _time(_local(page, export.exported_at))
    return [
        caption,
        f"{_label(_PAGE)}: {title}" + (f" — {page.context}" if page.context else ""),
        f"{_label(_FACILITY)}: {facility or '—'}",
        f"{_label(_FILTERS)}: {_filters(pages)}",
        f"{_label(_EXPORTED_AT)}: {time}",
        f"{_label(_ADDRESS)}: {export.address}",
        "",
    ]


def _value(cell: Cell) -> Figure | str | None:
    return figure(cell.text, cell.value) or cell.text or None


@dataclass
class _Writer:
    """Writes the body rows as they are read; sheets follow one another when one is full."""

    other: PageInfo
    export: Export
    book: Workbook = field(default_factory=lambda: Workbook(write_only=True))
    pages: _Pages | None = None
    header: list[list[str | None]] = field(default_factory=list)
    spans: Spans = field(default_factory=lambda: Spans(lambda _: None))
    sample: list[list[Any]] = field(default_factory=list)
    widths: dict[int, int] = field(default_factory=dict)
    sheet: Any = None
    part: int = 0
    on_sheet: int = 0
    per_sheet: int = 0
    cells: int = 0

    def row(self, page: PageInfo, cells: list[Cell]) -> None:
        if self.pages is None:
            self._prepare(page)
        values = self.spans.place(
            [_value(c) for c in cells], [(c.colspan, c.rowspan) for c in cells]
        )
        self._count(len(values))
        if self.sheet is None:
            for column, cell in enumerate(cells):
                self._fit(column, cell.text)
            self.sample.append(values)
            if len(self.sample) >= WIDTH_SAMPLE_ROWS:
                self._flush_sample()
        else:
            self._write(values)

    def finish(self, page: PageInfo) -> bytes:
        if self.pages is None:
            self._prepare(page)
        self._flush_sample()
        self._close_sheet()
        stream = io.BytesIO()
        self.book.save(stream)
        return stream.getvalue()

    def _prepare(self, page: PageInfo) -> None:
        self.pages = _Pages(page, self.other, self.export.lang == "zh-CN")
        self.header = _header(self.pages)
        for row in self.header:
            self._count(len(row))
            for column, text in enumerate(row):
                self._fit(column, text or "")
        self.per_sheet = SHEET_ROWS - len(_top(self.pages, self.export, 1)) - len(self.header)

    def _count(self, columns: int) -> None:
        if columns > SHEET_COLUMNS:
            raise ExportRefusedError(
                422,
                N_("The table has more than Excel's %(limit)s columns and cannot be exported."),
                limit=f"{SHEET_COLUMNS:,}",
            )
        self.cells += columns
        if self.cells > MAX_CELLS:
            raise ExportRefusedError(
                422,
                N_(
                    "The table has more than %(limit)s cells (rows × columns), more than an "
                    "export writes: choose a shorter period or narrower filters."
                ),
                limit=f"{MAX_CELLS:,}",
            )

    def _fit(self, column: int, text: str) -> None:
        self.widths[column] = max(self.widths.get(column, 8), min(_width(text) + 2, 60))

    def _flush_sample(self) -> None:
        if self.sheet is None:
            self._new_sheet()
        for values in self.sample:
            self._write(values)
        self.sample = []

    def _write(self, values: Sequence[Any]) -> None:
        if self.on_sheet == self.per_sheet:
            self._new_sheet()
        self.sheet.append([self._cell(value) for value in values])
        self.on_sheet += 1

    def _cell(self, value: Figure | str | None) -> Any:
        if isinstance(value, Figure):
            cell = WriteOnlyCell(self.sheet, value.value)
            cell.number_format = value.number_format
            return cell
        if value is None:
            return None
        cell = xlsx_text(WriteOnlyCell(self.sheet, _text(value)))  # never a formula
        if "\n" in value:
            cell.alignment = _WRAP
        return cell

    def _new_sheet(self) -> None:
        assert self.pages is not None
        self._close_sheet()
        self.part += 1
        name = re.sub(r"[\[\]:*?/\\']", "-", self.export.table)
        name = f"table {name}" if name.isdigit() else name
        self.sheet = sheet = self.book.create_sheet(
            (name[:24] + (f" ({self.part})" if self.part > 1 else "")) or "table"
        )
        for column, width in self.widths.items():
            sheet.column_dimensions[get_column_letter(column + 1)].width = width
        top = _top(self.pages, self.export, self.part)
        sheet.freeze_panes = f"A{len(top) + len(self.header) + 1}"
        for number, text in enumerate(top):
            cell = xlsx_text(WriteOnlyCell(sheet, _text(text)))
            if number == 0:
                cell.font = _TITLE
            sheet.append([cell])
        for row in self.header:
            sheet.append([self._head(text) for text in row])
        self.on_sheet = 0

    def _head(self, text: str | None) -> WriteOnlyCell:
        cell = xlsx_text(WriteOnlyCell(self.sheet, _text(text or "")))
        cell.font, cell.fill, cell.alignment = _HEAD, _HEAD_FILL, _WRAP
        return cell

    def _close_sheet(self) -> None:
        if self.sheet is None or not self.header:
            return
        assert self.pages is not None
        first = len(_top(self.pages, self.export, self.part)) + len(self.header)
        last_column = get_column_letter(max(self.widths, default=0) + 1)
        self.sheet.auto_filter.ref = f"A{first}:{last_column}{first + self.on_sheet}"


def _file_name(page: PageInfo, export: Export) -> str:
    path = export.address.split("?", 1)[0].strip("/").replace("/", "-") or "page"
    stamp = f"{_local(page, export.exported_at):%Y%m%d-%H%M}"
    parts = ["lingtan", page.facility, path, export.table, stamp]
    name = "-".join(part for part in parts if part)
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name) + ".xlsx"


def workbook(page_html: str, other_html: str, export: Export) -> tuple[bytes, str]:
    """The table ``export.table`` of ``page_html`` as a workbook, with its header also in the
    language of ``other_html`` (the same page in the other language): (xlsx, file name).

    Raises
    ------
    ExportRefusedError
        404 when the page has no such table; 422 when it is larger than :data:`MAX_CELLS`.
    """
    other = read_page(other_html, export.table)
    writer = _Writer(other, export)
    page = read_page(page_html, export.table, writer.row)
    if not page.found:
        raise ExportRefusedError(404, N_("The page has no table %(table)s."), table=export.table)
    return writer.finish(page), _file_name(page, export)


# --- the middleware -------------------------------------------------------------------------


@dataclass
class _Answer:
    """An answer of the application, kept when it is a page and sent on (``forward``) when it
    is anything else."""

    forward: Send | None = None
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0
    page: bool = False

    async def collect(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status, self.headers = message["status"], list(message.get("headers", []))
            kind = dict(self.headers).get(b"content-type", b"")
            self.page = self.status == 200 and kind.startswith(b"text/html")
        if not self.page:
            if self.forward is not None:
                await self.forward(message)
            return
        if message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            self.size += len(chunk)
            if self.size <= MAX_PAGE_BYTES:
                self.chunks.append(chunk)

    def html(self) -> str:
        return b"".join(self.chunks).decode("utf-8", errors="replace")


def _in_language(headers: list[tuple[bytes, bytes]], lang: str) -> list[tuple[bytes, bytes]]:
    """The request headers with the language cookie set to ``lang``."""
    cookies = [
        part.strip()
        for name, value in headers
        if name == b"cookie"
        for part in value.decode("latin-1").split(";")
    ]
    kept = [c for c in cookies if c and c.split("=", 1)[0].strip() != i18n.LANG_COOKIE]
    cookie = "; ".join([*kept, f"{i18n.LANG_COOKIE}={lang}"]).encode("latin-1")
    return [(n, v) for n, v in headers if n != b"cookie"] + [(b"cookie", cookie)]


class TableExport:
    """ASGI middleware: ``GET PAGE?...&export=xlsx&table=KEY`` answers the table ``KEY`` of
    ``PAGE?...`` as a workbook; every other request goes to the application untouched."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if scope.get("method") != "GET" or b"export=" not in query:
            await self.app(scope, receive, send)
            return
        kept, asked = [], {}
        for pair in query.split(b"&"):
            name, _, value = pair.partition(b"=")
            if unquote_plus(name.decode("latin-1")) in _PARAMETERS:
                asked[unquote_plus(name.decode("latin-1"))] = unquote_plus(value.decode("latin-1"))
            elif pair:
                kept.append(pair)
        if "export" not in asked:
            await self.app(scope, receive, send)
            return
        lang = i18n.language(Request(scope))
        try:
            if asked["export"] != "xlsx" or not asked.get("table"):
                raise ExportRefusedError(
                    422, N_("An export needs export=xlsx and table=the id or number of the table.")
                )
            await self._export(scope, receive, send, b"&".join(kept), asked["table"], lang)
        except ExportRefusedError as refused:
            message = i18n.texts(lang).gettext(refused.key, **refused.values)
            answer = JSONResponse(error_body(refused.status, message), status_code=refused.status)
            await answer(scope, receive, send)

    async def _export(
        self, scope: Scope, receive: Receive, send: Send, query: bytes, table: str, lang: str
    ) -> None:
        page = await self._render(scope, receive, query, None, send)
        if not page.page:
            return  # the page's own answer (sign in, 403, 404 …) has been sent
        if page.size > MAX_PAGE_BYTES:
            raise ExportRefusedError(
                422,
                N_("The page is larger than %(limit)s bytes; its tables cannot be exported."),
                limit=f"{MAX_PAGE_BYTES:,}",
            )
        other_lang = next(code for code in i18n.LANGUAGES if code != lang)
        other = await self._render(scope, receive, query, other_lang, None)
        address = scope["path"] + (f"?{query.decode('latin-1')}" if query else "")
        export = Export(table, lang, address, datetime.now(UTC))
        other_html = other.html() if other.page and other.size <= MAX_PAGE_BYTES else ""
        body, name = await run_in_threadpool(workbook, page.html(), other_html, export)
        headers = {"Content-Disposition": attachment(name), "Cache-Control": "no-store"}
        await Response(body, media_type=XLSX, headers=headers)(scope, receive, send)

    async def _render(
        self, scope: Scope, receive: Receive, query: bytes, lang: str | None, forward: Send | None
    ) -> _Answer:
        """The application's answer to the page request (in ``lang``, else as asked)."""
        headers = scope["headers"] if lang is None else _in_language(scope["headers"], lang)
        answer = _Answer(forward)
        asked = False

        async def no_body() -> Message:
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": b"", "more_body": False}
            while True:  # then only the client's disconnect
                message = await receive()
                if message["type"] == "http.disconnect":
                    return message

        await self.app(dict(scope, query_string=query, headers=headers), no_body, answer.collect)
        return answer
