"""Pedigree scores to a lognormal (issue 15): the shipped tables with their provenance, sigma
worked by hand, the type of an exchange, and Monte Carlo draws of an exchange spread by its
scores against numpy and stats_arrays computing the same lognormal on their own."""

import math

import numpy as np
import pytest
from stats_arrays import LognormalUncertainty

from lingtan.errors import InputError
from lingtan.footprint.engine import Footprint
from lingtan.footprint.model import Exchange, Flow, Process, ProductSystem, Source
from lingtan.footprint.pedigree import (
    basic_uncertainties,
    exchange_type,
    pedigree_table,
    pedigree_uncertainty,
)
from lingtan.footprint.uncertainty import monte_carlo


def test_the_shipped_factors_carry_their_provenance_and_are_unverified():
    table = pedigree_table()
    # openLCA's ecoinvent data quality system (olca-modules DQSystems.eiUncertainties), by row
    assert table.factors == (
        (1.0, 1.05, 1.1, 1.2, 1.5),
        (1.0, 1.02, 1.05, 1.1, 1.2),
        (1.0, 1.03, 1.1, 1.2, 1.5),
        (1.0, 1.01, 1.02, 1.05, 1.1),
        (1.0, 1.05, 1.2, 1.5, 2.0),
    )
    assert table.status == "unverified"
    assert "Weidema" in table.publication and "Table 10.5" in table.publication_table
    assert "olca-modules" in table.source and table.source_url.startswith("https://github.com/")
    basic = basic_uncertainties()
    assert {k: b.factor for k, b in basic.items()} == {
        "energy_and_materials": 1.05,
        "transport": 2.0,
        "co2_emission": 1.05,
    }
    assert all(b.status == "unverified" and b.source_url for b in basic.values())
    with pytest.raises(InputError, match="ecoinvent-v3"):
        pedigree_table("ciroth-2016")


def test_sigma_by_hand():
    """Scores (2, 3, 4, 3, 5) read 1.05, 1.05, 1.20, 1.02, 2.00; with U_b = 1.05:
    ln² = 0.0023805 ×3 + 0.0332412 + 0.0003921 + 0.4804530 = 0.5212277, √ = 0.7219610 =
    ln(GSD²), so GSD² = 2.058466 and sigma = 0.3609805. All scores 1 leave the basic
    uncertainty alone: ln(1.05) / 2 = 0.0243951; transport's ln(2) / 2 = 0.3465736."""
    spread = pedigree_uncertainty((2, 3, 4, 3, 5), 1.05)
    assert spread.distribution == "lognormal"
    assert spread.sigma == pytest.approx(0.3609805, abs=5e-8)
    assert math.exp(2 * spread.sigma) == pytest.approx(2.058466, abs=5e-7)
    assert pedigree_uncertainty((1, 1, 1, 1, 1), 1.05).sigma == pytest.approx(0.0243951, abs=5e-8)
    assert pedigree_uncertainty((1, 1, 1, 1, 1), 2.0).sigma == pytest.approx(0.3465736, abs=5e-8)


@pytest.mark.parametrize("scores", [(1, 2, 3, 4), (0, 1, 1, 1, 1), (1, 1, 1, 1, 6), (1.5,) * 5])
def test_bad_scores_are_refused(scores):
    with pytest.raises(InputError, match="five pedigree scores"):
        pedigree_uncertainty(scores, 1.05)


def test_the_type_of_an_exchange():
    meter = Exchange("grid", 10.0, "kWh", sources=(Source("meter", "E-1"),))
    freight = Exchange("road", 5.0, "t*km", sources=(Source("transport", "bom row 3"),))
    emission = Exchange("ghg-fossil", 2.0, "kg CO2e", biosphere=True)
    assert exchange_type(meter) == "energy_and_materials"
    assert exchange_type(freight) == "transport"
    assert exchange_type(emission) == "co2_emission"


def _system(sigma: float) -> ProductSystem:
    """A cell taking 100 kWh (lognormal ``sigma``) of grid power at 0.5 kg CO2/kWh and
    emitting 10 kg CO2 itself: the score is 10 + 50 · exp(sigma · z)."""
    spread = pedigree_uncertainty((2, 3, 4, 3, 5), 1.05)
    assert spread.sigma == pytest.approx(sigma)
    return ProductSystem(
        processes=(
            Process("grid", "grid", "kWh", (Exchange("co2", 0.5, "kg", biosphere=True),)),
            Process(
                "cell", "cell", "piece",
                (Exchange("grid", 100.0, "kWh", uncertainty=spread),
                 Exchange("co2", 10.0, "kg", biosphere=True)),
                foreground=True,
            ),
        ),
        flows=(Flow("co2", "CO2", "kg"),),
    )  # fmt: skip


def test_draws_match_numpy_and_stats_arrays():
    sigma = 0.3609805217725897
    footprint = Footprint(_system(sigma))
    drawn = monte_carlo(footprint, {"cell": 1.0}, iterations=4000, seed=7)
    # numpy with the same generator and seed: the one uncertain entry takes one normal a draw
    z = np.random.default_rng(7).standard_normal(4000)
    assert np.allclose(drawn.scores_kgco2e, 10 + 50 * np.exp(sigma * z), rtol=1e-9)
    # stats_arrays' lognormal (loc = ln of the median, scale = sigma), its own draws
    params = LognormalUncertainty.from_dicts({"loc": math.log(100.0), "scale": sigma})
    np.random.seed(11)
    other = 10 + 0.5 * LognormalUncertainty.random_variables(params, 20000).ravel()
    stats = drawn.statistics()
    theory_mean = 10 + 50 * math.exp(sigma**2 / 2)
    theory_sd = 50 * math.sqrt((math.exp(sigma**2) - 1) * math.exp(sigma**2))
    standard_error = theory_sd / math.sqrt(4000)
    assert abs(stats["mean"] - other.mean()) < 4 * standard_error
    assert abs(stats["mean"] - theory_mean) < 4 * standard_error
    assert stats["sd"] == pytest.approx(other.std(ddof=1), rel=0.1)
    assert stats["sd"] == pytest.approx(theory_sd, rel=0.1)
    assert stats["median"] == pytest.approx(np.median(other), rel=0.02)
    assert stats["p2_5"] == pytest.approx(np.percentile(other, 2.5), rel=0.05)
    assert stats["p97_5"] == pytest.approx(np.percentile(other, 97.5), rel=0.05)
