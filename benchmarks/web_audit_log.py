"""The audit log route over a log of 100,000 entries: first page, a deep page, one entity.

Run by hand: ``.venv/bin/python benchmarks/web_audit_log.py [--db URL] [--entries 100000]
[--repeat 7]``.

1. Builds a fresh store (a temporary SQLite file, or the empty database given with ``--db``):
   two organizations of two facilities each, 200 API tokens spread over the four facilities,
   an admin of the first organization and an auditor of one of its facilities.
2. Appends ``--entries`` audit entries in a plausible mix: 60 % about API tokens, 20 % about
   users of either organization, 10 % about factor sets, 5 % about facilities and 5 % about
   other entities (never shown on the web). They are inserted in bulk, not through
   :func:`lingtan.store.audit.record`: the route does not check the hash chain, and 100,000
   chained writes would only slow the set-up.
3. Times :func:`lingtan.web.api.audit_log` (the route's function, one read-only transaction,
   no HTTP) for the admin and the auditor: the first page of 100, page 500, and the first page
   of ``entity=app_user``. Prints best and median [ms] of ``--repeat`` runs, with the machine.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from lingtan.store.db import make_engine, session_scope, upgrade
from lingtan.store.models import ApiToken, AppUser, AuditEntry, Facility, Organization
from lingtan.web import accounts, api

PASSWORD = "benchmark password 2025"


def _build(url: str, entries: int) -> dict[str, int]:
    engine = make_engine(url)
    upgrade(engine)
    rng = random.Random(5)
    with session_scope(engine) as session:
        organizations = [Organization(name=f"Org {n}") for n in "AB"]
        session.add_all(organizations)
        session.flush()
        sites = [
            Facility(organization_id=o.id, code=f"{o.name[-1]}-{i}", name="plant", region="CN-JS")
            for o in organizations
            for i in (1, 2)
        ]
        session.add_all(sites)
        session.flush()
        tokens = [
            ApiToken(
                name=f"t{i}",
                token_sha256=f"{i:064x}",
                prefix=f"lt_{i:07d}",
                facility_id=sites[i % 4].id,
                scope="read",
                created_by="benchmark",
            )
            for i in range(200)
        ]
        session.add_all(tokens)
        session.flush()
        admin = accounts.create_user(
            session, "bench-admin", PASSWORD, role="admin", organization="Org A", actor="bench"
        )
        auditor = accounts.create_user(
            session,
            "bench-auditor",
            PASSWORD,
            role="auditor",
            organization="Org A",
            facilities=(sites[0].code,),
            actor="bench",
        )
        ids = {"admin": admin.id, "auditor": auditor.id}
        at = datetime(2025, 1, 1, tzinfo=UTC).isoformat()
        rows = []
        for n in range(entries):
            draw = rng.random()
            if draw < 0.60:
                entity, key, after = "api_token", str(rng.choice(tokens).id), {"scope": "read"}
            elif draw < 0.80:
                org = rng.choice(organizations)
                entity, key, after = "app_user", f"user{n}", {"organization_id": org.id}
            elif draw < 0.90:
                entity, key, after = "factor_set", f"set{n % 50}", {"factors": 12}
            elif draw < 0.95:
                org = rng.choice(organizations)
                entity, key, after = "facility", f"F{n}", {"organization": org.name}
            else:
                entity, key, after = "meter", f"M{n}", {"unit": "kWh"}
            rows.append(
                {
                    "at": at,
                    "actor": "benchmark",
                    "action": "create",
                    "entity": entity,
                    "entity_key": key,
                    "before": None,
                    "after": after,
                    "prev_hash": f"p{n:063x}",
                    "hash": f"h{n:063x}",
                }
            )
        session.execute(sa.insert(AuditEntry), rows)
    engine.dispose()
    return ids


def _time(url: str, user_id: int, entity: str | None, offset: int, repeat: int):
    engine = make_engine(url)
    times, total = [], 0
    try:
        for _ in range(repeat):
            with session_scope(engine, read_only=True) as session:
                user = session.get(AppUser, user_id)
                who = accounts.principal_for_user(session, user, None)
                start = time.perf_counter()
                page = api.audit_log(session, who, entity, 100, offset)
                times.append(time.perf_counter() - start)
                total = page["total"]
    finally:
        engine.dispose()
    return min(times) * 1000, statistics.median(times) * 1000, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="An empty database (default: a temporary SQLite file).")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.db or f"sqlite:///{Path(folder) / 'audit.db'}"
        start = time.perf_counter()
        ids = _build(url, args.entries)
        print(f"built {args.entries:,} entries in {time.perf_counter() - start:.1f} s ({url})")
        print(
            f"{platform.machine()} {platform.processor() or ''} Python {platform.python_version()}"
        )
        print("caller   query                  best [ms]  median [ms]  total shown")
        for role in ("admin", "auditor"):
            for label, entity, offset in (
                ("first page", None, 0),
                ("page 500 (offset)", None, 49_900),
                ("entity=app_user", "app_user", 0),
            ):
                best, median, total = _time(url, ids[role], entity, offset, args.repeat)
                print(f"{role:8} {label:20} {best:11.1f} {median:12.1f} {total:12,}")


if __name__ == "__main__":
    main()
