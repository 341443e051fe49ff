"""What every command group shares: the console, the output of tables (``--format
table|json|csv``), the acting user, a transaction on the configured store, and the refusal of
bad input (every problem on stderr, exit status 2)."""

from __future__ import annotations

import csv
import functools
import getpass
import io
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from lingtan.cells import csv_cell
from lingtan.cli.lazy import LANG_ENV, language  # noqa: F401 (LANG_ENV: as before)
from lingtan.errors import InputError
from lingtan.i18n import NP_, Message

if TYPE_CHECKING:  # the store is imported by the commands that open it (lingtan.cli.lazy)
    from sqlalchemy.orm import Session

    from lingtan.store.evidence import EvidenceStore

__all__ = [
    "CLI_TERMS",
    "FIELD_COLUMNS",
    "FORMATS",
    "LINE_COLUMNS",
    "Column",
    "CommandError",
    "actor",
    "console",
    "csv_text",
    "emit",
    "format_option",
    "message",
    "name_of",
    "open_store",
    "print_table",
    "refusing_bad_input",
    "say",
    "table_of",
    "write_json",
]

#: The output formats of every command that lists rows.
FORMATS = ("table", "json", "csv")


def console(*, stderr: bool = False) -> Console:
    """A console; writing to a pipe or file it never wraps a line."""
    out = Console(highlight=False, stderr=stderr)
    out.soft_wrap = not out.is_terminal
    return out


#: The formats of a report written to a file.
REPORT_FORMATS = ("html", "pdf", "xlsx")


def report_format_option(command: Callable) -> Callable:
    """``--format html|pdf|xlsx`` (the parameter ``fmt``, default PDF) of a report's command."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(REPORT_FORMATS),
        default="pdf",
        show_default=True,
        help="The report's format.",
    )(command)


def format_option(command: Callable) -> Callable:
    """``--format table|json|csv`` (the parameter ``output``), as every listing has it."""
    return click.option(
        "--format",
        "output",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="A table for people, or JSON or CSV (UTF-8, a header row) for programs: numbers "
        "unrounded, the unit in each key.",
    )(command)


@dataclass(frozen=True)
class Column:
    """A column of a listing.

    Parameters
    ----------
    key : str
        The key of the value in each row; the JSON key and the CSV header, with the unit of a
        number as its suffix (``energy_tce``).
    heading : str
        The table's heading (default: the key).
    digits : int, optional
        For numbers: the decimals the table shows, with thousands separators; such a column is
        right-aligned and never wrapped or cut. JSON and CSV keep the numbers unrounded.
    names : str, optional
        For codes (a status, an energy type, a role …): the family of their names
        (:data:`lingtan.i18n.terms.TERMS`, or :data:`CLI_TERMS`), so that a Chinese table
        shows 官方 for ``official``; JSON and CSV keep the codes.
    """

    key: str
    heading: str = ""
    digits: int | None = None
    names: str | None = None

    def cell(self, value: Any, lang: str = "en") -> str:
        """The table's text of *value* in *lang* (a code by its name in Chinese)."""
        if value is None:
            return "-"
        if isinstance(value, bool):
            return name_of("cli.value", "yes" if value else "no", lang)
        if self.digits is not None and isinstance(value, int | float):
            return f"{value:,.{self.digits}f}"
        if self.names is not None and isinstance(value, str):
            return name_of(self.names, value, lang)
        return str(value)


#: The lines of an inventory, as ``lingtan export --format csv`` writes them.
LINE_COLUMNS = (
    Column("source_id", "line"),
    Column("kind"),
    Column("activity", digits=3),
    Column("activity_unit", "unit"),
    Column("emissions_tco2e", "tCO2e", 3),
    Column("market_emissions_tco2e", "market tCO2e", 3),
    Column("co2_t", "CO2 t", 3),
    Column("biogenic_co2_t", "biogenic CO2 t", 3),
    Column("energy_tce", "tce", 3),
    Column("gbt32150_category", "GB/T 32150 category"),
    Column("ghg_scope", "scope"),
    Column("scope3_category", "Scope 3 category"),
    Column("iso14064_category", "ISO 14064 category"),
    Column("uncertainty_pct", "uncertainty %", 1),
)


#: A table of one thing's fields: its name and its value.
FIELD_COLUMNS = (Column("field"), Column("value"))


