from datetime import date

import pytest

from lingtan.accounting.engine import compute_inventory
from lingtan.accounting.model import InventoryInput, Source
from lingtan.factors import FactorLibrary, shipped_library


@pytest.fixture(scope="session")
def library() -> FactorLibrary:
    return shipped_library()


def run(*sources: Source, library: FactorLibrary | None = None, **options):
    """Compute an inventory of 2025 for a facility in Jiangsu from the given sources."""
    inventory = InventoryInput(
        facility_name="Test plant",
        region=options.pop("region", "Jiangsu"),
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        sources=sources,
        **options,
    )
    return compute_inventory(inventory, library or shipped_library())
