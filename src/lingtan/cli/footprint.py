"""Commands for product carbon footprints and the declarations they feed:
``lingtan footprint foreground STUDY`` (a study's product system from the store),
``lingtan footprint battery FILE`` (the EU Battery Regulation's carbon footprint declaration)
and ``lingtan footprint cbam FILE [--xlsx OUT]`` (the CBAM communication of an installation).

The click group :data:`footprint` is added to the ``lingtan`` group by :mod:`lingtan.cli.main`.
``foreground`` reads the database given by ``--db`` on the main group or
``LINGTAN_DATABASE_URL``; ``battery`` and ``cbam`` read their files only. Refused input exits
with status 2, every problem on stderr and nothing on stdout.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from lingtan.cli.common import (
    Column,
    emit,
    format_option,
    language,
    message,
    name_of,
    open_store,
    refusing_bad_input,
    report_format_option,
    say,
)
from lingtan.footprint.background import read_supplier_file
from lingtan.footprint.declaration_files import (
    CBAM_COLUMNS,
    battery_document,
    battery_rows,
    cbam_document,
    cbam_rows,
    read_battery_file,
    read_cbam_file,
)
from lingtan.footprint.declarations import BatteryModel
from lingtan.footprint.lineage import primary_data_share
from lingtan.footprint.model import ProductSystem
from lingtan.footprint.study import read_study_file
from lingtan.i18n import Message
from lingtan.imports.load import facility_by_code
from lingtan.services.footprint import build_product_system, product_code

__all__ = ["footprint"]


_BATTERY_COLUMNS = (
    Column("stage", names="footprint.battery_stage"),
    Column("kg_co2e_per_battery", "kg CO2e per battery", 1),
    Column("kg_co2e_per_kwh", "kg CO2e/kWh", 4),
)
#: The command line's table: the product lines' main figures, short headings.
_CBAM_TABLE = (
    Column("cn_code", "CN code"),
    Column("name", "good"),
    Column("route"),
    Column("production_t", "t", 1),
    Column("see_direct", "SEE direct tCO2e/t", 4),
    Column("see_indirect", "SEE indirect tCO2e/t", 4),
    Column("see_total", "SEE tCO2e/t", 4),
    Column("embedded_electricity_mwh_per_t", "MWh/t", 4),
    Column("carbon_price_due_per_t", "carbon price due per t", 2),
)


@click.group("footprint")
def footprint() -> None:
    """Product carbon footprints (GB/T 24067 / ISO 14067) from the factory's meters, inventory
    and bills of materials, and the declarations they feed (EU Battery Regulation, CBAM)."""


_COLUMNS = (
    Column("process"),
    Column("stage", names="footprint.stage"),
    Column("flow", "input or emission"),
    Column("amount", digits=3),
    Column("unit"),
    Column("meters"),
    Column("sources", "sources read"),
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def system_document(system: ProductSystem, product: str) -> dict[str, Any]:
    """The product system as JSON: every process, exchange and source, and the primary data
    share [%] computed from the lineage."""
    return {
        "name": system.name,
        "product_process": product,
        "primary_data_share_pct": primary_data_share(system, product),
        "processes": [_plain(asdict(p)) for p in system.processes],
        "flows": [asdict(f) for f in system.flows],
        "notes": list(system.notes),
    }


@footprint.command("foreground")
@click.argument("study_file", metavar="STUDY", type=click.Path(dir_okay=False))
@click.option(
    "--suppliers",
    type=click.Path(dir_okay=False),
    help="A supplier footprint file (CSV) for the BOM's pact:<id> links.",
)
@format_option
@click.pass_context
@refusing_bad_input
def foreground(ctx: click.Context, study_file: str, suppliers: str | None, output: str) -> None:
    """Build the foreground of the study in STUDY (YAML) from the store and list the product's
    exchanges with where they came from (JSON: the whole product system with its lineage)."""
    study = read_study_file(study_file)
    received = read_supplier_file(suppliers) if suppliers else None
    with open_store(ctx) as (session, _):
        facility = facility_by_code(session, study.facility)
        system = build_product_system(session, study, suppliers=received)
        product = product_code(study.product, facility.code)
    rows = [
        {
            "process": process.code,
            "stage": process.stage,
            "flow": exchange.flow,
            "amount": exchange.amount,
            "unit": exchange.unit,
            "meters": " ".join(s.reference for s in exchange.sources if s.kind == "meter"),
            "sources": len(exchange.sources),
        }
        for process in system.processes
        for exchange in process.exchanges
    ]
    document = system_document(system, product)
    emit(rows, _COLUMNS, output, title=system.name, document=document)
    share = document["primary_data_share_pct"]
    if output == "table" and share is not None:
        say(Message("primary data share: %(share)s %%", share=f"{share:.1f}"))


_RESULT_COLUMNS = (
    Column("process"),
    Column("name", "process name"),
    Column("stage", names="footprint.stage"),
    Column("kgco2e", "kg CO2e", 4),
    Column("share_pct", "share %", 1),
)


#: ``--suppliers`` of the commands that compute a study's result.
_result_suppliers = click.option(
    "--suppliers",
    type=click.Path(dir_okay=False),
    help="A supplier footprint file (CSV) for the BOM's pact:<id> links, besides the "
    "footprints received over PACT.",
)
#: ``--monte-carlo`` of the commands that compute a study's result.
_monte_carlo_option = click.option(
    "--monte-carlo",
    "iterations",
    type=click.IntRange(min=0, max=100_000),
    default=0,
    show_default=True,
    help="Monte Carlo draws from the exchanges' uncertainty (0: none).",
)
_seed_option = click.option(
    "--seed", type=int, default=0, show_default=True, help="The draws' seed."
)


@footprint.command("calc")
@click.argument("study_file", metavar="STUDY", type=click.Path(dir_okay=False))
@_result_suppliers
@_monte_carlo_option
@_seed_option
@format_option
@click.pass_context
@refusing_bad_input
def footprint_calc(
    ctx: click.Context,
    study_file: str,
    suppliers: str | None,
    iterations: int,
    seed: int,
    output: str,
) -> None:
    """The footprint of the study in STUDY (YAML) per declared or functional unit: the
    processes that emit, largest first, fossil, biogenic, dLUC and aircraft apart, by stage
    (JSON: with the contributions by material, the Sankey graph and the meters behind it)."""
    from lingtan.i18n.catalog import texts
    from lingtan.reports.i18n import process_label  # the CLI starts without the reports
    from lingtan.services.footprint_result import study_footprint

    study = read_study_file(study_file)
    received = read_supplier_file(suppliers) if suppliers else None
    with open_store(ctx) as (session, _):
        found = study_footprint(
            session, study, suppliers=received, iterations=iterations, seed=seed
        )
    result = found.result
    lang = language()
    rows = [
        {
            "process": row["process"],
            "name": process_label(row, texts(lang)),
            "stage": row["stage"],
            "kgco2e": row["kgco2e"],
            "share_pct": None if row["share"] is None else 100 * row["share"],
        }
        for row in result.by_process()
        if row["kgco2e"] != 0
    ]
    title = message(
        Message(
            "%(study)s: %(score)s kg CO2e per %(quantity)g %(unit)s",
            study=study.name,
            score=f"{result.score_kgco2e:,.1f}",
            quantity=study.unit_quantity,
            unit=study.unit,
        ),
        lang,
    )
    emit(rows, _RESULT_COLUMNS, output, title=title, document=found.as_dict())
    if output != "table":
        return
    kinds = result.by_kind_kgco2e
    say(
        Message(
            "fossil %(fossil)s, biogenic %(biogenic)s, dLUC %(dluc)s, aircraft %(aircraft)s "
            "kg CO2e",
            **{kind: f"{value:,.1f}" for kind, value in kinds.items()},
        )
    )
    stages = ", ".join(
        f"{name_of('footprint.stage', stage, lang)} {value:,.1f}"
        for stage, value in result.by_stage().items()
    )
    say(Message("by stage (kg CO2e): %(stages)s", stages=stages))
    if found.primary_data_share_pct is not None:
        say(
            Message("primary data share: %(share)s %%", share=f"{found.primary_data_share_pct:.1f}")
        )
    if iterations and found.monte_carlo is None:
        say(Message("Monte Carlo: no exchange of the product system states an uncertainty"))
    if found.monte_carlo is not None:
        spread = found.monte_carlo.statistics()
        say(
            Message(
                "Monte Carlo, %(n)s draws: mean %(mean)s, 95 %% interval %(low)s to %(high)s "
                "kg CO2e",
                n=found.monte_carlo.iterations,
                mean=f"{spread['mean']:,.1f}",
                low=f"{spread['p2_5']:,.1f}",
                high=f"{spread['p97_5']:,.1f}",
            )
        )


@footprint.command("report")
@click.argument("study_file", metavar="STUDY", type=click.Path(dir_okay=False))
@report_format_option
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="The file to write (default: footprint-FACILITY-PRODUCT-START-LANG.FORMAT here).",
)
@click.option(
    "--lang",
    type=click.Choice(["zh-CN", "en"]),
    help="The report's language (default: the command line's).",
)
@_result_suppliers
@_monte_carlo_option
@_seed_option
@click.pass_context
@refusing_bad_input
def footprint_report(
    ctx: click.Context,
    study_file: str,
    fmt: str,
    out: str | None,
    lang: str | None,
    suppliers: str | None,
    iterations: int,
    seed: int,
) -> None:
    """Write the carbon footprint study report (GB/T 24067 / ISO 14067) of the study in STUDY:
    goal and scope, the inventory, the result with fossil, biogenic, dLUC and aircraft apart,
    the contributions, data quality, the meters behind it, uncertainty and limitations; its
    figures are those of lingtan footprint calc --format json."""
    from lingtan.reports import check_font
    from lingtan.reports.footprint import (
        FootprintReport,
        footprint_filename,
        render_footprint_html,
        render_footprint_pdf,
        render_footprint_xlsx,
    )
    from lingtan.services.footprint_result import study_footprint

    check_font([fmt])
    study = read_study_file(study_file)
    received = read_supplier_file(suppliers) if suppliers else None
    with open_store(ctx) as (session, _):
        found = study_footprint(
            session, study, suppliers=received, iterations=iterations, seed=seed
        )
        facility = facility_by_code(session, study.facility)
        report = FootprintReport(
            document=found.as_dict(),
            facility_code=facility.code,
            facility_name=facility.name,
            organization_name=facility.organization.name,
        )
    lang = lang or language()
    if fmt == "html":
        content = render_footprint_html(report, lang).encode("utf-8")
    elif fmt == "pdf":
        content = render_footprint_pdf(report, lang)
    else:
        content = render_footprint_xlsx(report, lang)
    path = Path(out or footprint_filename(report, lang, fmt))
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(content)
    partial.replace(path)
    click.echo(f"{path}: {len(content):,} bytes")


@footprint.command("battery")
@click.argument("declaration_file", metavar="FILE", type=click.Path(dir_okay=False))
@click.option(
    "--study",
    "study_file",
    type=click.Path(dir_okay=False),
    help="Take the footprint by stage from this study's result (as lingtan footprint calc "
    "gives it) scaled to the battery's usable energy, instead of the file's footprint_kg_co2e.",
)
@format_option
@click.pass_context
@refusing_bad_input
def footprint_battery(
    ctx: click.Context, declaration_file: str, study_file: str | None, output: str
) -> None:
    """The carbon footprint declaration of a battery model (Regulation (EU) 2023/1542 Annex
    II): kg CO2e per kWh of the total energy over its service life, by life-cycle stage."""
    stages_for = None
    if study_file is not None:
        from lingtan.services.footprint_result import study_footprint

        study = read_study_file(study_file)
        with open_store(ctx) as (session, _):
            found = study_footprint(session, study)

        def stages_for(battery: BatteryModel) -> dict[str, float]:
            return found.stages_for_energy(battery.usable_energy_kwh)

    declared = read_battery_file(declaration_file, stages_for)
    lang = language()
    rows = battery_rows(declared)
    battery = declared.battery
    if declared.cycles_basis == "stated":
        basis = Message("cycles stated")
    else:
        basis = Message(
            "draft delegated act, category %(category)s", category=battery.vehicle_category
        )
    title = message(
        Message(
            "%(model)s (%(plant)s): %(total).4f kg CO2e/kWh over %(energy).0f kWh "
            "(%(usable)g kWh x %(cycles)g cycles a year, %(basis)s, x %(years)g years)",
            model=battery.model,
            plant=battery.plant,
            total=declared.total,
            energy=declared.total_energy_kwh,
            usable=battery.usable_energy_kwh,
            cycles=declared.cycles_per_year,
            basis=message(basis, lang),
            years=battery.service_years,
        ),
        lang,
    )
    document = battery_document(declared, Path(declaration_file).name)
    emit(rows, _BATTERY_COLUMNS, output, title=title, document=document)


@footprint.command("cbam")
@click.argument("communication_file", metavar="FILE", type=click.Path(dir_okay=False))
@click.option(
    "--xlsx",
    "xlsx_file",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write the communication as a workbook in the structure of the EU template "
    "(sheet Summary_Communication).",
)
@format_option
@refusing_bad_input
def footprint_cbam(communication_file: str, xlsx_file: str | None, output: str) -> None:
    """The CBAM communication of an installation (Regulation (EU) 2023/956 Annex IV): each
    good's specific embedded emissions, direct and indirect with its precursors', the embedded
    electricity and the carbon price due."""
    communication = read_cbam_file(communication_file)
    lang = language()
    rows = cbam_rows(communication)
    if xlsx_file is not None:
        from lingtan.reports.cbam import cbam_workbook  # openpyxl: only for --xlsx

        data = cbam_workbook(communication, lang)
        target = Path(xlsx_file)
        partial = target.with_name(target.name + ".part")
        partial.write_bytes(data)
        partial.replace(target)
    site = communication.installation
    title = message(
        Message(
            "%(name)s, %(start)s to %(end)s: direct %(direct).1f t CO2e, indirect "
            "%(indirect).1f t CO2e",
            name=site.name,
            start=site.period_start.isoformat(),
            end=site.period_end.isoformat(),
            direct=communication.direct_tco2e,
            indirect=communication.indirect_tco2e,
        ),
        lang,
    )
    document = cbam_document(communication, Path(communication_file).name)
    emit(
        rows,
        _CBAM_TABLE if output == "table" else _cbam_all(),
        output,
        title=title,
        document=document,
    )


def _cbam_all() -> tuple[Column, ...]:
    return tuple(Column(key, heading[1]) for key, heading in CBAM_COLUMNS)


_BACKGROUND_COLUMNS = (
    Column("process"),
    Column("name"),
    Column("production", digits=4),
    Column("unit"),
    Column("inputs", digits=0),
    Column("direct_kg_co2e", "direct kg CO2e", 4),
    Column("unlinked", "unlinked inputs", 0),
)


#: ``--gwp`` of the background imports.
_gwp_option = click.option(
    "--gwp",
    "gwp",
    default="ipcc-ar6",
    show_default=True,
    help="The GWP set of lingtan's factor library the dataset's gases are counted with.",
)


@footprint.command("import-jsonld")
@click.argument("zip_file", metavar="ZIP", type=click.Path(dir_okay=False))
@_gwp_option
@format_option
@refusing_bad_input
def footprint_import_jsonld(zip_file: str, gwp: str, output: str) -> None:
    """Read background datasets from an openLCA JSON-LD zip (olca-schema 2): its processes
    with their inputs linked, their greenhouse gases in kg CO2e by kind, the inputs without a
    provider (cut off) and the elementary flows without a GWP. Nothing is stored."""
    from lingtan.footprint.jsonld import read_jsonld  # the CLI starts without olca-schema

    _background_summary(read_jsonld(zip_file, gwp=gwp), zip_file, output)


@footprint.command("import-brightway")
@click.argument("export_file", metavar="FILE", type=click.Path(dir_okay=False))
@_gwp_option
@format_option
@refusing_bad_input
def footprint_import_brightway(export_file: str, gwp: str, output: str) -> None:
    """Read background datasets from a Brightway export (bw2data's nodes and edges as JSON):
    its processes with their inputs linked, their greenhouse gases in kg CO2e by kind, the
    inputs without a provider (cut off) and the elementary flows without a GWP. Nothing is
    stored."""
    from lingtan.footprint.brightway import read_brightway_json

    _background_summary(read_brightway_json(export_file, gwp=gwp), export_file, output)


def _background_summary(imported: Any, data_file: str, output: str) -> None:
    """Print what a background import read: a row per process, the report in JSON."""
    system, report = imported.system, imported.report
    lang = language()
    unlinked: dict[str, int] = {}
    for item in report.unlinked:
        unlinked[item.process] = unlinked.get(item.process, 0) + 1
    rows = [
        {
            "process": process.code,
            "name": process.name,
            "production": process.production,
            "unit": process.unit,
            "inputs": sum(not e.biosphere for e in process.exchanges),
            "direct_kg_co2e": sum(e.amount for e in process.exchanges if e.biosphere),
            "unlinked": unlinked.get(process.code, 0),
        }
        for process in system.processes
    ]
    title = message(
        Message(
            "%(file)s: %(processes)s processes, %(unlinked)s unlinked inputs cut off, "
            "%(uncharacterised)s elementary flows without a GWP (%(gwp)s)",
            file=Path(data_file).name,
            processes=len(system.processes),
            unlinked=len(report.unlinked),
            uncharacterised=len(report.uncharacterised),
            gwp=report.gwp_set,
        ),
        lang,
    )
    document = {
        "file": Path(data_file).name,
        "gwp_set": report.gwp_set,
        "entities": report.entities,
        "processes": rows,
        "flows": [
            {"flow": f.code, "name": f.name, "unit": f.unit, "kind": f.kind} for f in system.flows
        ],
        "unlinked": [
            {
                "process": u.process,
                "flow": u.flow,
                "name": u.flow_name,
                "amount": u.amount,
                "unit": u.unit,
                "reason": message(u.reason, lang),
            }
            for u in report.unlinked
        ],
        "conversions": [
            {
                "process": c.process,
                "flow": c.flow_name,
                "amount": c.amount,
                "unit": c.unit,
                "to_unit": c.to_unit,
                "factor": c.factor,
            }
            for c in report.conversions
        ],
        "formulas": [
            {"process": f.process, "flow": f.flow_name, "formula": f.formula, "amount": f.amount}
            for f in report.formulas
        ],
        "uncharacterised": [
            {"flow": u.flow, "name": u.name, "compartment": u.compartment, "exchanges": u.exchanges}
            for u in report.uncharacterised
        ],
    }
    emit(rows, _BACKGROUND_COLUMNS, output, title=title, document=document)
