import pickle

import pint
import pytest

from lingtan.units import (
    UnitError,
    build_registry,
    cache_folder,
    conversion_factor,
    parse_unit,
)


@pytest.mark.parametrize(
    ("source", "target", "factor"),
    [
        ("MWh", "GJ", 3.6),
        ("10^4 Nm3", "Nm3", 10_000),
        ("万Nm3", "Nm3", 10_000),
        ("万千瓦时", "MWh", 10),
        ("千克", "t", 0.001),
        ("tce", "kgce", 1000),
        ("kgCO2/kWh", "tCO2/MWh", 1),
        ("TJ", "GJ", 1000),
        ("GJ/(10^4 Nm3)", "MJ/Nm3", 0.1),
    ],
)
def test_field_units(source, target, factor):
    assert conversion_factor(source, target) == factor


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        ("MWh", "t", "is an energy, but a mass is required"),
        ("m3", "Nm3", "use Nm3 for gas at normal conditions"),
        ("tce", "GJ", "standard-coal"),
        ("", "t", "empty"),
        ("parsecs of coal", "t", "not a unit"),
    ],
)
def test_wrong_units_are_named(source, target, message):
    with pytest.raises(UnitError, match=message):
        conversion_factor(source, target)


def test_standard_coal_is_not_an_energy_unit():
    # converting energy to coal needs a coefficient with provenance, never a unit definition
    assert parse_unit("tce").dimensionality != parse_unit("GJ").dimensionality


# A few conversions that go through pint's own definitions and lingtan's.
SAMPLES = (
    ("10000*Nm3", "Nm3"),
    ("10000*kWh", "GJ"),
    ("t", "kg"),
    ("MWh", "kgce"),
    ("tCO2", "gCO2e"),
)


def conversions(registry) -> list[float]:
    """The SAMPLES in ``registry``: an energy in coal equivalent is refused as in lingtan's."""
    found = []
    for source, target in SAMPLES:
        try:
            quantity = registry.parse_expression(source).to(target)
            found.append(quantity.magnitude)
        except pint.DimensionalityError:
            found.append(None)
    return found


def test_the_registry_is_read_from_its_cache_as_it_is_built_without_one(tmp_path):
    folder = tmp_path / "pint"
    uncached = conversions(build_registry(None))
    assert uncached == [10000.0, 36.0, 1000.0, None, 1000000.0]
    assert conversions(build_registry(folder)) == uncached  # writes the cache
    written = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.pickle")}
    assert written
    assert conversions(build_registry(folder)) == uncached  # reads it
    assert {p.name: p.stat().st_mtime_ns for p in folder.glob("*.pickle")} == written


@pytest.mark.parametrize("content", [b"", b"not a pickle", pickle.dumps({"of": "another pint"})])
def test_a_cache_that_cannot_be_read_is_removed_and_the_registry_built_without(tmp_path, content):
    folder = tmp_path / "pint"
    build_registry(folder)
    for cached in folder.glob("*.pickle"):
        cached.write_bytes(content)
    assert conversions(build_registry(folder)) == conversions(build_registry(None))
    assert not folder.exists()
    build_registry(folder)  # the next start writes it anew
    assert list(folder.glob("*.pickle"))


def test_a_cache_that_cannot_be_written_is_done_without(tmp_path):
    blocked = tmp_path / "a file"
    blocked.write_text("where the cache folder would be")
    assert conversions(build_registry(blocked / "pint")) == conversions(build_registry(None))


def test_the_cache_is_in_the_users_cache_directory_one_folder_per_pint_version(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_folder() == tmp_path / "lingtan" / f"pint-{pint.__version__}"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_folder() == tmp_path / "home" / ".cache" / "lingtan" / f"pint-{pint.__version__}"
