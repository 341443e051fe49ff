"""Report charts: matplotlib figures rendered to inline SVG.

Glyphs are drawn as paths (``svg.fonttype = path``), so a chart looks the same in any browser
and in the PDF without the font installed where it is viewed. Rendering Chinese labels needs a
CJK font where the report is made: Noto Sans CJK SC (Debian ``fonts-noto-cjk``).
"""

from __future__ import annotations

import io
import math
import re
import subprocess
from functools import cache
from typing import Any

import matplotlib
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from lingtan.reports.i18n import Labels

__all__ = ["CJK_FONTS", "MissingFontError", "category_chart", "cjk_font", "monthly_chart"]

#: Fonts tried in order; the first is the one the reports are designed with.
CJK_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "Source Han Sans CN")

# One colour per GB/T 32150 category and per source kind, the same in every report.
_CATEGORY_COLOURS = {
    "fuel_combustion": "#c8553d",
    "process": "#8a6fb0",
    "purchased_energy": "#2a7ab0",
    "exported_energy": "#6aa84f",
    "recovered_co2": "#3d9970",
}
_KIND_COLOURS = {
    "fuel_combustion": "#c8553d",
    "mobile_combustion": "#e8a33d",
    "biomass_combustion": "#9c7a3c",
    "process_carbonate": "#8a6fb0",
    "process_mass_balance": "#b28dd6",
    "fugitive": "#d06fa0",
    "purchased_electricity": "#2a7ab0",
    "purchased_heat": "#6cb4d9",
    "exported_electricity": "#6aa84f",
    "exported_heat": "#a3d18a",
    "recovered_co2": "#3d9970",
    "other": "#8c8c8c",
}


class MissingFontError(RuntimeError):
    """No CJK font is installed, so Chinese text cannot be rendered."""


#: What a machine without a CJK font is told (the XLSX workbook needs none).
_INSTALL_FONT = (
    "the HTML and PDF reports need a CJK font for their Chinese text and this machine has "
    "none: install Noto Sans CJK SC (Debian/Ubuntu: sudo apt-get install fonts-noto-cjk; "
    "in a lingtan checkout: sudo scripts/setup-machine demo); the XLSX report needs no font"
)


