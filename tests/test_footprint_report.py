"""``lingtan footprint report``: the CFP study report of GB/T 24067 / ISO 14067 of the demo cell,
in HTML, PDF and XLSX, zh-CN and English. Every figure of the report is the figure of ``lingtan
footprint calc --format json`` for the same study (each HTML number carries its path in that
document and its exact value; the workbook's Summary names each figure by its path); the
workbook read back holds them at full precision; bad input is refused with nothing written."""

from __future__ import annotations

import io
import json
import re
import subprocess
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from lingtan.cli.main import main
from lingtan.demo.footprint import STUDY
from lingtan.footprint.engine import Footprint
from lingtan.footprint.model import Uncertainty
from lingtan.footprint.study import read_study_file
from lingtan.footprint.uncertainty import monte_carlo
from lingtan.imports.load import facility_by_code
from lingtan.reports.footprint import FootprintReport, render_footprint_html, render_footprint_xlsx
from lingtan.services.footprint_result import study_footprint
from lingtan.store.db import make_engine, session_scope


def run(database: Path, *args: str, code: int = 0):
    result = CliRunner().invoke(main, ["--db", f"sqlite:///{database}", *args])
    assert result.exit_code == code, result.output
    return result


@pytest.fixture(scope="module")
def uncertain(demo):
    """The demo cell's result with a Monte Carlo run: besides the electricity's spread from
    its pedigree scores, the LFP cathode's amount is given a lognormal one (sigma 0.1) here;
    200 draws."""
    engine = make_engine(f"sqlite:///{demo[0] / 'lingtan.db'}")
    with session_scope(engine) as session:
        found = study_footprint(session, read_study_file(demo[0] / "footprint" / STUDY))
        facility = facility_by_code(session, None)
        names = (facility.code, facility.name, facility.organization.name)
    engine.dispose()
    spread = Uncertainty("lognormal", sigma=0.1)
    processes = tuple(
        replace(process, exchanges=tuple(
            replace(e, uncertainty=spread) if e.flow == "dataset:lfp-cathode" else e
            for e in process.exchanges
        )) if process.code == found.product else process
        for process in found.system.processes
    )  # fmt: skip
    system = replace(found.system, processes=processes)
    drawn = monte_carlo(Footprint(system, found.study.gwp), {found.product: found.demand}, 200, 7)
    found = replace(found, system=system, monte_carlo=drawn)
    return FootprintReport(found.as_dict(), *names)


def resolve(document, key: str):
    """The value at ``key`` (``result.by_material[3].kgco2e``) of the JSON document."""
    value = document
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", key):
        value = value[int(part[1:-1])] if part.startswith("[") else value[part]
    return value


class Figures(HTMLParser):
    """Every element with ``data-key``, and every numeric table cell (``td`` of class ``n``)."""

    def __init__(self):
        super().__init__()
        self.figures, self.cells, self._open = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        numeric = tag == "td" and "n" in (attrs.get("class") or "").split()
        if "data-key" in attrs or numeric:
            self._open.append([tag, attrs, ""])
        if numeric:
            self.cells.append(attrs)

    def handle_data(self, data):
        for item in self._open:
            item[2] += data

    def handle_endtag(self, tag):
        if self._open and self._open[-1][0] == tag:
            _, attrs, text = self._open.pop()
            if "data-key" in attrs:
                self.figures.append((attrs["data-key"], attrs["data-value"], text.strip()))


def calc_json(database: Path, study: Path, *options: str) -> dict:
    out = run(database, "footprint", "calc", str(study), "--format", "json", *options).stdout
    return json.loads(out)


