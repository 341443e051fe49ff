"""Every listing of the command line prints a table, JSON or CSV (``--format``, one
implementation in lingtan.cli.common), and a table keeps its numbers whole in a pipe and in a
narrow terminal."""

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime

import click
import pytest
from click.testing import CliRunner

from conftest import subcommands
from lingtan.cli.common import FORMATS, Column, emit
from lingtan.cli.ingest import StoreSink
from lingtan.cli.main import main
from lingtan.demo.build import FACILITY
from lingtan.metering.reading import Reading

# Every command that lists rows, with the arguments it needs on the demo factory. A new command
# with ``--format table|json|csv`` must be added here, so that it is run in the three formats.
#: A declaration of the demo's 2025 (its evidence any file at hand).
DECLARATION = ("--facility", FACILITY, "--year", "2025", "--fact", "green_factory_status",
               "--value", "provincial", "--statement", "列入省级绿色工厂名单",
               "--declared-by", "李工", "--evidence", "examples/evaluation-facts.yaml")  # fmt: skip

LISTINGS = {
    "footprint battery": ["examples/footprint/battery-declaration.yaml"],
    "footprint cbam": ["examples/footprint/cbam-communication.yaml"],
    "footprint import-jsonld": ["examples/footprint/background-illustrative.zip"],
    "footprint import-brightway": ["examples/footprint/background-illustrative-brightway.json"],
    "calc": ["examples/demo-cell-plant.yaml"],
    "factors list": [],
    "factors show": ["natural_gas"],
    "inventory list": [],
    "inventory show": ["1"],
    "inventory diff": ["1", "2"],
    "meters list": [],
    "meters show": ["{meter}"],
    "meters intervals": ["{meter}", "--from", "2025-03-01", "--to", "2025-03-01"],
    "tou list": [],
    "tou show": ["CN-JS", "--date", "2025-07-01"],
    "tou split": ["--meter", "{meter}", "--month", "2025-07"],
    "energy totals": ["--year", "2025", "--period", "year"],
    "energy balance": ["--year", "2025", "--month", "3"],
    "energy flow": ["--year", "2025", "--month", "3"],
    "energy budget check": ["--year", "2025", "--month", "3"],
    "energy intensity": ["--year", "2025", "--month", "3"],
    "energy carbon": ["--meter", "{meter}", "--date", "2025-03-03"],
    "energy cost": ["--year", "2025", "--month", "7"],
    "tariff show": [],
    "pact clients list": [],
    "pact footprints": [],
    "pact received": [],
    "efficiency grade": ["examples/equipment-register.csv"],
    "efficiency standards": [],
    "efficiency position": ["--product", "ferrosilicon", "--value", "1800", "--unit", "kgce/t"],
    "efficiency products": ["--year", "2025"],
    "efficiency measures": ["--year", "2025"],
    "efficiency baseline": [
        "examples/baseline-2023.csv",
        "--reporting",
        "examples/baseline-2024.csv",
    ],
    "evaluate facts": ["examples/evaluation-facts.yaml", "--scheme", "suzhou-2026"],
    "evaluate schemes": [],
    "evaluate match": ["examples/evaluation-consumption.csv", "examples/evaluation-supply.csv"],
    "evaluate list": [],
    "evaluate declare": [*DECLARATION],
    "evaluate declarations": ["--facility", FACILITY, "--year", "2025"],
    "evaluate show": ["1"],
    "ledger balance": [],
    "ledger list": ["--year", "2025"],
    "ledger compliance": ["--year", "2025"],
    "ledger months": [],
    "overview": ["--year", "2025"],
    "target show": [],
    "users list": [],
    "users tokens list": [],
    "ingest dead-letters": [],
    "plan size": ["examples/planning-size.yaml"],
    "footprint foreground": ["src/lingtan/data/footprint/demo-cell-study.yaml"],
    "footprint calc": ["src/lingtan/data/footprint/demo-cell-study.yaml"],
    "plan pareto": ["examples/planning-size.yaml", "--days", "7", "--points", "2"],
    "plan pathway": ["examples/planning-pathway.yaml"],
    "plan list": [],
    "plan show": ["1"],
    "plan check": ["1"],
    "plan dispatch": [
        "examples/planning-size.yaml",
        "--start",
        "2025-07-01T00:00+08:00",
        "--battery-kwh",
        "2000",
        "--battery-kw",
        "500",
    ],
}


def commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    found = {}
    for name, command in subcommands(group).items():
        path = f"{prefix}{name}"
        found[path] = command
        if isinstance(command, click.Group):
            found |= commands(command, f"{path} ")
    return found


def format_choices(command: click.Command) -> list[str] | None:
    for param in command.params:
        if "--format" in getattr(param, "opts", ()) and isinstance(param.type, click.Choice):
            return list(param.type.choices)
    return None


def test_every_listing_offers_table_json_and_csv():
    every = commands(main)
    tabular = {path for path, c in every.items() if "table" in (format_choices(c) or [])}
    assert tabular == set(LISTINGS), "add the listing to LISTINGS (or give it --format)"
    for path in tabular:
        assert format_choices(every[path]) == list(FORMATS), path


@pytest.fixture(scope="module")
def listed(demo_copy, tmp_path_factory):
    url = demo_copy(tmp_path_factory.mktemp("listed"))
    runner = CliRunner()

    def run(*args: str) -> str:
        done = runner.invoke(main, ["--db", url, *args])
        assert done.exit_code == 0, (args, done.output, done.stderr)
        return done.stdout

    # a second inventory that differs: the locked 2025 restated with other GWP values
    run("inventory", "restate", "--year", "2025", "--gwp", "AR6", "--reason", "GWP of AR6")
    run("users", "tokens", "create", "gateway", "--facility", FACILITY, "--scope", "ingest")
    # stored evaluation 1, on the locked 2025
    run(
        "evaluate", "--facility", FACILITY, "--period", "2025", "--scheme", "suzhou-2026", "--store"
    )
    run("evaluate", "declare", *DECLARATION)
    run("pact", "clients", "add", "customer")
    run("pact", "publish", "examples/pact-footprint.json")
    run("pact", "receive", "examples/pact-supplier-v23.json")
    meter = json.loads(run("meters", "list", "--format", "json"))[0]["meter"]
    # a gateway's readings of a code that is not a meter: set aside
    sink = StoreSink(url, FACILITY)
    try:
        sink.deliver([Reading("NO-SUCH", datetime(2025, 3, 1, tzinfo=UTC), 1.0, "mqtt:gw")])
    finally:
        sink.engine.dispose()
    return run, meter, url


@pytest.mark.parametrize("path", sorted(LISTINGS))
def test_a_listing_in_three_formats(listed, path):
    run, meter, _ = listed
    args = [*path.split(), *(a.format(meter=meter) for a in LISTINGS[path])]
    table = run(*args)
    cells = [line for line in table.splitlines() if line.startswith("│")]
    assert cells and not any("…" in line for line in cells), path  # a table, nothing cut
    document = json.loads(run(*args, "--format", "json"))
    assert document, path
    text = run(*args, "--format", "csv")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    assert header and all(re.fullmatch(r"[\w%+:\-]+", key) for key in header), header
    assert len(rows) > 1 and all(len(row) == len(header) for row in rows), path


def test_csv_and_json_are_the_same_unrounded_figures(listed):
    run, _, _ = listed
    args = ("energy", "totals", "--year", "2025", "--period", "year")
    nodes = json.loads(run(*args, "--format", "json"))["periods"][0]["nodes"]
    lines = list(csv.DictReader(io.StringIO(run(*args, "--format", "csv"))))
    by_node = {(r["node"], r["energy_type"]): r for r in lines}
    assert any(node["energy_tce"] for node in nodes)
    for node in nodes:
        if node["energy_tce"] is None:  # a meter without a standard-coal coefficient
            assert by_node[node["node"], node["energy_type"]]["energy_tce"] == ""
            continue
        row = by_node[node["node"], node["energy_type"]]
        assert float(row["energy_tce"]) == node["energy_tce"]  # every digit kept
        assert float(row["carbon_tco2"]) == node["carbon_tco2"]
    assert {"period", "energy_tce", "carbon_tco2", "unit"} <= set(lines[0])


