"""Benchmark: a retirement and its double-count check in a ledger of 1,000,000 GEC serials.

Run by hand: ``.venv/bin/python benchmarks/bench_ledger.py [--holdings N] [--per P]
[--repeat R] [--db URL]``. The ledger (SQLite in a temporary folder unless ``--db``) gets
``--holdings`` GEC holdings of ``--per`` serials each (1,000 × 1,000 = 1,000,000 serials by
default), half of each already retired in ranges of 10. Timed: :func:`lingtan.services.ledger.
write_ledger` retiring a range of 100 serials of one holding — every check included (the
balance, the serials within the holding, the overlap query against every retirement,
cancellation and transfer of the database, the claim-period rules), the entry, its serial range
and its audit entry written — and, as the refusal, retiring the same range again for
another claim; the best and
the median of ``--repeat`` runs. Record the figures, with machine and date, in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from lingtan.assets.ledger import MovementIn
from lingtan.errors import InputError
from lingtan.services.ledger import write_ledger
from lingtan.store.db import make_engine, session_scope, upgrade
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import CarbonAsset, Facility, LedgerEntry, LedgerSerial, Organization

PREFIX = "GEC2025JS"


def build(engine: sa.Engine, holdings: int, per: int) -> None:
    """Holdings and half of their serials retired, written in bulk (no checks: the fixture)."""
    with session_scope(engine) as session:
        organization = Organization(name="Bench Co")
        session.add(organization)
        session.flush()
        facility = Facility(organization_id=organization.id, code="BENCH", name="Bench",
                            region="CN-JS")  # fmt: skip
        session.add(facility)
        session.flush()
        assets, serials, entries = [], [], []
        for h in range(holdings):
            first = h * per + 1
            assets.append({
                "id": h + 1, "organization_id": organization.id, "facility_id": facility.id,
                "code": f"GEC-{h:06d}", "kind": "gec", "quantity": float(per), "unit": "MWh",
                "serial": f"{PREFIX}{first:09d}..{first + per - 1:09d}",
                "issuing_registry": "", "project": "", "technology": "wind", "methodology": "",
                "counterpart": "", "period_start": date(2025, 1, 1),
                "period_end": date(2025, 12, 31), "acquired_on": date(2025, 1, 1),
                "created_by": "bench",
            })  # fmt: skip
            serials.append({"asset_id": h + 1, "role": "held", "text": assets[-1]["serial"],
                            "prefix": PREFIX.casefold(), "first": first,
                            "last": first + per - 1})  # fmt: skip
            for r in range(per // 20):  # half retired, in ranges of 10
                start = first + r * 10
                entry_id = len(entries) + 1
                entries.append({
                    "id": entry_id, "asset_id": h + 1, "action": "retire", "quantity": 10.0,
                    "serial": f"{PREFIX}{start:09d}..{start + 9:09d}",
                    "on_date": date(2025, 12, 1), "facility_id": facility.id,
                    "period_start": date(2025, 1, 1), "period_end": date(2025, 12, 31),
                    "claim": "bench", "counterpart": "", "reason": "", "created_by": "bench",
                })  # fmt: skip
                serials.append({"asset_id": h + 1, "entry_id": entry_id, "role": "retire",
                                "text": entries[-1]["serial"], "prefix": PREFIX.casefold(),
                                "first": start, "last": start + 9})  # fmt: skip
        session.execute(sa.insert(CarbonAsset.__table__), assets)
        session.execute(sa.insert(LedgerEntry.__table__), entries)
        session.execute(sa.insert(LedgerSerial.__table__), serials)
        if engine.dialect.name == "postgresql":  # the ids were given: move the sequences on
            for table in ("carbon_asset", "ledger_entry"):
                session.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                ))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holdings", type=int, default=1000)
    parser.add_argument("--per", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--db")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lingtan-bench-ledger-"))
    url = args.db or f"sqlite:///{folder / 'ledger.db'}"
    engine = make_engine(url)
    upgrade(engine)
    build(engine, args.holdings, args.per)
    evidence = EvidenceStore(folder / "evidence")
    timings, refusals = [], []
    for run in range(args.repeat):
        holding = run % args.holdings
        first = holding * args.per + args.per // 2 + 1 + 100 * (run // args.holdings)
        movement = MovementIn(
            f"GEC-{holding:06d}", "retire", 100, date(2025, 12, 20),
            serial=f"{PREFIX}{first:09d}..{first + 99:09d}",
            period_start=date(2025, 1, 1), period_end=date(2025, 12, 31), claim="bench",
        )  # fmt: skip
        again = replace(movement, claim="another claim")  # the same again would be a no-op
        for out, item in ((timings, movement), (refusals, again)):
            begin = time.perf_counter()
            try:
                with session_scope(engine) as session:
                    facility = session.scalars(sa.select(Facility)).one()
                    write_ledger(session, facility, (), [item], evidence=evidence,
                                 actor="bench")  # fmt: skip
                refused = False
            except InputError:
                refused = True
            out.append(time.perf_counter() - begin)
            if refused != (out is refusals):
                raise SystemExit(f"run {run}: the retirement was {'' if refused else 'not '}"
                                 "refused")  # fmt: skip
    engine.dispose()
    serials = args.holdings * args.per
    print(f"{date.today()} {platform.machine()} {platform.processor() or ''} "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, load "
          f"{os.getloadavg()[0]:.1f}; {engine.url.get_backend_name()}")  # fmt: skip
    print(f"ledger of {serials:,} serials ({args.holdings:,} holdings)")
    for name, values in (("retire 100 serials", timings), ("refuse the same again", refusals)):
        print(f"{name}: best {min(values) * 1000:.1f} ms, "
              f"median {statistics.median(values) * 1000:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
