"""The CBAM communication as a workbook in the structure of the Commission's template for
installations (sheet ``Summary_Communication``).

References
----------
.. [1] Regulation (EU) 2023/956 (CBAM), Annex IV, and the Commission's communication template
   for installations: the Summary_Communication sheet's fields.
"""

from __future__ import annotations

import io
from typing import Any

from lingtan.cells import xlsx_text
from lingtan.footprint.declaration_files import CBAM_COLUMNS, CbamCommunication, cbam_rows
from lingtan.i18n import NP_

__all__ = ["cbam_workbook"]


def cbam_workbook(communication: CbamCommunication, lang: str = "zh-CN") -> bytes:
    """The communication as an XLSX in the template's structure (sheet Summary_Communication):
    the installation, the period's emissions and one row per good.

    Headings are in ``lang`` (catalogue context ``cbam``), each with the template's English
    heading beside or under it, as the EU importer reads it.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from lingtan.i18n.catalog import texts

    def label(text: tuple[str, str]) -> str:
        return texts(lang).label(*text)

    book = Workbook()
    sheet = book.active
    sheet.title = "Summary_Communication"
    bold = Font(bold=True)
    site = communication.installation

    def put(row: int, column: int, value: Any, *, strong: bool = False) -> None:
        cell = xlsx_text(sheet.cell(row=row, column=column, value=value))
        if strong:
            cell.font = bold

    put(1, 1, label(NP_("cbam", "Installation")), strong=True)
    about = (
        (NP_("cbam", "Installation name"), site.name),
        (NP_("cbam", "Street and number"), site.street),
        (NP_("cbam", "Economic activity"), site.economic_activity),
        (NP_("cbam", "Country"), site.country),
        (NP_("cbam", "UN/LOCODE"), site.unlocode),
        (NP_("cbam", "Latitude of the main emission source"), site.latitude),
        (NP_("cbam", "Longitude of the main emission source"), site.longitude),
        (NP_("cbam", "Reporting period start"), site.period_start.isoformat()),
        (NP_("cbam", "Reporting period end"), site.period_end.isoformat()),
        (NP_("cbam", "Total direct emissions (tCO2e)"), communication.direct_tco2e),
        (NP_("cbam", "Total indirect emissions (tCO2e)"), communication.indirect_tco2e),
        (
            NP_("cbam", "Total emissions (tCO2e)"),
            communication.direct_tco2e + communication.indirect_tco2e,
        ),
    )
    row = 2
    for heading, value in about:
        put(row, 1, label(heading))
        put(row, 2, heading[1])
        put(row, 3, value)
        row += 1
    row += 1
    put(row, 1, label(NP_("cbam", "Products")), strong=True)
    row += 1
    for column, (_key, heading) in enumerate(CBAM_COLUMNS, 1):
        put(row, column, label(heading), strong=True)
        put(row + 1, column, heading[1])
    row += 2
    for values in cbam_rows(communication):
        for column, (key, _heading) in enumerate(CBAM_COLUMNS, 1):
            put(row, column, values[key])
        row += 1
    for column in range(1, len(CBAM_COLUMNS) + 1):
        sheet.column_dimensions[sheet.cell(row=1, column=column).column_letter].width = 22
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
