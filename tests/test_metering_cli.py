"""The metering commands: definitions, a GB18030 ledger export, offsets, ingest's facility."""

import pytest

from metering_support import cli_plant

DEFINITIONS = """record,code,name,parent,level,energy_type,unit,kind,multiplier
node,site,Site,,facility,,,,
meter,main,总表 Main meter,site,,electricity,kWh,cumulative,1
"""


@pytest.fixture
def run(lingtan_cli, tmp_path):
    """The command line on a store with facility F1 and the meters of DEFINITIONS."""
    cli_plant(lingtan_cli, tmp_path, DEFINITIONS)
    return lingtan_cli


def test_a_gb18030_csv_imports(run, tmp_path):
    ledger = tmp_path / "main.csv"
    ledger.write_text(
        "表计,时间,读数\nmain,2025-01-01 00:00,100\nmain,2025-01-01 00:15,102\n",
        encoding="gb18030",
    )
    out = run("meters", "import", ledger).output
    assert "2 reading(s) added" in out


def test_combined_bilingual_headers_as_in_the_activity_import(run, tmp_path):
    ledger = tmp_path / "main.csv"
    ledger.write_text(
        "表计 meter,时间 timestamp,读数 value\nmain,2025-01-01 00:30,104\n", encoding="utf-8"
    )
    out = run("meters", "import", ledger).output
    assert "long layout" in out and "1 reading(s) added" in out


def test_utc_offsets_are_checked(run, tmp_path):
    ledger = tmp_path / "main.csv"
    ledger.write_text("meter,timestamp,value\nmain,2025-01-01 00:00,100\n", encoding="utf-8")
    run("meters", "import", "--utc-offset", "+0800", ledger)
    refused = run("meters", "import", "--utc-offset", "+800:00", ledger, code=2)
    assert "offset" in refused.output + refused.stderr


def test_ingest_refuses_an_unknown_facility_at_once(run, tmp_path):
    config = tmp_path / "m.yaml"
    config.write_text("host: 127.0.0.1\nport: 1\nregisters: []\n", encoding="utf-8")
    result = run("ingest", "modbus", "--config", config, "--buffer", tmp_path / "b.sqlite",
                 "--facility", "NOPE", code=1)  # fmt: skip
    assert "NOPE" in result.output + result.stderr


def test_intervals_command_lists_energy_and_quality(run, tmp_path):
    # a kWh register read every 15 minutes, 00:00 to 02:00 local, with the 01:00 reading lost
    readings = [(0, 100.0), (15, 102.0), (30, 105.0), (45, 109.0), (75, 119.0), (90, 121.0),
                (105, 124.0), (120, 126.0)]  # fmt: skip
    rows = "".join(f"main,2025-01-01 {m // 60:02d}:{m % 60:02d},{v}\n" for m, v in readings)
    (tmp_path / "r.csv").write_text("meter,timestamp,value\n" + rows, encoding="utf-8")
    run("meters", "import", tmp_path / "r.csv")
    out = run("meters", "intervals", "main", "--from", "2025-01-01", "--to", "2025-01-01").output
    # 96 intervals of the local day: 00:00-00:45 measured (2, 3, 4 kWh), the 00:45-01:15 delta
    # of 10 kWh spread over two estimated intervals of 5, then 2, 3, 2 measured; the rest of the
    # day has no readings
    assert "main: 96 intervals: 6 measured, 2 estimated, 88 missing" in out
    run("meters", "intervals", "main", "--from", "2025-01-01", "--to", "2025-01-01",
        "-o", tmp_path / "i.csv")  # fmt: skip
    lines = (tmp_path / "i.csv").read_text(encoding="utf-8").splitlines()
    # the energies unrounded, as --format csv prints them
    assert lines[0] == "start_local_+08:00,energy_kWh,quality"
    assert lines[1:9] == [
        "2025-01-01 00:00,2.0,measured",
        "2025-01-01 00:15,3.0,measured",
        "2025-01-01 00:30,4.0,measured",
        "2025-01-01 00:45,5.0,estimated",
        "2025-01-01 01:00,5.0,estimated",
        "2025-01-01 01:15,2.0,measured",
        "2025-01-01 01:30,3.0,measured",
        "2025-01-01 01:45,2.0,measured",
    ]
    assert lines[9] == "2025-01-01 02:00,,missing"
    refused = run("meters", "intervals", "main", "--from", "2025-01-02", "--to", "2025-01-01",
                  code=2)  # fmt: skip
    assert "from 0 to 366 days after --from" in refused.stderr
    unknown = run("meters", "intervals", "nope", "--from", "2025-01-01", "--to", "2025-01-01",
                  code=2)  # fmt: skip
    assert "unknown meter" in unknown.stderr
