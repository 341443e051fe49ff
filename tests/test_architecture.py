"""The layers of docs/architecture.md hold: import-linter checks the contracts in
pyproject.toml against the real import graph, and every package is named by a contract."""

import tomllib
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_imports_follow_the_layers(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0


def test_every_package_has_a_layer():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    named = {name.strip() for layer in layers for name in layer.replace(":", "|").split("|")}
    source = ROOT / "src" / "lingtan"
    packages = {
        f"lingtan.{path.stem if path.is_file() else path.name}"
        for path in source.iterdir()
        if (path.is_dir() and (path / "__init__.py").is_file())
        or (path.suffix == ".py" and not path.name.startswith("__"))
    }
    assert packages - named == set(), "add the new package to the layers in pyproject.toml"
