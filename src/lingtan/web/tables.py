"""Reading a rendered page: its title, facility, filters and one of its tables, and the figures
in the table's cells as numbers with the number format that shows them as the page does.

This is what :mod:`lingtan.web.export` turns into a workbook; it knows nothing of any screen.
A table is named as ``static/app.js`` names it: by its ``id``, or by its number among all the
page's ``<table>`` elements in document order, counting from 1.

What is read from a page (the conventions of ``base.html`` and the screens):

- the page's name: ``<title>`` without the `` · lingtan`` suffix; its context: the ``<small>``
  of the first ``<h1>`` (facility name, period);
- the facility: ``data-facility``, ``data-facility-name`` and ``data-time-zone`` of ``<main>``;
- the filters: the visible fields of every ``<form method="get">`` in ``<main>`` above the
  table (year, month, day, family …) with their ``<label for>`` and the value shown;
- the table's caption: its ``<caption>``, else the nearest heading above it (``h1``–``h4`` or a
  ``<details>``' ``<summary>``);
- the header: the rows of ``<thead>``, else the leading rows made of ``<th>`` only; then the
  body rows (``<tfoot>`` last, as a browser shows it). ``colspan`` and ``rowspan`` are placed as
  a browser places them.

A cell's text is what the page shows: scripts, forms and their controls, ``<noscript>`` and
``hidden`` elements are left out; ``<br>`` and block elements break lines.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

__all__ = [
    "Cell",
    "Field",
    "Figure",
    "PageInfo",
    "Spans",
    "figure",
    "read_page",
]

_VOID = frozenset(("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "source", "track", "wbr"))  # fmt: skip
#: Elements whose text a page does not show in a table (forms and their controls, scripts).
_UNSHOWN = frozenset(
    ("script", "style", "template", "form", "button", "select", "textarea", "noscript")
)
_BREAKS = frozenset(
    ("br", "div", "p", "li", "dd", "dt", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section")
)
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "summary"))
_SECTIONS = frozenset(("thead", "tbody", "tfoot"))
_FIELD_TYPES = frozenset(("", "text", "number", "date", "month", "week", "time", "search"))
MAX_COLSPAN = 1000  # as browsers clamp them (HTML: colspan <= 1000, rowspan <= 65534)
MAX_ROWSPAN = 65534


@dataclass
class Cell:
    """A cell as written in the page: its text, its ``data-value`` and its spans."""

    text: str
    value: str | None = None
    header: bool = False
    colspan: int = 1
    rowspan: int = 1


@dataclass
class Field:
    """A filter field of the page: ``name``, its label and the value it shows."""

    name: str
    label: str = ""
    shown: str = ""
    id: str = ""


@dataclass
class PageInfo:
    """What a page says about itself and its table (see the module's description)."""

    title: str = ""
    context: str = ""
    facility: str = ""
    facility_name: str = ""
    time_zone: str = ""
    fields: list[Field] = field(default_factory=list)
    caption: str = ""
    header: list[list[Cell]] = field(default_factory=list)
    found: bool = False


def _attribute(attrs: list[tuple[str, str | None]], name: str) -> str | None:
    return next((value for key, value in attrs if key == name), None)


def _has(attrs: list[tuple[str, str | None]], name: str) -> bool:
    """Whether the element has the attribute (``selected``, ``hidden``: no value needed)."""
    return any(key == name for key, _ in attrs)


def _span(text: str | None, most: int) -> int:
    return min(max(int(text), 1), most) if text and text.strip().isdigit() else 1


def _lines(parts: list[str]) -> str:
    """Text as shown: whitespace collapsed within lines, empty lines dropped."""
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


class _Reader(HTMLParser):
    """One pass over a page: :class:`PageInfo` and, for each body row of the table ``key``,
    ``on_row(info, cells)``. Stops reading once the table has ended (see :attr:`done`)."""

    def __init__(self, key: str, on_row: Callable[[PageInfo, list[Cell]], None] | None):
        super().__init__(convert_charrefs=True)
        self.key, self.on_row = key, on_row
        self.info = PageInfo()
        self.done = False
        self._stack: list[str] = []  # open elements
        self._unshown: list[int] = []  # depths of open elements whose text is not shown
        self._sinks: dict[str, tuple[int, list[str]]] = {}  # name -> (depth, text parts)
        self._tables = 0
        self._main = False
        self._form: bool | None = None  # inside a GET form in <main> above the table
        self._labels: dict[str, str] = {}
        self._label_for: str | None = None
        self._select: Field | None = None
        self._option_selected = False
        self._options: list[tuple[str, bool]] = []
        self._heading = ""
        self._h1_seen = False
        # the table being read
        self._table: int | None = None  # depth of its element
        self._nested = 0
        self._section = ""
        self._row: int | None = None  # depth of the open row
        self._cells: list[Cell] = []
        self._cell: Cell | None = None
        self._in_body = False
        self._footer: list[list[Cell]] = []

    # -- text sinks: text goes to every sink unless an unshown element opened after it -----

    def _open_sink(self, name: str) -> None:
        self._sinks[name] = (len(self._stack), [])

    def handle_data(self, data: str) -> None:
        hidden_from = self._unshown[-1] if self._unshown else -1
        for depth, parts in self._sinks.values():
            if depth > hidden_from:
                parts.append(data)

    def _break(self) -> None:
        self.handle_data("\n")

    # -- elements --------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if self._table is not None and not self._nested and self._table_start(tag, attrs):
            return
        if tag == "table":
            self._begin_table(attrs)
        if tag in _BREAKS:
            self._break()
        if tag in _VOID:
            self._void(tag, attrs)
            return
        self._stack.append(tag)
        depth = len(self._stack)
        if tag in _UNSHOWN or _has(attrs, "hidden"):
            self._unshown.append(depth)
        self._open(tag, attrs)

    def _open(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._open_sink("title")
        elif tag == "main":
            self._main = True
            self.info.facility = _attribute(attrs, "data-facility") or ""
            self.info.facility_name = _attribute(attrs, "data-facility-name") or ""
            self.info.time_zone = _attribute(attrs, "data-time-zone") or ""
        elif tag == "small" and "h1" in self._sinks and not self._h1_seen:
            self._open_sink("context")
        elif tag in _HEADINGS and self._table is None:
            self._open_sink(tag)
        elif tag == "caption" and self._table is not None and not self._nested:
            self._open_sink("caption")
        elif tag == "form" and self._main and self._table is None:
            self._form = (_attribute(attrs, "method") or "").lower() == "get"
        elif tag == "label" and self._form:
            self._label_for = _attribute(attrs, "for") or ""
            self._open_sink("label")
        elif tag == "select" and self._form:
            name = _attribute(attrs, "name") or ""
            self._select = Field(name, id=_attribute(attrs, "id") or "")
            self._options = []
        elif tag == "option" and self._select is not None:
            self._close_option()
            self._option_selected = _has(attrs, "selected")
            self._open_sink("option")

    def _void(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = (_attribute(attrs, "type") or "").lower()
        if tag == "input" and self._form and kind in _FIELD_TYPES:
            name = _attribute(attrs, "name") or ""
            shown = _attribute(attrs, "value") or ""
            self.info.fields.append(Field(name, shown=shown, id=_attribute(attrs, "id") or ""))

    def handle_endtag(self, tag: str) -> None:
        if self.done or tag not in self._stack:
            return
        if self._table is not None and not self._nested and tag in ("td", "th", "tr", "table"):
            if tag == "table":
                self._end_table()
            elif tag == "tr":
                self._end_row()
            else:
                self._end_cell()
            return
        if tag == "table" and self._nested:
            self._nested -= 1
        while self._stack:
            if self._pop() == tag:
                break

    def _pop(self) -> str:
        depth = len(self._stack)
        tag = self._stack.pop()
        if self._unshown and self._unshown[-1] == depth:
            self._unshown.pop()
        for name in [n for n, (d, _) in self._sinks.items() if d == depth]:
            self._close(name, _lines(self._sinks.pop(name)[1]))
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            self._close_option()
            chosen = next(
                (t for t, s in self._options if s), self._options[0][0] if self._options else ""
            )
            self._select.shown = chosen
            self.info.fields.append(self._select)
            self._select = None
        elif tag == "main":
            self._main = False
        elif tag in _BREAKS:
            self._break()
        return tag

    def _close(self, name: str, text: str) -> None:
        if name == "title":
            self.info.title = text.removesuffix("· lingtan").strip()
        elif name == "context":
            self.info.context = " ".join(text.split())
        elif name in _HEADINGS:
            self._heading = " ".join(text.split())
            if name == "h1" and not self._h1_seen:  # the page's heading without its context
                self._heading = self._heading.removesuffix(self.info.context).strip()
                self._h1_seen = True
        elif name == "caption":
            self.info.caption = " ".join(text.split())
        elif name == "label" and self._label_for is not None:
            self._labels[self._label_for] = " ".join(text.split())
            self._label_for = None
        elif name == "option":
            self._options.append((" ".join(text.split()), self._option_selected))
        elif name == "cell" and self._cell is not None:
            self._cell.text = text

    def _close_option(self) -> None:
        if "option" in self._sinks:
            _, parts = self._sinks.pop("option")
            self._close("option", _lines(parts))

    # -- the table ---------------------------------------------------------------------------

    def _begin_table(self, attrs: list[tuple[str, str | None]]) -> None:
        self._tables += 1
        if self._table is not None:
            self._nested += 1
            return
        # a number names the table by its place, anything else by its id (as app.js does)
        named = str(self._tables) if self.key.isdigit() else _attribute(attrs, "id")
        if named != self.key:
            return
        self.info.found = True
        self.info.caption = self._heading
        self._table = len(self._stack) + 1
        self._form = None  # filters are the forms above the table
        for found in self.info.fields:
            found.label = self._labels.get(found.id, found.name)

    def _table_start(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        """Start tags that end open rows and cells; True when handled here."""
        if tag in _SECTIONS:
            self._end_row()
            self._close_to(self._table)
            self._section = tag
        elif tag == "tr":
            self._end_row()
            self._row = len(self._stack) + 1
        elif tag in ("td", "th"):
            if self._row is None:
                self._row = len(self._stack) + 1
                self._stack.append("tr")
            self._end_cell()
            self._cell = Cell(
                "",
                _attribute(attrs, "data-value"),
                tag == "th",
                _span(_attribute(attrs, "colspan"), MAX_COLSPAN),
                _span(_attribute(attrs, "rowspan"), MAX_ROWSPAN),
            )
        else:
            return False
        self._stack.append(tag)
        if tag in ("td", "th"):
            self._open_sink("cell")
        return True

    def _close_to(self, depth: int | None) -> None:
        while depth is not None and len(self._stack) > depth:
            self._pop()

    def _end_cell(self) -> None:
        if self._cell is None:
            return
        assert self._row is not None
        self._close_to(self._row)
        self._cells.append(self._cell)
        self._cell = None

    def _end_row(self) -> None:
        if self._row is None:
            return
        self._end_cell()
        self._close_to(self._row - 1)
        cells, self._row, self._cells = self._cells, None, []
        if self._section == "thead" or (
            not self._in_body
            and self._section != "tfoot"
            and cells
            and all(c.header for c in cells)
        ):
            self.info.header.append(cells)
        elif self._section == "tfoot":
            self._footer.append(cells)
        else:
            self._body(cells)

    def _body(self, cells: list[Cell]) -> None:
        self._in_body = True
        if self.on_row is None:
            self.done = True  # only the header was asked for
        else:
            self.on_row(self.info, cells)

    def _end_table(self) -> None:
        self._end_row()
        for cells in self._footer:
            self._body(cells)
        self._close_to((self._table or 1) - 1)
        self._table = None
        self.done = True


def read_page(
    html: str, key: str, on_row: Callable[[PageInfo, list[Cell]], None] | None = None
) -> PageInfo:
    """Read ``html`` up to the end of its table ``key`` (an ``id``, or a number from 1):
    the page's :class:`PageInfo`; ``on_row(info, cells)`` is called with each body row in
    turn (``info`` then holds all that comes before the table, and its header). Without
    ``on_row``, reading stops at the first body row: the header is all that is read.
    ``info.found`` is False when the page has no such table."""
    reader = _Reader(key, on_row)
    step = 1 << 16
    for start in range(0, len(html), step):
        reader.feed(html[start : start + step])
        if reader.done:
            break
    else:
        reader.close()
    return reader.info


class Spans:
    """Places the cells of successive rows on columns as a browser does with ``colspan`` and
    ``rowspan``. A spanned position holds ``fill(cell)``: the header repeats its text there, the
    body leaves it empty so that no figure is counted twice."""

    def __init__(self, fill: Callable[[Any], Any]):
        self.fill = fill
        self._below: dict[int, tuple[int, Any]] = {}  # column -> (rows left, value)

    def place(self, cells: list[Any], spans: list[tuple[int, int]]) -> list[Any]:
        """The row's values by column; ``spans`` are the (colspan, rowspan) of ``cells``."""
        above, self._below = self._below, {}
        row: list[Any] = []

        def take_from_above() -> None:
            while len(row) in above:
                left, value = above.pop(len(row))
                if left > 1:
                    self._below[len(row)] = (left - 1, value)
                row.append(value)

        for value, (colspan, rowspan) in zip(cells, spans, strict=True):
            take_from_above()
            spanned = self.fill(value)
            for k in range(colspan):
                if rowspan > 1:
                    self._below[len(row)] = (rowspan - 1, spanned)
                row.append(value if k == 0 else spanned)
        while above:  # rows spanning down past this row's last cell
            take_from_above()
            for column in [c for c in above if c < len(row)]:
                del above[column]  # overlapped by a colspan: a malformed table
            if above:
                row.append(None)
        return row


# --- figures --------------------------------------------------------------------------------

# Full-width forms (Chinese input methods) and the spaces a page may put in a figure.
_ASCII = str.maketrans(
    {chr(0xFF10 + d): str(d) for d in range(10)}
    | {"，": ",", "．": ".", "－": "-", "＋": "+", "％": "%", "￥": "¥"}
    | dict.fromkeys("\u3000\u00a0\u202f\u2009", " ")
)
_FIGURE = re.compile(
    r"""(?P<sign>[-−+]?)\s?(?P<currency>[¥$€£]?)(?P<sign2>[-−]?)
    (?P<whole>\d{1,3}(?:,\d{3})+|\d+)?(?:\.(?P<fraction>\d+))?
    (?:[eE](?P<exponent>[-+]?\d{1,3}))?
    (?P<percent>\s?%)?
    (?P<unit>\s?(?:[^\W\d_]|[°µ‰])[\w/·.²³°‰]{0,15})?""",
    re.VERBOSE,
)
#: Digits a figure may have and stay exact in a spreadsheet (IEEE double).
MAX_DIGITS = 15


@dataclass(frozen=True)
class Figure:
    """A number as a page shows it: ``value`` (a percentage as a fraction: 12.5 % is 0.125)
    and the spreadsheet ``number_format`` that shows it the same way (decimals, thousands
    separators, sign, percent, currency and unit)."""

    value: float
    number_format: str


def _quoted(text: str) -> str:
    return '"' + text.replace('"', "") + '"' if text else ""


def figure(text: str, data_value: str | None = None) -> Figure | None:
    """The figure shown as ``text``, or None when ``text`` is not a number.

    ``12,640.3``, ``１２，６４０．３``, ``−3.5``, ``12.5%``, ``10.0 %``, ``9,920.0 kWh``,
    ``¥1,200.00``, ``5.81e-05 tCO2/kWh`` and ``+2.0 %`` are figures; dates, codes (``M-SUP``,
    ``#12``), numbers with leading zeros (``007``) or more than :data:`MAX_DIGITS` digits
    are not. ``data_value``, the page's unrounded value of the cell, is the figure's value
    when it rounds to what is shown; otherwise the shown number is.
    """
    found = _FIGURE.fullmatch(text.translate(_ASCII).strip())
    if found is None:
        return None
    parts = found.groupdict(default="")
    whole, fraction = parts["whole"].replace(",", ""), parts["fraction"]
    if not (whole or fraction) or (parts["sign"] and parts["sign2"]):
        return None
    if (len(whole) > 1 and whole.startswith("0")) or len(whole.lstrip("0") + fraction) > MAX_DIGITS:
        return None
    sign = parts["sign"] or parts["sign2"]
    exponent = int(parts["exponent"] or 0)
    shown = float(f"{whole or 0}.{fraction or 0}e{exponent}") * (-1 if sign in ("-", "−") else 1)
    value = shown
    if data_value is not None:
        try:
            exact = float(data_value)
        except ValueError:
            exact = math.nan
        half_step = 0.5 * 10.0 ** (exponent - len(fraction))
        if math.isfinite(exact) and abs(exact - shown) <= half_step * (1 + 1e-9):
            value = exact
    percent = parts["percent"]
    if percent:
        value /= 100
    digits = ("#,##0" if "," in parts["whole"] else "0") + (
        "." + "0" * len(fraction) if fraction else ""
    )
    if parts["exponent"]:
        digits = "0" + ("." + "0" * len(fraction) if fraction else "") + "E+00"
    positive = (
        _quoted(parts["currency"])
        + digits
        + (_quoted(" ") if percent.startswith(" ") else "")
        + ("%" if percent else "")
        + _quoted(parts["unit"])
    )
    if sign == "+" or "−" in sign:
        # the page's own signs: an explicit plus, the typographic minus (U+2212)
        plus = _quoted("+") if sign == "+" else ""
        number_format = f"{plus}{positive};{_quoted('−')}{positive};{positive}"
    else:
        number_format = positive
    return Figure(value, number_format)