def check_figures(html: str, document: dict) -> set[str]:
    """Every figure of ``html`` is its document's at its key (exactly, and as shown rounded);
    every number cell has a key. Returns the keys."""
    parser = Figures()
    parser.feed(html)
    assert all("data-key" in cell for cell in parser.cells), "a number without its key"
    for key, value, shown in parser.figures:
        expected = resolve(document, key)
        if expected is None:
            assert value == "" and shown == "—", key
            continue
        assert float(value) == expected, key  # the exact value, written by repr
        number = float(re.sub(r"[^\d.\-]", "", shown))
        scale = 100 if key.endswith(".share") else 1  # fractions are shown in %
        places = len(shown.split(".")[1].rstrip(" %")) if "." in shown else 0
        assert number == pytest.approx(expected * scale, abs=0.51 * 10**-places), key
    return {key for key, _, _ in parser.figures}


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_figure_of_the_html_is_the_figure_of_calc_json(demo, tmp_path, lang):
    database = demo[0] / "lingtan.db"
    study = demo[0] / "footprint" / STUDY
    document = calc_json(database, study)
    out = tmp_path / f"report-{lang}.html"
    run(database, "footprint", "report", str(study), "--format", "html", "--out", str(out),
        "--lang", lang)  # fmt: skip
    html = out.read_text(encoding="utf-8")
    keys = check_figures(html, document)
    # the report shows every process, meter, exchange and material of the result
    assert {f"by_process[{i}].kgco2e" for i in range(len(document["by_process"]))} <= keys
    assert {f"meters[{i}].per_declared_unit" for i in range(len(document["meters"]))} <= keys
    assert {f"exchanges[{i}].amount" for i in range(len(document["exchanges"]))} <= keys
    material = document["result"]["by_material"]
    assert {f"result.by_material[{i}].kgco2e" for i in range(len(material))} <= keys
    assert {
        f"result.by_kind_kgco2e.{k}" for k in ("fossil", "biogenic", "dluc", "aircraft")
    } <= keys
    assert document["monte_carlo"] is None  # no draws asked for: none is made
    assert 'id="no-monte-carlo"' in html


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_monte_carlo_run_is_reported_with_its_statistics(uncertain, lang):
    document = uncertain.document
    keys = check_figures(render_footprint_html(uncertain, lang), document)
    assert {f"monte_carlo.kgco2e.{s}" for s in ("mean", "median", "sd", "p2_5", "p97_5")} <= keys
    spread = document["monte_carlo"]["kgco2e"]
    # the cathode's 25,200 kg CO2e drawn with sigma 0.1: the median stays near the score
    assert spread["p2_5"] < document["kgco2e_per_declared_unit"] < spread["p97_5"]
    # the draws' histogram (40 bins holding every draw) is drawn in the report
    bins = document["monte_carlo"]["histogram"]
    assert len(bins["counts"]) == 40 and sum(bins["counts"]) == 200
    html = render_footprint_html(uncertain, lang)
    assert 'id="monte-carlo-histogram"' in html and "lingtan-footprint-monte-carlo" in html


def test_the_status_of_the_background_data_is_stated_first(demo, tmp_path):
    """88 % of the demo cell's footprint is from illustrative datasets: the report says so
    above the key figures, with the share summed from the processes by hand."""
    database = demo[0] / "lingtan.db"
    study = demo[0] / "footprint" / STUDY
    document = calc_json(database, study)
    illustrative = (
        sum(
            row["kgco2e"]
            for row in document["by_process"]
            if row["process"].startswith("dataset:")  # the shipped datasets are all illustrative
        )
        / document["kgco2e_per_declared_unit"]
    )
    for lang, word in (("zh-CN", "【示例】"), ("en", "ILLUSTRATIVE")):
        out = tmp_path / f"r-{lang}.html"
        run(database, "footprint", "report", str(study), "--format", "html", "--out", str(out),
            "--lang", lang)  # fmt: skip
        html = out.read_text(encoding="utf-8")
        status = html.index('id="status"')
        assert status < html.index('id="key-figures"')
        found = re.search(r'id="status-illustrative" data-value="([^"]+)">([^<]+)', html)
        assert float(found.group(1)) == pytest.approx(illustrative, rel=1e-12)
        assert f"{100 * illustrative:.1f} %" in found.group(2) and word in found.group(2)
        assert 'id="status-unverified"' in html  # the grid factor and the freight factors


def test_the_workbook_reads_back_with_every_figure_of_the_result(uncertain, demo, tmp_path):
    document = uncertain.document
    for lang, summary, processes in (("zh-CN", "汇总", "过程"), ("en", "Summary", "Processes")):
        out = tmp_path / f"report-{lang}.xlsx"
        out.write_bytes(render_footprint_xlsx(uncertain, lang))
        workbook = load_workbook(out)
        assert workbook.sheetnames[:2] == [summary, processes]
        rows = list(workbook[summary].iter_rows(min_row=3, values_only=True))
        keys = {row[2] for row in rows}
        assert {"kgco2e_per_declared_unit", "result.by_kind_kgco2e.biogenic",
                "primary_data_share_pct", "monte_carlo.kgco2e.p97_5"} <= keys  # fmt: skip
        for _, _, key, value, _ in rows:
            expected = resolve(document, key)
            if key.startswith("period"):
                assert str(value)[:10] == expected
            else:
                assert value == expected, key  # full precision
        by_process = list(workbook[processes].iter_rows(min_row=3, values_only=True))
        assert [r[0] for r in by_process] == [r["process"] for r in document["by_process"]]
        assert [r[5] for r in by_process] == [r["kgco2e"] for r in document["by_process"]]
        meters = list(workbook.worksheets[3].iter_rows(min_row=3, values_only=True))
        assert [(r[0], r[4]) for r in meters] == [
            (m["meter"], m["per_declared_unit"]) for m in document["meters"]
        ]
    # the command writes the same workbook's figures for the stored result
    database = demo[0] / "lingtan.db"
    study = demo[0] / "footprint" / STUDY
    out = tmp_path / "cli.xlsx"
    run(database, "footprint", "report", str(study), "--format", "xlsx", "--out", str(out))
    score = calc_json(database, study)["kgco2e_per_declared_unit"]
    rows = {
        r[2]: r[3] for r in load_workbook(out).worksheets[0].iter_rows(min_row=3, values_only=True)
    }
    assert rows["kgco2e_per_declared_unit"] == score


