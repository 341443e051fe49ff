"""The main job: `lingtan demo` builds the demo factory, locks its inventory, writes reports."""

import json
import subprocess
import sys
import time

import pytest


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "out"
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "lingtan", "demo", "--output-dir", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    return folder, run.stdout, time.perf_counter() - started


def lingtan(folder, *args):
    run = subprocess.run(
        [sys.executable, "-m", "lingtan", "--db", str(folder / "lingtan.db"), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_demo_runs_within_a_minute(demo):
    _, stdout, seconds = demo
    assert seconds < 60, f"the demo took {seconds:.1f} s"
    assert "inventory 1 (locked)" in stdout


def test_demo_writes_both_languages_in_three_formats(demo):
    folder, stdout, _ = demo
    reports = sorted(p.name for p in (folder / "reports").iterdir())
    for lang in ("zh-CN", "en"):
        for ext in ("html", "pdf", "xlsx"):
            assert any(name.endswith(f"-{lang}.{ext}") for name in reports), (lang, ext, reports)
    for name in reports:
        assert name in stdout


def test_demo_inventory_is_locked_and_traceable(demo):
    folder, _, _ = demo
    snapshot = json.loads(lingtan(folder, "inventory", "show", "1", "--format", "json"))
    assert snapshot["status"] == "locked"
    result = snapshot["result"]
    kinds = {line["kind"] for line in result["lines"]}
    assert kinds >= {"fuel_combustion", "mobile_combustion", "fugitive", "purchased_electricity",
                     "purchased_heat"}  # fmt: skip
    assert {i["kind"] for i in result["instruments"]} == {"gec", "onsite_renewable"}
    assert result["totals"]["scope2_market_tco2e"] < result["totals"]["scope2_location_tco2e"]
    assert result["totals"]["intensities"][0]["unit"] == "MWh"
    gas = next(line for line in result["lines"] if line["source_id"] == "boiler-1@2025-01-01")
    trace = json.loads(lingtan(folder, "inventory", "trace", "1", gas["source_id"]))
    (evidence,) = trace["evidence"]
    assert evidence["filename"] == "gas-boiler-1-2025-01.csv"
    with open(evidence["path"], encoding="utf-8") as handle:
        assert str(trace["activity_record"]["quantity"]) in handle.read()
    assert "audit log intact" in lingtan(folder, "audit", "verify")