#: The catalogue's context of the headings of the command line's tables.
HEADING = "cli.column"
#: Names of codes the command line shows that :data:`lingtan.i18n.terms.TERMS` has no family
#: for: family -> code -> (context, English).
CLI_TERMS: dict[str, dict[str, tuple[str, str]]] = {
    "cli.value": {
        "yes": NP_("cli.value", "yes"),
        "no": NP_("cli.value", "no"),
    },
    "meter.problem": {
        "conflict": NP_("meter.problem", "conflict"),
        "invalid": NP_("meter.problem", "invalid"),
        "overlap": NP_("meter.problem", "overlap"),
        "unused": NP_("meter.problem", "unused"),
    },
    "token.scope": {
        "ingest": NP_("token.scope", "ingest"),
        "read": NP_("token.scope", "read"),
    },
}


def name_of(family: str, code: str | None, lang: str) -> str:
    """The name of *code* in *family* (:data:`CLI_TERMS`, else
    :data:`lingtan.i18n.terms.TERMS`) in *lang*: the code itself in English (the command
    line's English shows codes) and where no name is known."""
    if code is None or lang == "en":
        return "-" if code is None else code
    from lingtan.i18n.catalog import texts  # Babel: only for Chinese

    entry = CLI_TERMS.get(family, {}).get(code)
    if entry is not None:
        return texts(lang).label(*entry)
    if family in CLI_TERMS:  # a family of the command line's own: no fallback to TERMS
        return code
    return texts(lang).name_of(family, code)


def message(text: Any, lang: str) -> str:
    """A text of the models (a :class:`~lingtan.i18n.Message`, or its stored ``as_dict``) in
    *lang*; any other text as it is."""
    if isinstance(text, dict):  # stored: {"msgid": …, "params": …}
        text = Message.stored(None, text)
    if lang == "en" or not isinstance(text, Message):
        return str(text)
    from lingtan.i18n.catalog import texts

    return texts(lang).message(text)


def heading(text: str, lang: str) -> str:
    """A heading of the command line (context ``cli.column``) in ``lang``."""
    if lang == "en":
        return text
    from lingtan.i18n.catalog import texts  # Babel: only for a Chinese table

    return texts(lang).label(HEADING, text)


def table_of(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    *,
    title: str | None = None,
    show_header: bool = True,
) -> Table:
    """A table of *rows*, headed in the command line's :func:`language`; a number column is
    as wide as its widest number, so that it is never wrapped or cut, however narrow the
    terminal."""
    lang = language()
    cells = [[column.cell(row.get(column.key), lang) for column in columns] for row in rows]
    table = Table(title=title, show_header=show_header)
    for i, column in enumerate(columns):
        number = column.digits is not None
        table.add_column(
            Text(heading(column.heading or column.key, lang)),
            justify="right" if number else "left",
            min_width=max((cell_len(line[i]) for line in cells), default=None) if number else None,
        )
    for line in cells:
        table.add_row(*map(Text, line))
    return table


def print_table(table: Table) -> None:
    """Print *table* on stdout: at its full width into a pipe or file, so that nothing wraps;
    in a terminal at the terminal's width, but never narrower than its numbers need."""
    out = console()
    needed = out.measure(table, options=out.options.update_width(1 << 20))
    out.width = max(out.width, needed.minimum) if out.is_terminal else needed.maximum
    out.soft_wrap = False  # the width is the table's own: its title is centred over it
    out.print(table)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _write(text: str) -> None:
    """*text* on stdout as UTF-8, whatever the locale."""
    binary = getattr(sys.stdout, "buffer", None)
    if binary is None:  # a text-only stream (a test's, or a wrapper): it takes text
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    binary.write(text.encode("utf-8"))
    binary.flush()


def write_json(data: Any) -> None:
    """*data* as JSON on stdout (UTF-8, Chinese as it is, dates as ISO 8601)."""
    _write(json.dumps(data, ensure_ascii=False, indent=2, default=_plain) + "\n")


