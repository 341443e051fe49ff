"""A generated background with an LCA database's structure, for tests and benchmarks.

**Illustrative, not data**: the processes, amounts and emissions are random numbers. What is
realistic is the *structure* of the technosphere, which decides how fast a sparse direct
solver is (footprint anchors §7 row 23: a uniformly random sparse matrix fills in without
bound and is not a valid LCA benchmark):

* the activities are ordered so that almost every input comes from an activity before the
  one that takes it (mostly upstream: lower triangular after ordering);
* a few activities are hubs that many take inputs from (electricity, heat and transport
  markets), the rest take from their neighbours in the ordering (a sector's supply chain);
* feedback loops are sparse and confined to small strongly connected blocks of a few
  consecutive activities (an electricity market and its plants);
* amounts are in the product's own unit (kg, kWh, MJ) with magnitudes over four orders, and
  each activity needs, per unit of its product, less than one unit of its inputs' products in
  a common scale, so that every block has a solution.

References
----------
.. [1] Heijungs R., Suh S., *The Computational Structure of Life Cycle Assessment*, Kluwer,
   2002, ch. 2 and 5 (triangular structure and loops of technology matrices).
"""

from __future__ import annotations

import numpy as np

from lingtan.footprint.model import Exchange, Flow, Process, ProductSystem, Uncertainty

__all__ = ["BACKGROUND_FLOWS", "generated_background"]

#: The elementary flows of the generated background, one per kind and gas.
BACKGROUND_FLOWS = (
    Flow("co2-fossil", "CO2", "kg", "fossil"),
    Flow("ch4-fossil", "CH4", "kg", "fossil"),
    Flow("n2o", "N2O", "kg", "fossil"),
    Flow("sf6", "SF6", "kg", "fossil"),
    Flow("co2-biogenic", "CO2", "kg", "biogenic"),
    Flow("ch4-biogenic", "CH4", "kg", "biogenic"),
    Flow("co2-dluc", "CO2", "kg", "dluc"),
    Flow("co2-aircraft", "CO2", "kg", "aircraft"),
)
_UNITS = ("kg", "kWh", "MJ")
_SECTOR = 40
# Typical emission per unit of product of each flow, kg (orders of magnitude only).
_EMISSION_SCALE = np.array([0.5, 2e-3, 2e-5, 1e-7, 0.2, 1e-3, 0.05, 0.01])


