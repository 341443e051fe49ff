import pytest

from lingtan.units import UnitError, conversion_factor, parse_unit


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