def _fontconfig_files(family: str) -> list[str]:
    """The font files fontconfig (as WeasyPrint sees it) has for ``family``."""
    try:
        listed = subprocess.run(
            ["fc-list", "--format", "%{file}\\n", family],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except FileNotFoundError as error:
        raise MissingFontError(
            f"{_INSTALL_FONT}; fontconfig's fc-list is missing too (Debian package fontconfig)"
        ) from error
    return [line for line in listed.stdout.splitlines() if line]


@cache
def cjk_font() -> str:
    """The family name of an installed CJK font: the first of :data:`CJK_FONTS` that
    fontconfig has (the PDF's fonts come from fontconfig), made known to matplotlib (the
    charts) if its font cache predates the font.

    Raises
    ------
    MissingFontError
        If fontconfig has none of :data:`CJK_FONTS`.
    """
    for name in CJK_FONTS:
        files = _fontconfig_files(name)
        if not files:
            continue
        try:
            font_manager.findfont(
                font_manager.FontProperties(family=name), fallback_to_default=False
            )
        except ValueError:  # installed after matplotlib's font cache was written
            for path in files:
                font_manager.fontManager.addfont(path)
        return name
    raise MissingFontError(f"{_INSTALL_FONT}; looked for " + ", ".join(CJK_FONTS))


def _style() -> dict[str, Any]:
    return {
        "font.family": [cjk_font(), "DejaVu Sans"],
        "font.size": 8.5,
        "svg.fonttype": "path",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.edgecolor": "#888888",
        "axes.grid": True,
        "grid.color": "#e4e4e4",
        "axes.axisbelow": True,
    }


def _svg(figure: Figure, salt: str) -> str:
    """The figure as an ``<svg>`` element for inlining (no XML prolog, fixed ids per salt)."""
    buffer = io.StringIO()
    # A salt per chart keeps the ids of two inline SVGs in one page apart, and makes the
    # output reproducible; no date in the metadata for the same reason.
    with matplotlib.rc_context({"svg.hashsalt": salt}):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # matplotlib numbers its element ids per figure (figure_1, axes_1 ...): two charts in one
    # page would repeat them, so every id and every reference to one gets the chart's prefix.
    text = re.sub(r'\bid="([^"]+)"', rf'id="{salt}-\1"', text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{salt}-\1"', text)
    return re.sub(r"url\(#([^)]+)\)", rf"url(#{salt}-\1)", text)


def _thousands(value: float, _pos: object = None) -> str:
    return f"{value:,.0f}"


def category_chart(by_category: dict[str, float], labels: Labels) -> str:
    """Horizontal bars of the GB/T 32150 categories (deductions point left), as SVG."""
    items = [(k, v) for k, v in by_category.items() if v]
    with matplotlib.rc_context(_style()):
        figure = Figure(figsize=(6.6, 0.45 * max(len(items), 1) + 0.7))
        axes = figure.add_subplot()
        names = [_wrap(labels.category(k), 30) for k, _ in items]
        values = [v for _, v in items]
        colours = [_CATEGORY_COLOURS.get(k, "#8c8c8c") for k, _ in items]
        bars = axes.barh(names, values, color=colours, height=0.6)
        axes.invert_yaxis()
        axes.grid(axis="y", visible=False)
        axes.xaxis.set_major_formatter(FuncFormatter(_thousands))
        axes.set_xlabel("tCO2e")
        axes.bar_label(bars, labels=[f"{v:,.1f}" for v in values], padding=3, fontsize=7.5)
        # Room beyond both bar ends for the value labels: deductions point left, and their
        # labels must not run into the category names.
        low, high = min(0.0, *values), max(0.0, *values)
        span = (high - low) or 1.0
        axes.set_xlim(low - 0.14 * span if low < 0 else 0, high + 0.14 * span if high > 0 else 0)
        axes.axvline(0, color="#888888", linewidth=0.8)
        return _svg(figure, "lingtan-category")


def monthly_chart(monthly: list[dict[str, Any]], labels: Labels) -> str:
    """Stacked bars per month by source kind; deductions stack below zero. As SVG."""
    months = [m["month"] for m in monthly]
    kinds: list[str] = []
    for m in monthly:
        kinds += [k for k, v in m["by_category_tco2e"].items() if v and k not in kinds]
    with matplotlib.rc_context(_style()):
        figure = Figure(figsize=(6.6, 3.1))
        axes = figure.add_subplot()
        positions = range(len(months))
        up = [0.0] * len(months)
        down = [0.0] * len(months)
        for kind in kinds:
            values = [m["by_category_tco2e"].get(kind, 0.0) for m in monthly]
            bottoms = [down[i] if v < 0 else up[i] for i, v in enumerate(values)]
            axes.bar(
                positions,
                values,
                bottom=bottoms,
                color=_KIND_COLOURS.get(kind, "#8c8c8c"),
                width=0.7,
                label=labels.kind(kind),
            )
            for i, v in enumerate(values):
                if v < 0:
                    down[i] += v
                else:
                    up[i] += v
        with_year = len({m[:4] for m in months}) > 1
        axes.set_xticks(list(positions), [_month_label(m, labels, with_year) for m in months])
        axes.grid(axis="x", visible=False)
        axes.yaxis.set_major_formatter(FuncFormatter(_thousands))
        axes.set_ylabel("tCO2e")
        if any(v < 0 for v in down):
            axes.axhline(0, color="#888888", linewidth=0.8)
        axes.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.12),
            ncol=2 if not labels.zh else 3,
            frameon=False,
            fontsize=7.5,
        )
        return _svg(figure, "lingtan-month")


def _month_label(month: str, labels: Labels, with_year: bool) -> str:
    """``2025-03`` as ``3月`` or ``Mar``; as given when the months span several years."""
    if with_year:
        return month
    n = int(month.split("-")[1])
    return f"{n}月" if labels.zh else "JanFebMarAprMayJunJulAugSepOctNovDec"[3 * n - 3 : 3 * n]


def _wrap(text: str, width: int) -> str:
    """Break a long English label at spaces; Chinese labels are short enough."""
    if len(text) <= width or " " not in text:
        return text
    words, lines, current = text.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    return "\n".join(lines[: math.ceil(len(text) / width) + 1])
