"""Documentation that cannot fall behind: every input field and total is documented, and the
documented example is the shipped one."""

import dataclasses
import re
from pathlib import Path

from lingtan import calcfile
from lingtan.accounting.model import KINDS, Totals
from lingtan.factors import FACTOR_COLUMNS, FAMILIES

ROOT = Path(__file__).resolve().parents[1]
CALC = (ROOT / "docs" / "calc.md").read_text(encoding="utf-8")
FACTORS = (ROOT / "docs" / "factors.md").read_text(encoding="utf-8")


def documented(text: str) -> set[str]:
    return set(re.findall(r"`([^`\n]+)`", text))


def test_every_calc_field_and_total_is_documented():
    names = set(calcfile._TOP) | set(calcfile._COMMON) | set(KINDS)
    for fields in calcfile._FIELDS.values():
        names |= fields
    names |= {field.name for field in dataclasses.fields(Totals)}
    missing = sorted(names - documented(CALC))
    assert not missing, f"undocumented in docs/calc.md: {missing}"


def test_every_factor_column_and_family_is_documented():
    missing = sorted((set(FACTOR_COLUMNS) | set(FAMILIES)) - documented(FACTORS))
    assert not missing, f"undocumented in docs/factors.md: {missing}"


def test_the_documented_example_is_the_shipped_file():
    example = (ROOT / "examples" / "demo-cell-plant.yaml").read_text(encoding="utf-8")
    body = "\n".join(line for line in example.splitlines() if not line.startswith("#"))
    assert body.strip() in CALC


def test_readme_has_exactly_the_two_setup_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"```sh\n(.*?)\n```", section, re.S) == ["make demo", "make test"]