def test_a_piped_table_keeps_every_number_whole(listed):
    """Through a real pipe (no terminal, which rich would cut at 80 columns): the table holds
    each figure of the JSON, with every digit the table shows."""
    _, _, url = listed
    args = ["energy", "totals", "--year", "2025", "--period", "year"]

    def piped(*extra: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "lingtan", "--db", url, *args, *extra],
            capture_output=True,
            timeout=120,
            env={**os.environ, "COLUMNS": "80", "LANG": "C", "TTY_COMPATIBLE": "0"},
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.decode("utf-8")

    table = piped()
    every = json.loads(piped("--format", "json"))["periods"][0]["nodes"]
    nodes = [n for n in every if n["energy_tce"] is not None]
    assert max(n["energy_tce"] for n in nodes) > 1000  # numbers wide enough to be cut
    for node in nodes:
        assert f"{node['energy_tce']:,.4f}" in table, node["node"]
        assert f"{node['carbon_tco2']:,.4f}" in table, node["node"]
    assert "…" not in table
    # one line per row and the facility's total: nothing wrapped
    assert len([line for line in table.splitlines() if line.startswith("│")]) == len(every) + 1


COLUMNS = [Column(f"value_{i}_kwh", f"energy {i} [kWh] of a long heading", 3) for i in range(8)]
ROW = {**{f"value_{i}_kwh": 62640.123 * (i + 1) for i in range(8)}, "note": "a note " * 8}


def test_a_narrow_terminal_wraps_headings_but_never_a_number(monkeypatch, capsys):
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich takes stdout for a terminal
    monkeypatch.setenv("COLUMNS", "60")
    emit([ROW], [*COLUMNS, Column("note")], "table")
    out = capsys.readouterr().out
    for i in range(8):
        assert f"{62640.123 * (i + 1):,.3f}" in out
    assert "…" not in out


def test_json_and_csv_of_a_listing(capsys):
    rows = [{"day": date(2025, 3, 1), "energy_kwh": 62640.123, "quality": "测量", "gap": None}]
    columns = [Column("day"), Column("energy_kwh", digits=1), Column("quality"), Column("gap")]
    emit(rows, columns, "json")
    assert json.loads(capsys.readouterr().out) == [
        {"day": "2025-03-01", "energy_kwh": 62640.123, "quality": "测量", "gap": None}
    ]
    emit(rows, columns, "csv")
    assert capsys.readouterr().out == "day,energy_kwh,quality,gap\n2025-03-01,62640.123,测量,\n"
    emit(rows, columns, "table")
    assert "62,640.1" in capsys.readouterr().out  # the table's rounding, to the digits asked


def test_csv_quotes_text_a_spreadsheet_would_run_but_keeps_numbers(capsys):
    rows = [
        {"name": '=HYPERLINK("http://evil","bill")', "note": "-12.5", "value": -12.5},
        {"name": "@SUM(A1)", "note": "+1+1", "value": 3},
        {"name": "-2+3", "note": "\t=1", "value": -0.5},
        {"name": "Boiler 1", "note": ["=a", "b"], "value": 0},
    ]
    emit(rows, [Column("name"), Column("note"), Column("value")], "csv")
    parsed = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert parsed == [
        ["name", "note", "value"],
        ['\'=HYPERLINK("http://evil","bill")', "-12.5", "-12.5"],
        ["'@SUM(A1)", "'+1+1", "3"],
        ["'-2+3", "'\t=1", "-0.5"],
        ["Boiler 1", "'=a;b", "0"],
    ]
