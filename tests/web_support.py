"""A small two-organization site for the web tests, built through lingtan's own imports.

Organization A ("Alpha Secret Co") has two facilities, ALPHA-PLANT and ALPHA-SECOND, with
activity records, evidence and a locked inventory of January 2025; organization B ("Beta Co")
has BETA-PLANT. The values of A are distinctive strings and numbers, so a test can tell that
none of them reached a user of B.
"""

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from conftest import from_template
from lingtan.imports.load import import_file
from lingtan.imports.template import write_workbook
from lingtan.metering import rollups
from lingtan.metering.store import MeterDefinition, NodeDefinition, define_meters, ingest_readings
from lingtan.services import inventory as inventories
from lingtan.store.db import make_engine, session_scope, upgrade
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import ActivityRecord, AuditEntry, Facility, Inventory, Meter, Source
from lingtan.web import accounts
from lingtan.web.api_reports import shutdown
from lingtan.web.app import create_app

PASSWORD = "correct horse battery"
ALPHA = "Alpha Secret Co"
BETA = "Beta Co"
#: Strings and numbers of organization A that must never reach organization B.
ALPHA_MARKERS = (ALPHA, "ALPHA-PLANT", "ALPHA-SECOND", "alpha-boiler", "123456.789")
ALPHA_BILL = b"ALPHA SECRET gas bill January 2025: 123456.789 Nm3\n"
UPLOAD_LIMIT_BYTES = 4096

SOURCES = [
    ["alpha-boiler", "fuel_combustion", "Boiler", "Utilities", "natural_gas"],
    ["grid", "purchased_electricity", "Grid"],
]