def test_the_pdf_has_the_report_in_both_languages(demo, tmp_path):
    database = demo[0] / "lingtan.db"
    study = demo[0] / "footprint" / STUDY
    for lang, title in (
        ("zh-CN", "产品碳足迹研究报告"),
        ("en", "Product carbon footprint study report"),
    ):
        out = tmp_path / f"report-{lang}.pdf"
        run(database, "footprint", "report", str(study), "--format", "pdf", "--out", str(out),
            "--lang", lang)  # fmt: skip
        assert out.read_bytes()[:4] == b"%PDF"
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                              check=True).stdout  # fmt: skip
        assert title in text
        assert "73,761.6" in text  # the footprint per MWh, as calc gives it
        subprocess.run(["pdftoppm", "-r", "30", "-png", str(out), str(tmp_path / lang)], check=True)
        assert len(list(tmp_path.glob(f"{lang}-*.png"))) >= 4


def test_a_bad_study_is_refused_and_nothing_is_written(demo, tmp_path):
    database = demo[0] / "lingtan.db"
    text = (demo[0] / "footprint" / STUDY).read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("product_ids: [", "product_ids: [not-a-urn, "), encoding="utf-8")
    out = tmp_path / "report.html"
    result = run(database, "--lang", "en", "footprint", "report", str(bad), "--format", "html",
                 "--out", str(out), code=2)  # fmt: skip
    assert "bad.yaml" in result.stderr and "pact.product_ids" in result.stderr
    assert "not-a-urn" in result.stderr and "URN" in result.stderr
    assert not out.exists() and not list(tmp_path.glob("*.part"))
    result = run(database, "footprint", "report", str(demo[0] / "footprint" / STUDY),
                 "--format", "docx", code=2)  # fmt: skip
    assert "docx" in result.output


def test_the_processes_and_meters_are_named_in_the_reports_language(uncertain):
    """zh-CN: the shipped datasets and freight modes by their Chinese names, their status and
    the meters' lineage through the catalogue, in the HTML and the workbook; English keeps
    the product system's names; the JSON keeps ``name`` and adds ``name_zh``."""
    document = uncertain.document
    cathode = next(r for r in document["by_process"] if r["process"] == "dataset:lfp-cathode")
    assert cathode["name"] == "LFP cathode active material (illustrative) [illustrative]"
    assert cathode["name_zh"] == "磷酸铁锂正极材料（示例） [illustrative]"
    zh, en = "磷酸铁锂正极材料（示例） [示例]", cathode["name"]
    html = render_footprint_html(uncertain, "zh-CN")
    assert zh in html and en not in html
    assert "公路货运（重型货车，英国平均装载） [未核实]" in html
    assert "生产线 electrode，计量节点 electrode" in html
    assert "line electrode, node electrode" not in html
    english = render_footprint_html(uncertain, "en")
    assert en in english and "磷酸铁锂正极材料" not in english
    assert "line electrode, node electrode" in english
    for lang, name in (("zh-CN", zh), ("en", en)):
        workbook = load_workbook(io.BytesIO(render_footprint_xlsx(uncertain, lang)))
        names = {r[0]: r[1] for r in workbook.worksheets[1].iter_rows(min_row=3, values_only=True)}
        assert names["dataset:lfp-cathode"] == name


def test_a_meter_note_read_back_from_json_is_in_the_reports_language(uncertain):
    """The document as stored (JSON) keeps each meter note's msgid and values beside its
    English text: the report read back from it names the lineage in Chinese, HTML and XLSX."""
    stored = json.loads(json.dumps(uncertain.document, default=str))
    meter = stored["meters"][0]
    assert meter["note"] == "line electrode, node electrode"
    assert meter["note_message"] == {
        "msgid": "line %(line)s, node %(node)s",
        "params": {"line": "electrode", "node": "electrode"},
    }
    report = replace(uncertain, document=stored)
    html = render_footprint_html(report, "zh-CN")
    assert "生产线 electrode，计量节点 electrode" in html
    assert "line electrode, node electrode" not in html
    workbook = load_workbook(io.BytesIO(render_footprint_xlsx(report, "zh-CN")))
    notes = [cell for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
             for cell in row if isinstance(cell, str) and "electrode" in cell]  # fmt: skip
    assert "生产线 electrode，计量节点 electrode" in notes
    assert "line electrode, node electrode" not in notes
