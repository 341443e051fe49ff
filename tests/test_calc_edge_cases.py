"""Edge cases of the accounting input and engine (issue 11 part 6): duplicate YAML keys,
certificates claimed twice, factor data years, biomass, steam and uncertainty coverage."""

import pytest
from click.testing import CliRunner

from lingtan.calcfile import load_calc_file
from lingtan.cli.main import main
from lingtan.errors import InputError

BASE = """facility: {name: T, region: Jiangsu}
period: {start: 2025-01-01, end: 2025-12-31}
"""


def write(tmp_path, text, name="input.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_duplicate_yaml_key_is_refused_naming_file_line_and_key(tmp_path):
    path = write(
        tmp_path,
        BASE
        + "sources:\n"
        + "  - id: heat\n"
        + "    kind: purchased_heat\n"
        + "    quantity: 100\n"
        + "    unit: GJ\n"
        + "    quantity: 1\n",
    )
    with pytest.raises(InputError) as caught:
        load_calc_file(path)
    (problem,) = caught.value.problems
    assert problem.where == f"{path} line 8"
    assert problem.field == "quantity"
    assert "first on line 6" in problem.rule
    assert caught.value.origin == str(path)


def test_duplicate_keys_in_flow_style_and_at_top_level_are_all_listed(tmp_path):
    text = BASE + "gwp: AR5\ngwp: AR6\nsources:\n"
    text += "  - {id: h, kind: purchased_heat, quantity: 1, unit: GJ, unit: MJ}\n"
    result = CliRunner().invoke(main, ["calc", str(write(tmp_path, text))])
    assert result.exit_code == 2
    assert "2 problems in the input" in result.stderr
    assert "line 4: field 'gwp' = 'gwp': is given twice in one mapping (first on line 3)" in (
        result.stderr
    )
    assert "line 6: field 'unit'" in result.stderr


def test_duplicate_json_key_is_refused(tmp_path):
    text = (
        '{"facility": {"name": "T", "region": "CN"}, "period": {"start": "2025-01-01", '
        '"end": "2025-12-31", "end": "2024-12-31"}, "sources": []}'
    )
    with pytest.raises(InputError) as caught:
        load_calc_file(write(tmp_path, text, "input.json"))
    (problem,) = caught.value.problems
    assert problem.field == "end"
    assert "given twice" in problem.rule
