"""Cells of exported spreadsheets that a spreadsheet program never runs as formulas (CSV and
formula injection, OWASP "CSV Injection").

Text from the data (a source's name, a note, a file name) may begin with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return, which Excel, LibreOffice and others read as the start of a
formula (``=HYPERLINK(…)``, ``@SUM(…)``, ``-2+3``). Every export goes through this module:

- CSV (:func:`csv_cell`): such a text gets a leading single quote, so the program shows it as
  text; a number, or text that is a plain number such as ``-12.5`` or ``+3e5``, is written as
  it is and stays a number;
- XLSX (:func:`xlsx_text`): a text cell is always stored as text (never a formula) and such a
  text is marked ``quotePrefix`` (Excel's own "leading apostrophe", not shown in the cell), so
  that editing the cell does not turn it into a formula either; number cells stay numbers.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["FORMULA_STARTS", "csv_cell", "is_formula_like", "xlsx_text"]

#: The first characters that make a spreadsheet program read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def is_formula_like(text: str) -> bool:
    """Whether ``text`` would be read as a formula: it begins with one of
    :data:`FORMULA_STARTS` and is not a plain number (``-12.5`` is a number, ``-1+2`` not)."""
    return text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text)


def csv_cell(value: Any) -> Any:
    """``value`` for a CSV writer: a formula-like text with a leading ``'``; anything else
    (numbers, numeric text, other text) as it is."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def xlsx_text(cell: Any) -> Any:
    """Make an openpyxl cell (or write-only cell) that holds text a text cell, never a formula,
    marked ``quotePrefix`` when its text is formula-like; a cell of any other value is left as
    it is. Returns the cell."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if is_formula_like(cell.value):
            cell.quotePrefix = True
    return cell