def csv_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> str:
    """*rows* as CSV: a header row of the column keys, then one line per row, numbers
    unrounded, a missing value empty and a text a spreadsheet would run as a formula quoted
    (:func:`lingtan.cells.csv_cell`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([column.key for column in columns])
    for row in rows:
        writer.writerow(["" if row.get(c.key) is None else _csv_value(row[c.key]) for c in columns])
    return buffer.getvalue()


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return csv_cell(";".join(map(str, value)))
    return csv_cell(value)


def emit(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    output: str,
    *,
    title: str | None = None,
    document: Any = None,
) -> None:
    """Print a listing in the format of ``--format``: a table, JSON (*document* when the
    command has a JSON contract of its own, else the rows with the columns' keys) or CSV.

    Parameters
    ----------
    rows : sequence of mapping
        One mapping per row, keyed by the columns' keys.
    columns : sequence of Column
    output : {"table", "json", "csv"}
    title : str, optional
        The table's title.
    document : optional
        The JSON to print instead of the rows.
    """
    if output == "json":
        write_json(
            document
            if document is not None
            else [{column.key: row.get(column.key) for column in columns} for row in rows]
        )
    elif output == "csv":
        _write(csv_text(rows, columns))
    else:
        print_table(table_of(rows, columns, title=title))


def actor() -> str:
    return os.environ.get("LINGTAN_USER") or getpass.getuser()


def say(text: Message, *, err: bool = False) -> None:
    """Print a line for people in the command line's language (stderr with ``err``)."""
    click.echo(message(text, language()), err=err)


def warning_line(text: Any, lang: str) -> str:
    """``warning: …`` (警告：… in Chinese) of a text of the models or a stored warning."""
    if lang == "en":
        return f"warning: {message(text, lang)}"
    return f"{heading('warning', lang)}：{message(text, lang)}"


class CommandError(click.ClickException):
    """A command that cannot go on (exit status 1), told in the command line's language:
    ``Error: …``, or ``错误：…`` in Chinese."""

    def __init__(self, text: Message) -> None:
        self.lang = language()
        super().__init__(message(text, self.lang))

    def show(self, file: Any = None) -> None:
        head = "Error: " if self.lang == "en" else f"{heading('Error', self.lang)}："
        click.echo(f"{head}{self.format_message()}", file=file or sys.stderr)


@contextmanager
def open_store(
    ctx: click.Context, *, read_only: bool = False
) -> Iterator[tuple[Session, EvidenceStore]]:
    """A transaction on the configured database: an error rolls everything back. A read-only
    one does not wait for a writer on SQLite."""
    from sqlalchemy import make_url

    from lingtan.store.db import (
        current_revision,
        database_url,
        head_revision,
        make_engine,
        session_scope,
    )
    from lingtan.store.evidence import EvidenceStore, evidence_root

    url = database_url(ctx.obj.get("db") if ctx.obj else None)
    location = make_url(url)
    missing = Message("no lingtan database at %(url)s: run `lingtan init` first", url=url)
    if location.get_backend_name() == "sqlite" and not Path(location.database or "").is_file():
        raise CommandError(missing)
    engine = make_engine(url)
    try:
        revision = current_revision(engine)
        if revision is None:
            raise CommandError(missing)
        if revision != head_revision():
            old = Message(
                "the database at %(url)s has schema %(revision)s; this lingtan needs "
                "%(head)s: run `lingtan init` to upgrade it (data are kept)",
                url=url,
                revision=revision,
                head=head_revision(),
            )
            raise CommandError(old)
        with session_scope(engine, read_only=read_only) as session:
            yield session, EvidenceStore(evidence_root(url))
    finally:
        engine.dispose()


def refusal_text(error: InputError, lang: str) -> str:
    """The problems of *error* for people, in *lang* (English: the error's own text)."""
    if lang == "en":
        return str(error)
    from lingtan.i18n.catalog import texts

    t = texts(lang)
    count = len(error.problems) + error.omitted
    head = t.ngettext("%(num)d problem in the input", "%(num)d problems in the input", count)
    lines = [f"{error.origin}：{head}" if error.origin else head]
    for problem in error.problems:
        value = t.gettext("(missing)") if problem.value is None else repr(problem.value)
        line = t.gettext(
            "%(where)s: field %(field)s = %(value)s: %(rule)s",
            where=t.message(problem.where),
            field=t.message(problem.field),
            value=value,
            rule=t.message(problem.rule),
        )
        lines.append(f"  - {line}")
    if (rest := error.not_listed()) is not None:
        lines.append(f"  {t.message(rest)}")
    return "\n".join(lines)


def refusing_bad_input(command: Callable) -> Callable:
    """Refused input: every problem on stderr, exit status 2 (nothing was written)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except InputError as error:
            click.echo(refusal_text(error, language()), err=True)
            sys.exit(2)

    return run
