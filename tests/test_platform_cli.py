"""The platform commands end to end, on both databases: import, explicit corrections, custom
factor sets, calculation options, and refusals."""

import json
from datetime import date

import pytest
from click.testing import CliRunner

from lingtan.cli.main import main
from test_factors import CUSTOM
from test_platform import workbook


@pytest.fixture
def cli(lingtan_cli):
    lingtan_cli("init")
    return lingtan_cli


def test_correction_and_removal_are_audited(cli, tmp_path):
    cli("import", "activity", workbook(tmp_path))
    cli("activity", "correct", "grid", "--from", "2025-01-01", "--to", "2025-01-31",
        "--quantity", 1010, "--reason", "meter reading corrected by the utility")  # fmt: skip
    cli("activity", "delete", "steam", "--from", "2025-01-01", "--to", "2025-01-31",
        "--reason", "duplicate of the park's heat invoice")  # fmt: skip
    out = cli("inventory", "compute", "--year", 2025).output
    # gas 12 x 21.6218881 + grid 1010 x 0.5827 (steam removed)
    assert f"{12 * 389.31 * 0.0153 * 0.99 * 44 / 12 + 1010 * 0.5827:,.3f}" in out
    assert "audit log intact: 5 entries" in cli("audit", "verify").output
    missing = cli("activity", "correct", "grid", "--from", "2024-01-01", "--to", "2024-01-31",
                  "--quantity", 1, "--reason", "x", code=2)  # fmt: skip
    assert "no such record" in missing.stderr


def test_stored_factor_set_and_calculation_options(cli, tmp_path):
    cli("import", "activity", workbook(tmp_path))
    (tmp_path / "lab.csv").write_text(CUSTOM, encoding="utf-8")
    assert "factor set plant-lab-2025: added" in cli("factors", "add", tmp_path / "lab.csv").output
    assert "unchanged" in cli("factors", "add", tmp_path / "lab.csv").output
    cli("inventory", "compute", "--year", 2025, "--factor-set", "fuel=plant-lab-2025",
        "--electricity-factor-year", 2022, "--residual-factor", 0.7)  # fmt: skip
    snapshot = json.loads(cli("inventory", "show", 1, "--format", "json").output)
    totals = snapshot["result"]["totals"]
    gas = 12 * 360.5 * 0.0152 * 0.99 * 44 / 12  # the laboratory's natural gas
    assert totals["total_tco2e"] == pytest.approx(gas + 1000 * 0.5978 + 500 * 0.11, rel=1e-12)
    assert totals["scope2_market_tco2e"] == pytest.approx(1000 * 0.7 + 500 * 0.11, rel=1e-12)
    assert snapshot["input"]["factor_sets"] == {"fuel": "plant-lab-2025"}


def test_several_files_one_refused(cli, tmp_path):
    good = workbook(tmp_path)
    bad = workbook(tmp_path, "bad.xlsx", activity=[
        ["grid", date(2025, 2, 1), date(2025, 2, 28), "lots", "MWh", "meter"],
    ])  # fmt: skip
    result = cli("import", "activity", bad, good, code=2)
    assert "bad.xlsx sheet 活动数据 Activity row 2" in result.stderr
    assert "refused, nothing written: " in result.stderr
    assert "data.xlsx: facility T1" in result.output  # the good file still went in


def test_locked_period_needs_a_restatement(cli, tmp_path):
    cli("import", "activity", workbook(tmp_path))
    cli("inventory", "compute", "--year", 2025, "--lock")
    refused = cli("inventory", "compute", "--year", 2025, code=2)
    assert "is locked by inventory 1: restate it with a reason" in refused.stderr
    out = cli("inventory", "restate", "--year", 2025, "--gwp", "AR6",
              "--reason", "AR6 adopted by the group").output  # fmt: skip
    assert "supersedes 1: AR6 adopted by the group" in out
    diff = cli("inventory", "diff", 1, 2, "--format", "json").output
    assert json.loads(diff)["new"]["reason"] == "AR6 adopted by the group"


def test_commands_need_an_initialised_current_database(tmp_path):
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "none.db"), "inventory", "list"])
    assert result.exit_code == 1
    assert "run `lingtan init` first" in result.output
    assert not (tmp_path / "none.db").exists()


def test_audit_verify_detects_an_edited_snapshot(cli, tmp_path, database_url):
    import sqlalchemy as sa

    from lingtan.store.models import Inventory

    cli("import", "activity", workbook(tmp_path))
    cli("inventory", "compute", "--year", 2025, "--lock")
    assert "inventory snapshots match their seals" in cli("audit", "verify").output
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        result = connection.execute(sa.select(Inventory.result)).scalar_one()
        result["totals"]["total_tco2e"] = 1.0  # a quiet edit of the reported figure
        connection.execute(sa.update(Inventory).values(result=result))
    engine.dispose()
    altered = cli("audit", "verify", code=1)
    assert (
        "inventory 1 (facility T1, 2025-01-01 to 2025-12-31): total total_tco2e is 1.0, "
        "sealed as 897.16" in altered.stderr
    )


def test_report_without_a_cjk_font_says_what_to_install(cli, tmp_path, no_cjk_font):
    cli("import", "activity", workbook(tmp_path))
    cli("inventory", "compute", "--year", 2025)
    refused = cli("report", "1", "-o", tmp_path / "reports", code=1)
    assert "no report written: the HTML and PDF reports need a CJK font" in refused.stderr
    assert "apt-get install fonts-noto-cjk" in refused.stderr
    assert "Traceback" not in refused.output and not (tmp_path / "reports").exists()
    written = cli("report", "1", "-o", tmp_path / "reports", "--format", "xlsx").output.split()
    assert len(written) == 2
    assert written[0].endswith("-zh-CN.xlsx") and written[1].endswith("-en.xlsx")
