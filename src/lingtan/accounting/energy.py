"""Energy in standard coal equivalent (标准煤) per GB/T 2589 综合能耗计算通则.

Electricity converts at its equivalent value (当量值, 0.1229 kgce/kWh) by default, or at the
equal-value (等价值) coefficient derived from a supply coal consumption (供电煤耗) that the
user states. Fuels and heat convert by their heat content: 1 kgce = 29.307 MJ. A fuel's heat
content uses, in order: the measured NCV given with the activity, the GB/T 2589 reference NCV,
or the NCV of the fuel's emission-factor set. Every coefficient is a factor-library row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lingtan.accounting.model import FactorUse
from lingtan.errors import Explained
from lingtan.factors import FactorLibrary, FactorNotFoundError
from lingtan.i18n import Message
from lingtan.units import conversion_factor


class CoalBasisError(Explained, ValueError):
    """A basis of electricity in standard coal that cannot be used (:class:`Explained`)."""


__all__ = [
    "StandardCoal",
    "electricity_to_tce",
    "energy_to_tce",
    "equal_value_coefficient",
]


def energy_to_tce(energy: float, energy_per_kgce: float) -> float:
    """Heat content in tonnes of standard coal.

    Parameters
    ----------
    energy : float
        Heat content [GJ].
    energy_per_kgce : float
        Heat content of 1 kgce [MJ/kgce] (29.307 in GB/T 2589).

    Returns
    -------
    float
        Standard coal [tce]. (GJ x 1000 MJ/GJ / (MJ/kgce) / 1000 kgce/tce.)
    """
    return energy / energy_per_kgce


def electricity_to_tce(energy: float, kgce_per_kwh: float) -> float:
    """Electricity in tonnes of standard coal: MWh x kgce/kWh = tce."""
    return energy * kgce_per_kwh


def equal_value_coefficient(supply_coal_gce_per_kwh: float) -> float:
    """Equal-value (等价值) coefficient of electricity [kgce/kWh] from a supply coal consumption
    [gce/kWh], e.g. 300 gce/kWh gives 0.300 kgce/kWh."""
    return supply_coal_gce_per_kwh / 1000.0


@dataclass(frozen=True)
class StandardCoal:
    """Standard-coal coefficients chosen from a factor library, for a whole calculation."""

    energy_per_kgce: FactorUse
    electricity: FactorUse
    library: FactorLibrary
    set_id: str | None = None
    _reference: dict[str, FactorUse | None] = field(default_factory=dict, repr=False)

    @classmethod
    def from_library(
        cls,
        library: FactorLibrary,
        *,
        electricity_basis: str = "equivalent",
        supply_coal_gce_per_kwh: float | None = None,
        set_id: str | None = None,
    ) -> StandardCoal:
        """Choose the coefficients.

        Parameters
        ----------
        electricity_basis : {"equivalent", "equal_value"}
            当量值 (default) or 等价值.
        supply_coal_gce_per_kwh : float, optional
            Required for ``equal_value``: the supply coal consumption to use [gce/kWh].
        set_id : str, optional
            An explicit standard-coal set (default: by the selection rule).
        """
        selection = library.select(
            "standard_coal", "standard_coal", "energy_per_unit", set_id=set_id
        )
        energy = FactorUse.chosen("standard coal heat content", selection, "MJ/kgce")
        if electricity_basis == "equal_value":
            if supply_coal_gce_per_kwh is None or supply_coal_gce_per_kwh <= 0:
                raise CoalBasisError(
                    Message("the equal-value basis needs a positive supply_coal_gce_per_kwh")
                )
            electricity = FactorUse(
                "electricity equal value (等价值)",
                equal_value_coefficient(supply_coal_gce_per_kwh),
                "kgce/kWh",
                None,
                Message(
                    "supply coal consumption %(gce)s gce/kWh (input)", gce=supply_coal_gce_per_kwh
                ),
            )
        elif electricity_basis == "equivalent":
            choice = library.select("standard_coal", "electricity", "equivalent", set_id=set_id)
            electricity = FactorUse.chosen(
                "electricity equivalent value (当量值)", choice, "kgce/kWh"
            )
        else:
            raise CoalBasisError(
                Message("must be one of %(options)s", options="equivalent, equal_value")
            )
        return cls(energy, electricity, library, set_id)

    def reference_ncv(self, fuel_key: str) -> FactorUse | None:
        """The GB/T 2589 reference NCV of a fuel, or None when GB/T 2589 does not list it."""
        if fuel_key not in self._reference:
            try:
                selection = self.library.select(
                    "standard_coal", fuel_key, "ncv", set_id=self.set_id
                )
            except FactorNotFoundError:
                self._reference[fuel_key] = None
            else:
                self._reference[fuel_key] = FactorUse.chosen(
                    "reference NCV for standard coal", selection
                )
        return self._reference[fuel_key]

    def uses(self) -> list[FactorUse]:
        """The coefficients chosen so far."""
        chosen = [self.energy_per_kgce, self.electricity, *self._reference.values()]
        return [use for use in chosen if use is not None]

    def carrier_tce(
        self, carrier: str, quantity: float, unit: str
    ) -> tuple[float, tuple[FactorUse, ...]]:
        """Standard coal of any common energy carrier, with the coefficients used.

        Parameters
        ----------
        carrier : str
            ``electricity``; ``heat`` (also steam or hot water given as heat content); or a
            fuel key (``diesel``, ``natural_gas`` ...), converted by its GB/T 2589 reference
            NCV, or by the NCV of the default fuel set where GB/T 2589 lists none.
        quantity, unit : float, str
            The amount, e.g. ``(120, "10^4 Nm3")`` or ``(5, "万kWh")``.

        Returns
        -------
        (float, tuple of FactorUse)
            tce, and the coefficients that produced it.

        Raises
        ------
        UnitError
            If the unit does not fit the carrier (e.g. ``t`` of electricity).
        FactorNotFoundError
            If the fuel has no NCV in the library.
        """
        if carrier == "electricity":
            energy = quantity * conversion_factor(unit, "MWh")
            return self.electricity_tce(energy), (self.electricity,)
        if carrier == "heat":
            energy = quantity * conversion_factor(unit, "GJ")
            return self.heat_tce(energy), (self.energy_per_kgce,)
        ncv = self.reference_ncv(carrier)
        if ncv is None:
            selection = self.library.select("fuel", carrier, "ncv")
            ncv = FactorUse.chosen("NCV (no GB/T 2589 reference value)", selection)
        energy = quantity * ncv.value * conversion_factor(f"({unit})*({ncv.unit})", "GJ")
        return self.heat_tce(energy), (ncv, self.energy_per_kgce)

    def heat_tce(self, energy: float) -> float:
        """tce of a heat content in GJ."""
        return energy_to_tce(energy, self.energy_per_kgce.value)

    def electricity_tce(self, energy: float) -> float:
        """tce of electricity in MWh."""
        return electricity_to_tce(energy, self.electricity.value)