@dataclass
class Site:
    url: str
    engine: sa.Engine
    app: object
    evidence_dir: Path
    ids: dict[str, object] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, user: str | None = None) -> tuple[TestClient, str | None]:
        """A client (own cookie jar) signed in as ``user``, and its CSRF token."""
        client = TestClient(self.app)
        if user is None:
            return client, None
        answer = client.post("/api/v1/session", json={"username": user, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return client, answer.json()["csrf_token"]

    def bearer(self, token: str) -> TestClient:
        return TestClient(self.app, headers={"Authorization": f"Bearer {self.tokens[token]}"})

    def close(self) -> None:
        """Stop the application's report jobs and dispose of both engines."""
        shutdown(self.app)
        self.app.state.engine.dispose()
        self.engine.dispose()

    def count(self, model) -> int:
        with self.engine.connect() as connection:
            return connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def _workbook(folder: Path, organization: str, code: str, gas: float, bill: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bill-01.csv").write_bytes(bill)
    return write_workbook(
        folder / "data.xlsx",
        {
            "报告主体 Facility": [
                [organization, code, f"{code} plant", "江苏", "C3841", "电池", "fence"]
            ],
            "排放源 Sources": SOURCES,
            "活动数据 Activity": [
                [
                    "alpha-boiler",
                    date(2025, 1, 1),
                    date(2025, 1, 31),
                    gas,
                    "Nm3",
                    "invoice",
                    "bill-01.csv",
                ],
                ["grid", date(2025, 1, 1), date(2025, 1, 31), 1000, "MWh", "meter"],
                ["grid", date(2025, 2, 1), date(2025, 2, 28), 900, "MWh", "meter"],
            ],
        },
    )


def _fill_site(url: str, folder: Path) -> dict[str, dict]:
    """The two organizations' data in the empty database at ``url`` (evidence under
    ``folder / "evidence"``): the ``ids`` and ``tokens`` of :class:`Site`."""
    engine = make_engine(url)
    upgrade(engine)
    evidence = EvidenceStore(folder / "evidence")
    sites = [
        (ALPHA, "ALPHA-PLANT", 123456.789, ALPHA_BILL),
        (ALPHA, "ALPHA-SECOND", 5000.0, b"second plant gas bill\n"),
        (BETA, "BETA-PLANT", 1000.0, b"beta gas bill\n"),
    ]
    for organization, code, gas, bill in sites:
        workbook = _workbook(folder / code, organization, code, gas, bill)
        with session_scope(engine) as session:
            import_file(session, workbook, evidence=evidence, actor="setup", facility_code=code)
    ids, tokens = {}, {}
    with session_scope(engine) as session:
        facilities = {f.code: f for f in session.scalars(sa.select(Facility))}
        alpha = facilities["ALPHA-PLANT"]
        inventory = inventories.compute(
            session, alpha, date(2025, 1, 1), date(2025, 1, 31), actor="setup", lock=True
        )
        record = session.scalars(
            sa.select(ActivityRecord)
            .join(Source)
            .where(Source.facility_id == alpha.id, Source.code == "alpha-boiler")
        ).one()
        session.add(
            Meter(
                facility_id=alpha.id,
                code="E-MAIN",
                energy_type="electricity",
                unit="kWh",
                kind="cumulative",
            )
        )
        users = [
            ("admin_a", "admin", ALPHA, ()),
            ("manager_a", "manager", ALPHA, ("ALPHA-PLANT",)),
            ("viewer_a", "viewer", ALPHA, ("ALPHA-PLANT",)),
            ("auditor_a", "auditor", ALPHA, ("ALPHA-PLANT",)),
            ("admin_b", "admin", BETA, ()),
            ("manager_b", "manager", BETA, ("BETA-PLANT",)),
        ]
        for name, role, organization, granted in users:
            accounts.create_user(
                session,
                name,
                PASSWORD,
                role=role,
                organization=organization,
                facilities=granted,
                actor="setup",
            )
        for name, organization, code, scope in [
            ("alpha-read", ALPHA, "ALPHA-PLANT", "read"),
            ("alpha-ingest", ALPHA, "ALPHA-PLANT", "ingest"),
            ("beta-read", BETA, "BETA-PLANT", "read"),
            ("beta-ingest", BETA, "BETA-PLANT", "ingest"),
        ]:
            secret, token = accounts.create_token(
                session,
                name=name,
                organization=organization,
                facility=code,
                scope=scope,
                actor="setup",
            )
            tokens[name] = secret
            ids[f"{name}_token_id"] = token.id
        ids |= {
            "organization_id": alpha.organization_id,
            "inventory_id": inventory.id,
            "record_id": record.id,
            "evidence_sha256": record.evidence[0].sha256,
        }
    engine.dispose()
    return {"ids": ids, "tokens": tokens}


def build_site(url: str, tmp_path: Path, **app_options) -> Site:
    """The site in the empty database at ``url`` (evidence in ``tmp_path / "evidence"``),
    served by an application made with ``app_options``. The data are built once per test
    process and backend and copied for each site (``conftest.from_template``)."""
    made = from_template("web-site", url, tmp_path, _fill_site)
    site = Site(url, make_engine(url), None, tmp_path / "evidence", **made)
    options = {"max_upload_bytes": UPLOAD_LIMIT_BYTES, **app_options}
    site.app = create_app(url, evidence_dir=site.evidence_dir, **options)
    return site


def define_two_meters(
    session, names: tuple[str, str] = ("Site", "Workshop"), extra: tuple = ()
) -> None:
    """ALPHA-PLANT's energy tree: the node ``site`` (names[0]) with its supply meter M-SUP
    and the workshop ``ws`` (names[1]) below it with M-WS, both cumulative [kWh]; *extra*
    meter definitions are added as given."""
    define_meters(
        session,
        "ALPHA-PLANT",
        [
            NodeDefinition("site", names[0], "facility"),
            NodeDefinition("ws", names[1], "workshop", parent="site"),
        ],
        [
            MeterDefinition(
                "M-SUP", "electricity", "kWh", "cumulative", node="site", flow="supply"
            ),
            MeterDefinition("M-WS", "electricity", "kWh", "cumulative", node="ws"),
            *extra,
        ],
        actor="test",
    )


def ingest_ramps(session, day_start_utc: int, intervals: int, origin: str) -> None:
    """Readings of M-SUP (1000 kWh, then +10 kWh each 15 min) and M-WS (500 kWh, +9 kWh)
    from *day_start_utc* [s since the epoch] over *intervals* intervals of 15 min (one more
    reading than intervals)."""
    readings = [
        (code, day_start_utc + 900 * i, start + step * i)
        for i in range(intervals + 1)
        for code, start, step in (("M-SUP", 1000.0, 10.0), ("M-WS", 500.0, 9.0))
    ]
    ingest_readings(session, "ALPHA-PLANT", readings, origin=origin)


#: The local day 2025-07-01 (UTC+08:00) begins at 2025-06-30T16:00:00Z [s since the epoch].
JULY_START_UTC = 1_751_299_200
JULY_INTERVALS = 31 * 96  # 2,976


def meter_july(site: Site) -> None:
    """ALPHA-PLANT's two-meter tree (``define_two_meters``: 全厂 Site, 电芯车间 Workshop) with
    the ramps of ``ingest_ramps`` through July 2025 (local days) and its daily totals: the site
    uses 2,976 x 10 kWh = 29,760 kWh, the workshop 2,976 x 9 kWh = 26,784 kWh."""
    with session_scope(site.engine) as session:
        define_two_meters(session, names=("全厂 Site", "电芯车间 Workshop"))
        ingest_ramps(session, JULY_START_UTC, JULY_INTERVALS, origin="setup")
        alpha = session.scalars(sa.select(Facility).where(Facility.code == "ALPHA-PLANT")).one()
        rollups.refresh(session, alpha.id)


def assert_error(answer, status: int) -> dict:
    """The error body of ``answer``, after checking it has the HTTP status ``status``, names
    that status and a message, and shows no traceback."""
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["status"] == status and error["message"]
    assert "Traceback" not in answer.text
    return error


def snapshot(site: Site) -> dict[str, int]:
    """Counts that any write to the data would change (every change is audited)."""
    return {
        "audit": site.count(AuditEntry),
        "inventories": site.count(Inventory),
        "records": site.count(ActivityRecord),
    }


def app_routes(routes, prefix=""):
    """(path, route) of every route of an application, also inside included routers (newer
    FastAPI keeps an included router as one entry of ``app.routes``)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from app_routes(included.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route