def generated_background(
    activities: int,
    *,
    inputs_per_activity: float = 14.0,
    loop_share: float = 0.1,
    seed: int = 1,
    prefix: str = "bg",
) -> ProductSystem:
    """A generated background of ``activities`` processes with an LCA database's structure.

    Parameters
    ----------
    activities : int
        Number of processes (ecoinvent 3.10 cut-off has 23,523 datasets).
    inputs_per_activity : float
        Mean number of technosphere inputs of a process (ecoinvent: about 15).
    loop_share : float
        Share of the processes that sit in a feedback loop (a strongly connected block of
        2 to 12 consecutive processes).
    seed : int
        Seed of the random generator: the same arguments give the same system.
    prefix : str
        Process codes are ``f"{prefix}-{i:05d}"``.

    Returns
    -------
    ProductSystem
        Processes making one unit (kg, kWh or MJ) of their product, with uncertain
        technosphere inputs and emissions of :data:`BACKGROUND_FLOWS`; labelled illustrative.
    """
    rng = np.random.default_rng(seed)
    n = activities
    primary = max(1, n // 50)  # resource extraction: no technosphere inputs
    counts = np.minimum(rng.poisson(inputs_per_activity - 1, n) + 1, np.arange(n))
    counts[:primary] = 0
    consumer = np.repeat(np.arange(n), counts)
    # Where inputs come from: a hub (the first 1 %: energy, heat and transport markets,
    # chosen with Zipf-like odds), an earlier process of the consumer's own sector (40
    # consecutive processes), or the market of an earlier sector (its first process).
    hubs = max(1, n // 100)
    draw = rng.random(consumer.size)
    hub = np.minimum(np.floor(hubs * rng.random(consumer.size) ** 3), consumer - 1)
    first = consumer // _SECTOR * _SECTOR
    own = first + np.floor(rng.random(consumer.size) * (consumer - first))
    market = np.floor(rng.random(consumer.size) * (consumer // _SECTOR + 1)) * _SECTOR
    market = np.minimum(market, consumer - 1)
    provider = np.where(draw < 0.6, hub, np.where(draw < 0.9, own, market))
    provider = np.where(provider < consumer, provider, hub).astype(np.int64)
    # Feedback: within blocks of consecutive processes, later members supply earlier ones.
    loops_c, loops_p = [], []
    start = primary
    while start < n - 12:
        size = int(rng.integers(2, 13))
        if rng.random() < loop_share:
            members = np.arange(start, start + size)
            for offset, member in enumerate(members[:-1]):
                later = members[offset + 1 :]
                take = later[rng.random(later.size) < max(0.35, 1.5 / later.size)]
                loops_c.extend([member] * take.size)
                loops_p.extend(take.tolist())
            loops_c.append(members[-1])  # the last member takes from the first: a cycle
            loops_p.append(members[0])
            # the first member must reach the last one, along the block
            loops_c.extend(members[1:].tolist())
            loops_p.extend(members[:-1].tolist())
        start += size
    consumer = np.concatenate([consumer, np.array(loops_c, dtype=np.int64)])
    provider = np.concatenate([provider, np.array(loops_p, dtype=np.int64)])
    pairs = np.unique(consumer * n + provider)
    consumer, provider = pairs // n, pairs % n
    # Amounts: a share q of one unit of input per unit of output in a common scale, columns
    # summing to 0.2-0.7, turned into product units by each product's scale.
    q = rng.lognormal(0.0, 1.0, consumer.size)
    totals = np.bincount(consumer, weights=q, minlength=n)
    target = rng.uniform(0.2, 0.7, n)
    q *= target[consumer] / totals[consumer]
    scale = 10.0 ** rng.uniform(-2, 2, n)
    amount = q * scale[provider] / scale[consumer]
    kind = rng.random(consumer.size)
    sigma = rng.uniform(0.05, 0.5, consumer.size)
    units = rng.integers(0, len(_UNITS), n)
    emits = rng.random((n, len(BACKGROUND_FLOWS))) < np.array(
        [0.9, 0.4, 0.3, 0.02, 0.2, 0.1, 0.05, 0.03]
    )
    emission = rng.lognormal(0.0, 1.0, emits.shape) * _EMISSION_SCALE / scale[:, None] * 10
    bio_sigma = rng.uniform(0.05, 0.3, emits.shape)
    order = np.argsort(consumer, kind="stable")
    bounds = np.searchsorted(consumer[order], np.arange(n + 1))
    processes = []
    for j in range(n):
        exchanges = []
        for e in order[bounds[j] : bounds[j + 1]]:
            value = float(amount[e])
            exchanges.append(
                Exchange(
                    f"{prefix}-{provider[e]:05d}",
                    value,
                    _UNITS[units[provider[e]]],
                    uncertainty=_uncertainty(kind[e], value, float(sigma[e])),
                )
            )
        for f, flow in enumerate(BACKGROUND_FLOWS):
            if emits[j, f]:
                exchanges.append(
                    Exchange(
                        flow.code,
                        float(emission[j, f]),
                        "kg",
                        biosphere=True,
                        uncertainty=Uncertainty("lognormal", sigma=float(bio_sigma[j, f])),
                    )
                )
        processes.append(
            Process(
                f"{prefix}-{j:05d}",
                f"generated activity {j}",
                _UNITS[units[j]],
                tuple(exchanges),
                stage="raw_materials",
            )
        )
    return ProductSystem(
        tuple(processes),
        BACKGROUND_FLOWS,
        name=f"generated background ({n} activities)",
        notes=("illustrative: generated numbers with an LCA database's structure, not data",),
    )


def _uncertainty(draw: float, amount: float, sigma: float) -> Uncertainty | None:
    if draw < 0.80:
        return Uncertainty("lognormal", sigma=sigma)
    if draw < 0.85:
        return Uncertainty("normal", sigma=0.1 * amount)
    if draw < 0.90:
        return Uncertainty("uniform", minimum=0.8 * amount, maximum=1.2 * amount)
    if draw < 0.95:
        return Uncertainty("triangular", minimum=0.7 * amount, maximum=1.3 * amount)
    return None
