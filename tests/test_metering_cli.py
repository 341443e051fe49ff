"""The metering commands: definitions, a GB18030 ledger export, offsets, ingest's facility."""

from click.testing import CliRunner

from lingtan.cli import main
from lingtan.imports.template import write_workbook

DEFINITIONS = """record,code,name,parent,level,energy_type,unit,kind,multiplier
node,site,Site,,facility,,,,
meter,main,总表 Main meter,site,,electricity,kWh,cumulative,1
"""


def setup(tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "m.db")

    def run(*args, code=0):
        result = runner.invoke(main, ["--db", db, *map(str, args)])
        assert result.exit_code == code, (result.output, result.stderr)
        return result

    run("init")
    book = write_workbook(
        tmp_path / "f.xlsx",
        {
            "报告主体 Facility": [["Acme", "F1", "Plant", "江苏"]],
            "排放源 Sources": [["grid", "purchased_electricity", "Grid"]],
        },
    )
    run("import", "activity", book)
    (tmp_path / "defs.csv").write_text(DEFINITIONS, encoding="utf-8")
    run("meters", "define", tmp_path / "defs.csv")
    return run


def test_a_gb18030_csv_imports(tmp_path):
    run = setup(tmp_path)
    ledger = tmp_path / "main.csv"
    ledger.write_text(
        "表计,时间,读数\nmain,2025-01-01 00:00,100\nmain,2025-01-01 00:15,102\n",
        encoding="gb18030",
    )
    out = run("meters", "import", ledger).output
    assert "2 reading(s) added" in out


def test_combined_bilingual_headers_as_in_the_activity_import(tmp_path):
    run = setup(tmp_path)
    ledger = tmp_path / "main.csv"
    ledger.write_text(
        "表计 meter,时间 timestamp,读数 value\nmain,2025-01-01 00:30,104\n", encoding="utf-8"
    )
    out = run("meters", "import", ledger).output
    assert "long layout" in out and "1 reading(s) added" in out


def test_utc_offsets_are_checked(tmp_path):
    run = setup(tmp_path)
    ledger = tmp_path / "main.csv"
    ledger.write_text("meter,timestamp,value\nmain,2025-01-01 00:00,100\n", encoding="utf-8")
    run("meters", "import", "--utc-offset", "+0800", ledger)
    refused = run("meters", "import", "--utc-offset", "+800:00", ledger, code=2)
    assert "offset" in refused.output + refused.stderr


def test_ingest_refuses_an_unknown_facility_at_once(tmp_path):
    run = setup(tmp_path)
    config = tmp_path / "m.yaml"
    config.write_text("host: 127.0.0.1\nport: 1\nregisters: []\n", encoding="utf-8")
    result = run("ingest", "modbus", "--config", config, "--buffer", tmp_path / "b.sqlite",
                 "--facility", "NOPE", code=1)  # fmt: skip
    assert "NOPE" in result.output + result.stderr
