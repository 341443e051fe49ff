"""The data platform's documentation cannot fall behind the code: every environment variable,
every command, every sheet and every accepted column header is documented."""

import re
from pathlib import Path

import click

from conftest import subcommands
from lingtan.cli.common import FORMATS
from lingtan.cli.main import main
from lingtan.imports import parse
from lingtan.imports.template import SHEETS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PLATFORM = (DOCS / "platform.md").read_text(encoding="utf-8")
COMMAND_DOCS = {
    name: (DOCS / name).read_text(encoding="utf-8")
    for name in (
        "platform.md",
        "calc.md",
        "factors.md",
        "metering.md",
        "tou.md",
        "energy.md",
        "cost.md",
        "web.md",
        "efficiency.md",
        "planning.md",
        "evaluation.md",
        "zero-carbon.md",
        "footprint.md",
        "footprint-declarations.md",
        "footprint-pact.md",
        "footprint-study.md",
        "footprint-interchange.md",
    )
}

# An environment read: os.environ.get(X), os.getenv(X), os.environ[X], or click's envvar=X
# (X a string, a name bound to a string, or a list or tuple of them).
_ENV_READ = re.compile(
    r"os\.(?:environ\.get|getenv)\(\s*([^,)]+)"
    r"|os\.environ\[\s*([^\]]+?)\s*\]"
    r"|\benvvar\s*=\s*(\[[^\]]*\]|\([^)]*\)|[^,)\s]+)"
)
_STRING = re.compile(r"""["']([A-Za-z_][A-Za-z0-9_]*)["']""")
_CONSTANT = re.compile(r"""^([A-Z_][A-Z0-9_]*)\s*(?::[^=]+)?=\s*["']([A-Za-z0-9_]+)["']""", re.M)


def code_spans(text: str) -> list[str]:
    """Inline code and fenced code blocks of a Markdown text."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, re.M | re.S)
    inline = re.findall(r"`([^`\n]+)`", re.sub(r"^```.*?^```", "", text, flags=re.M | re.S))
    return blocks + inline


def in_backticks(text: str) -> set[str]:
    return set(re.findall(r"`([^`\n]+)`", text))


def environment_variables(paths: list[Path]) -> dict[str, str]:
    """Variable -> where it is read, for every environment read in ``paths``."""
    sources = {path: path.read_text(encoding="utf-8") for path in paths}
    constants = {
        name: value for text in sources.values() for name, value in _CONSTANT.findall(text)
    }
    found: dict[str, str] = {}
    for path, text in sources.items():
        for match in _ENV_READ.finditer(text):
            expression = next(group for group in match.groups() if group is not None).strip()
            names = _STRING.findall(expression)
            if not names:
                identifiers = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expression)
                unresolved = [name for name in identifiers if name not in constants]
                line = text.count("\n", 0, match.start()) + 1
                assert not unresolved, (
                    f"{path.relative_to(ROOT)}:{line}: cannot tell which environment variable "
                    f"{expression!r} is; read it by a string or a module-level constant"
                )
                names = [constants[name] for name in identifiers]
            for name in names:
                found.setdefault(name, str(path.relative_to(ROOT)))
    return found


def test_every_environment_variable_is_documented():
    read = environment_variables(sorted((ROOT / "src").rglob("*.py")))
    # The scan must see the variables known to be read, or it proves nothing.
    assert {"LINGTAN_DATABASE_URL", "LINGTAN_DATA_DIR", "LINGTAN_USER"} <= set(read)
    # The test suite's own settings, so far as they are lingtan's.
    tests = [
        path for path in sorted((ROOT / "tests").rglob("*.py")) if path.name != Path(__file__).name
    ]
    read |= {
        name: where
        for name, where in environment_variables(tests).items()
        if name.startswith("LINGTAN_")
    }
    missing = {name: where for name, where in read.items() if name not in in_backticks(PLATFORM)}
    assert not missing, f"environment variables undocumented in docs/platform.md: {missing}"


def command_paths(group: click.Group, prefix: str = "lingtan") -> list[str]:
    paths = []
    for name, command in subcommands(group).items():
        if command.hidden:
            continue
        path = f"{prefix} {name}"
        paths.append(path)
        if isinstance(command, click.Group):
            paths += command_paths(command, path)
    return paths


def test_every_command_is_documented():
    paths = command_paths(main)
    assert "lingtan inventory restate" in paths and "lingtan calc" in paths
    spans = [span for text in COMMAND_DOCS.values() for span in code_spans(text)]
    missing = [
        path
        for path in paths
        if not any(re.search(rf"(?<![\w-]){re.escape(path)}(?![\w-])", s) for s in spans)
    ]
    assert not missing, (
        f"commands not shown as code in docs/{{platform,calc,factors,metering}}.md: {missing}"
    )


def listings(group: click.Group, prefix: str = "lingtan") -> list[str]:
    """The commands with the shared ``--format table|json|csv``."""
    found = []
    for name, command in subcommands(group).items():
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            found += listings(command, path)
        elif any(
            "--format" in getattr(p, "opts", ())
            and list(getattr(p.type, "choices", ())) == list(FORMATS)
            for p in command.params
        ):
            found.append(path)
    return found


def test_every_listing_documents_its_formats():
    paths = listings(main)
    assert "lingtan energy totals" in paths and "lingtan users tokens list" in paths
    lines = [
        line
        for text in COMMAND_DOCS.values()
        for span in code_spans(text)
        for line in span.split("\n")
    ]
    missing = [
        path
        for path in paths
        if not any(
            re.search(rf"(?<![\w-]){re.escape(path)}(?![\w-])", line)
            and "--format table|json|csv" in line
            for line in lines
        )
    ]
    assert not missing, f"--format table|json|csv undocumented for: {missing}"


def test_every_sheet_and_header_of_the_template_is_documented():
    missing = [name for name in SHEETS if name not in PLATFORM]
    missing += [
        header for columns in SHEETS.values() for _, header in columns if header not in PLATFORM
    ]
    assert not missing, f"undocumented in docs/platform.md: {missing}"


def test_every_accepted_header_and_choice_is_documented():
    tables = (
        parse.FACILITY,
        parse.SOURCES,
        parse.ACTIVITY,
        parse.MONTHLY,
        parse.INSTRUMENTS,
        parse.PRODUCTION,
    )
    names = {
        alias
        for table in tables
        for field, aliases in table.items()
        if field not in parse.MONTHS  # month headers are documented as a pattern
        for alias in aliases
    }
    names |= {alias for aliases in parse.ORIGINS.values() for alias in aliases}
    names |= {alias for aliases in parse._INSTRUMENT_KINDS.values() for alias in aliases}
    missing = sorted(names - in_backticks(PLATFORM))
    assert not missing, f"accepted names undocumented in docs/platform.md: {missing}"
