"""Commands for the zero-carbon-factory evaluation: ``lingtan evaluate FACTS --scheme NAME``
(the same as ``lingtan evaluate facts``), ``lingtan evaluate schemes`` and ``lingtan evaluate
match CONSUMPTION SUPPLY``.

They read files — a facts file (YAML), a user's rule set (``--rules``), the series files of
the hourly matching (CSV) — and, with ``--facility`` and ``--period``, the facts lingtan
computes from the database (:func:`lingtan.services.ledger_facts.facts_from_store`: the
carbon-asset ledger and the year's inventory). Refused input exits with status 2, every problem
on stderr and nothing on stdout.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lingtan.cli.common import (
    CLI_TERMS,
    Column,
    actor,
    emit,
    format_option,
    language,
    message,
    name_of,
    open_store,
    refusing_bad_input,
    say,
)
from lingtan.errors import InputError, InputProblem, one_of
from lingtan.evaluation.engine import evaluate, number_text
from lingtan.evaluation.facts import FactValue, read_facts_file
from lingtan.evaluation.matching import HourlyMatch, hourly_match, read_series_file
from lingtan.evaluation.rules import RuleSet, read_rule_file, shipped_rule_set, shipped_rule_sets
from lingtan.i18n import NP_, Message

if TYPE_CHECKING:
    from lingtan.services.meter_matching import MeterMatching

__all__ = ["evaluate_group"]

#: The names of the matching's quantities in a Chinese table (the command line's own family;
#: the statuses are :data:`lingtan.i18n.terms.TERMS`' ``evaluation.status``).
CLI_TERMS.setdefault(
    "evaluation.quantity",
    {
        "consumption_kwh": NP_("evaluation.quantity", "consumption"),
        "supply_kwh": NP_("evaluation.quantity", "carbon-free supply"),
        "matched_kwh": NP_("evaluation.quantity", "matched hour by hour"),
        "unmatched_kwh": NP_("evaluation.quantity", "not matched"),
        "hourly_matched_cfe_share_pct": NP_("evaluation.quantity", "hourly-matched share"),
        "volumetric_share_pct": NP_("evaluation.quantity", "annual volumetric share"),
        "unmatched_hours": NP_("evaluation.quantity", "unmatched hours"),
        "hours": NP_("evaluation.quantity", "hours"),
        "step_minutes": NP_("evaluation.quantity", "step"),
    },
)

#: The fact ``--consumption`` and ``--supply`` give.
MATCHED = "hourly_matched_cfe_share_pct"

_CRITERION_COLUMNS = (
    Column("id"),
    Column("title", "criterion"),
    Column("status", names="evaluation.status"),
    Column("value"),
    Column("threshold"),
    Column("unit", names="evaluation.unit"),
    Column("gap"),
    Column("reason"),
    Column("rule_status", "rule status", names="factor.status"),
    Column("source", "source document"),
    Column("evidence"),
)
_SCHEME_COLUMNS = (
    Column("scheme"),
    Column("title", "scheme title"),
    Column("document"),
    Column("criteria", digits=0),
    Column("official", digits=0),
    Column("unverified", digits=0),
    Column("unknown_thresholds", "unknown", 0),
    Column("origin", names="factor.origin"),
)
_TOTAL_COLUMNS = (
    Column("quantity", names="evaluation.quantity"),
    Column("source", "supply"),
    Column("value", digits=3),
    Column("unit"),
)
_HEAT_MAP_COLUMNS = (Column("day"), *(Column(f"h{h:02d}", f"{h:02d}", 0) for h in range(24)))


class _FactsByDefault(click.Group):
    """``lingtan evaluate FACTS …`` is ``lingtan evaluate facts FACTS …``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["facts", *args]
        return super().parse_args(ctx, args)


@click.group("evaluate", cls=_FactsByDefault)
def evaluate_group() -> None:
    """Zero-carbon-factory evaluation: judge a facts file against a scheme (pass, fail or
    unable to judge, with the gap in numbers), list the shipped schemes, match consumption
    with carbon-free supply hour by hour.

    lingtan evaluate FACTS.yaml --scheme NAME is short for lingtan evaluate facts FACTS.yaml
    --scheme NAME.
    """


def _title(rules: RuleSet, lang: str) -> str:
    return rules.title_zh if lang == "zh-CN" else rules.title_en


def _shown(value: Any, lang: str) -> Any:
    """A value or threshold for the table: a number as people write it, codes joined (by their
    names in Chinese: ``evaluation.code``, ``evaluation.flag``)."""
    if lang != "en" and value is not None:
        from lingtan.i18n.catalog import texts  # Babel: only for Chinese

        return texts(lang).fact_value(value, number_text)
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, list | tuple):
        return ", ".join(value)
    return number_text(value)


def _criterion_rows(criteria: list[dict[str, Any]], output: str, lang: str) -> list[dict[str, Any]]:
    """The rows of the criteria of an evaluation's JSON (:meth:`Evaluation.as_dict`, live or
    stored)."""
    rows = []
    table = output == "table"
    for judged in criteria:
        known = judged["rule"] != "unknown"
        value, threshold = judged["value"], judged["threshold"]
        if table:
            value = _shown(value, lang)
            threshold = _shown(threshold, lang) if known else message(Message("unknown"), lang)
        else:
            value = ";".join(value) if isinstance(value, list) else value
            threshold = ";".join(threshold) if isinstance(threshold, list) else threshold
            threshold = threshold if known else "unknown"
        gap = Message.stored(judged["gap_text"], judged.get("gap_message"))
        source = judged["source"]
        zh = lang == "zh-CN"
        document = (source.get("document_zh") if zh else None) or source["document"]
        clause = (source.get("clause_zh") if zh else None) or source["clause"]
        evidence = Message.stored(judged["evidence"], judged.get("evidence_message"))
        rows.append(
            {
                "id": judged["id"],
                "title": judged["title_zh"] if lang == "zh-CN" else judged["title_en"],
                "status": judged["status"],
                "value": value,
                "threshold": threshold,
                "unit": judged["unit"] or None,
                "gap": None if gap is None else message(gap, lang),
                "reason": message(Message.stored(judged["reason"], judged["reason_message"]), lang),
                "rule_status": judged["rule_status"],
                "source": f"{document} {clause}",
                "evidence": None if evidence is None else message(evidence, lang),
            }
        )
    return rows


def _result_title(document: dict[str, Any], lang: str) -> str:
    """``scheme: result (n pass, n fail, n unable to judge)`` of an evaluation's JSON."""
    return message(
        Message(
            "%(scheme)s: %(result)s (%(passed)s pass, %(failed)s fail, %(unable)s unable to judge)",
            scheme=document["title_zh"] if lang == "zh-CN" else document["title_en"],
            result=name_of("evaluation.status", document["result"], lang),
            passed=document["passed"],
            failed=document["failed"],
            unable=document["unable_to_judge"],
        ),
        lang,
    )


def _rule_set(scheme: str | None, rules_file: str | None) -> RuleSet:
    if rules_file is not None:
        rules = read_rule_file(rules_file)
        if scheme is not None and scheme != rules.scheme:
            rule = Message(
                "the rule file %(file)s holds scheme %(scheme)s",
                file=Path(rules_file).name,
                scheme=rules.scheme,
            )
            raise InputError(InputProblem("--scheme", "scheme", scheme, rule))
        return rules
    if scheme is None:
        known = [rules.scheme for rules in shipped_rule_sets()]
        raise InputError(InputProblem("--scheme", "scheme", None, one_of(known)))
    return shipped_rule_set(scheme)


@evaluate_group.command("facts")
@click.argument("facts_file", metavar="[FACTS]", required=False, type=click.Path(dir_okay=False))
@click.option("--scheme", help="The scheme to judge against (lingtan evaluate schemes).")
@click.option(
    "--facility",
    help="With --period: compute the facts of this facility from the database (the ledger "
    "and the year's inventory); a FACTS file then adds the declarations.",
)
@click.option("--period", type=int, help="The calendar year of --facility's facts.")
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(dir_okay=False),
    help="A rule set of your own (YAML, the fields of the shipped ones; origin custom) "
    "instead of a shipped scheme.",
)
@click.option(
    "--consumption",
    "consumption_file",
    type=click.Path(dir_okay=False),
    help="With --supply: the fact hourly_matched_cfe_share_pct from these series files, as "
    "lingtan evaluate match computes it.",
)
@click.option(
    "--supply",
    "supply_file",
    type=click.Path(dir_okay=False),
    help="The carbon-free supply series of --consumption.",
)
@click.option(
    "--store",
    is_flag=True,
    help="With --facility and --period: store the evaluation as an immutable snapshot tied to "
    "the year's locked inventory and print its id (refused without a locked inventory).",
)
@format_option
@click.pass_context
@refusing_bad_input
def evaluate_facts(
    ctx: click.Context,
    facts_file: str | None,
    scheme: str | None,
    facility: str | None,
    period: int | None,
    rules_file: str | None,
    consumption_file: str | None,
    supply_file: str | None,
    store: bool,
    output: str,
):
    """Judge the facts of FACTS (YAML), or of --facility's --period from the database, against
    a scheme's criteria: pass, fail or unable to judge, the figure used, the threshold, the
    reason and, for a failure, the gap in numbers."""
    rules = _rule_set(scheme, rules_file)
    if (facility is None) != (period is None):
        option = "--period" if period is None else "--facility"
        rule = Message("--facility and --period go together")
        raise InputError(InputProblem(option, option.strip("-"), None, rule))
    if facts_file is None and facility is None:
        rule = Message("give a facts file, or --facility and --period")
        raise InputError(InputProblem("FACTS", "file", None, rule))
    if store and facility is None:
        rule = Message("--store needs --facility and --period")
        raise InputError(InputProblem("--store", "facility", None, rule))
    origin = Path(facts_file).name if facts_file else "FACTS"
    given = read_facts_file(facts_file) if facts_file is not None else {}
    origins: dict[str, str] = {}
    if (consumption_file is None) != (supply_file is None):
        option = "--supply" if supply_file is None else "--consumption"
        rule = Message("--consumption and --supply go together")
        raise InputError(InputProblem(option, "file", None, rule))
    if consumption_file is not None and supply_file is not None:
        if MATCHED in given:
            rule = Message("is given by the facts file and by --consumption and --supply")
            where = origin if facts_file else MATCHED
            raise InputError(InputProblem(where, MATCHED, given[MATCHED].value, rule))
        matched = _match(consumption_file, supply_file)
        source = f"{Path(consumption_file).name}, {Path(supply_file).name}"
        given = {**given, MATCHED: FactValue(matched.hourly_share_pct, source)}
        origins[MATCHED] = source
    document: dict[str, Any]
    stored_id = None
    if facility is not None and period is not None:
        from lingtan.imports.load import facility_by_code
        from lingtan.services.evaluations import evaluate_facility, store_evaluation

        with open_store(ctx, read_only=not store) as (session, _):
            site = facility_by_code(session, facility)
            live = evaluate_facility(
                session, site, period, rules, given, origin=origin, origins=origins
            )
            if store:
                snapshot = store_evaluation(session, site, period, rules, live, actor=actor())
                stored_id, digest = snapshot.id, snapshot.result_sha256
        document = {
            **live.evaluation.as_dict(),
            "facts_file": Path(facts_file).name if facts_file else None,
            "facts_from_store": {
                "facility": facility,
                "period": str(period),
                "inventory_id": None if live.inventory is None else live.inventory.id,
                "lineage": live.lineage,
            },
        }
        if stored_id is not None:
            document["stored"] = {"id": stored_id, "result_sha256": digest}
    else:
        document = {**evaluate(rules, given).as_dict(), "facts_file": origin}
    lang = language()
    emit(
        _criterion_rows(document["criteria"], output, lang),
        _CRITERION_COLUMNS,
        output,
        title=_result_title(document, lang),
        document=document,
    )
    if stored_id is not None and output != "json":
        say(
            Message(
                "stored as evaluation %(id)s (SHA-256 %(sha256)s): lingtan evaluate show %(id)s",
                id=stored_id,
                sha256=digest,
            ),
            err=output == "csv",
        )


_STORED_COLUMNS = (
    Column("id", digits=0),
    Column("facility"),
    Column("period", digits=0),
    Column("scheme"),
    Column("result", names="evaluation.status"),
    Column("passed", digits=0),
    Column("failed", digits=0),
    Column("unable_to_judge", "unable to judge", 0),
    Column("inventory_id", "inventory", 0),
    Column("created_by", "stored by"),
    Column("created_at", "stored at"),
    Column("result_sha256", "SHA-256"),
)


@evaluate_group.command("list")
@click.option("--facility", help="Only the evaluations of this facility.")
@click.option("--period", type=int, help="Only the evaluations of this calendar year.")
@format_option
@click.pass_context
@refusing_bad_input
def evaluate_list(ctx: click.Context, facility: str | None, period: int | None, output: str):
    """The stored evaluations, newest first: facility, year, scheme, result, the locked
    inventory they used, who stored them and when, the SHA-256 of the result."""
    from lingtan.imports.load import facility_by_code
    from lingtan.services.evaluations import list_evaluations, snapshot_line

    with open_store(ctx, read_only=True) as (session, _):
        ids = None if facility is None else [facility_by_code(session, facility).id]
        rows = [snapshot_line(snapshot, site)
                for snapshot, site in list_evaluations(session, ids, year=period)]  # fmt: skip
    emit(rows, _STORED_COLUMNS, output)


@evaluate_group.command("show")
@click.argument("snapshot_id", metavar="ID", type=int)
@format_option
@click.pass_context
@refusing_bad_input
def evaluate_show(ctx: click.Context, snapshot_id: int, output: str):
    """A stored evaluation as it was stored: every criterion with its status, figure,
    threshold, gap and reason; in JSON also the facts used with their lineage, the rule set's
    SHA-256 and the inventory."""
    from lingtan.services.evaluations import get_evaluation, snapshot_document
    from lingtan.store.models import Facility

    with open_store(ctx, read_only=True) as (session, _):
        snapshot = get_evaluation(session, snapshot_id)
        site = session.get(Facility, snapshot.facility_id)
        assert site is not None
        document = snapshot_document(snapshot, site)
    lang = language()
    title = message(
        Message(
            "stored evaluation %(id)s of %(facility)s %(period)s (inventory %(inventory)s, "
            "stored by %(by)s at %(at)s)",
            id=snapshot_id,
            facility=document["facility"],
            period=document["period"],
            inventory=document["inventory_id"],
            by=document["created_by"],
            at=document["created_at"],
        ),
        lang,
    )
    emit(
        _criterion_rows(document["criteria"], output, lang),
        _CRITERION_COLUMNS,
        output,
        title=f"{title}\n{_result_title(document, lang)}",
        document=document,
    )


def _stored_match(ctx: click.Context, facility: str, year: int) -> MeterMatching:
    from lingtan.imports.load import facility_by_code
    from lingtan.services.meter_matching import matching_from_meters

    with open_store(ctx, read_only=True) as (session, _):
        return matching_from_meters(session, facility_by_code(session, facility), year)


@evaluate_group.command("schemes")
@format_option
def evaluate_schemes(output: str) -> None:
    """The shipped schemes: their document, criteria and how many are official, unverified or
    of an unknown threshold."""
    lang = language()
    rows, document = [], []
    for rules in shipped_rule_sets():
        statuses = [c.status for c in rules.criteria]
        row = {
            "scheme": rules.scheme,
            "title": _title(rules, lang),
            "document": rules.document,
            "criteria": len(rules.criteria),
            "official": statuses.count("official"),
            "unverified": statuses.count("unverified"),
            "unknown_thresholds": sum(1 for c in rules.criteria if not c.known),
            "origin": rules.origin,
        }
        rows.append(row)
        criteria = [
            {
                "id": c.id,
                "title_en": c.title_en,
                "title_zh": c.title_zh,
                "fact": c.fact,
                "rule": c.threshold_text(),
                "source": c.source(),
                "status": c.status,
                "note": c.note,
            }
            for c in rules.criteria
        ]
        document.append(
            {
                **row,
                "title_en": rules.title_en,
                "title_zh": rules.title_zh,
                "url": rules.url,
                "file": rules.file,
                "criteria": criteria,
            }
        )
    emit(rows, _SCHEME_COLUMNS, output, document=document)


def _match(consumption_file: str, supply_file: str) -> HourlyMatch:
    consumption = read_series_file(consumption_file)
    supply = read_series_file(supply_file)
    if len(supply.timestamps) != len(consumption.timestamps):
        rule = Message(
            "must have the steps of %(file)s (%(n)s)",
            file=consumption.file,
            n=len(consumption.timestamps),
        )
        raise InputError(InputProblem(supply.file, "rows", len(supply.timestamps), rule))
    for row, (mine, theirs) in enumerate(
        zip(supply.timestamps, consumption.timestamps, strict=True), start=2
    ):
        if mine != theirs:
            where = Message("%(file)s row %(row)s", file=supply.file, row=row)
            rule = Message(
                "must be the timestamp of %(file)s: %(expected)s",
                file=consumption.file,
                expected=theirs.isoformat(),
            )
            raise InputError(InputProblem(where, "timestamp", mine.isoformat(), rule))
    total = sum(consumption.columns.values())
    return hourly_match(consumption.timestamps, total, supply.columns)


@evaluate_group.command("match")
@click.argument(
    "consumption_file", metavar="[CONSUMPTION", required=False, type=click.Path(dir_okay=False)
)
@click.argument("supply_file", metavar="SUPPLY]", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--facility",
    help="With --year, instead of the files: match this facility's electricity meters from "
    "the database (bought + generated - exported against generated - exported).",
)
@click.option("--year", type=int, help="The calendar year of --facility's meters.")
@click.option(
    "--heat-map",
    is_flag=True,
    help="Print the day × hour matrix of the hourly-matched share [%] instead of the totals.",
)
@format_option
@click.pass_context
@refusing_bad_input
def evaluate_match(
    ctx: click.Context,
    consumption_file: str | None,
    supply_file: str | None,
    facility: str | None,
    year: int | None,
    heat_map: bool,
    output: str,
):
    """Match the consumption of CONSUMPTION with the carbon-free supplies of SUPPLY hour by
    hour (CSV files: timestamp, then kWh per step), or --facility's meters of --year: the
    hourly-matched and the annual volumetric shares, the unmatched hours, the day × hour heat
    map."""
    if (facility is None) != (year is None):
        option = "--year" if year is None else "--facility"
        rule = Message("--facility and --year go together")
        raise InputError(InputProblem(option, option.strip("-"), None, rule))
    if facility is not None and year is not None:
        if consumption_file is not None:
            rule = Message("give the series files or --facility and --year, not both")
            raise InputError(InputProblem("CONSUMPTION", "file", consumption_file, rule))
        stored = _stored_match(ctx, facility, year)
        result, document = stored.match, stored.as_dict()
    elif consumption_file is None or supply_file is None:
        rule = Message("give CONSUMPTION and SUPPLY, or --facility and --year")
        raise InputError(InputProblem("SUPPLY", "file", None, rule))
    else:
        result = _match(consumption_file, supply_file)
        document = result.as_dict()
    if heat_map:
        rows = []
        for day, shares in zip(result.days, result.heat_map_share_pct, strict=True):
            row: dict[str, Any] = {"day": day.isoformat()}
            for hour, share in enumerate(shares):
                row[f"h{hour:02d}"] = None if math.isnan(share) else float(share)
            rows.append(row)
        emit(rows, _HEAT_MAP_COLUMNS, output, document=document)
        return
    rows = [
        {"quantity": "consumption_kwh", "value": result.consumption_kwh, "unit": "kWh"},
        {"quantity": "supply_kwh", "value": result.supply_kwh, "unit": "kWh"},
        *(
            {"quantity": "supply_kwh", "source": name, "value": kwh, "unit": "kWh"}
            for name, kwh in result.supply_by_source_kwh.items()
        ),
        {"quantity": "matched_kwh", "value": result.matched_kwh, "unit": "kWh"},
        {"quantity": "unmatched_kwh", "value": result.unmatched_kwh, "unit": "kWh"},
        {
            "quantity": "hourly_matched_cfe_share_pct",
            "value": result.hourly_share_pct,
            "unit": "%",
        },
        {"quantity": "volumetric_share_pct", "value": result.volumetric_share_pct, "unit": "%"},
        {"quantity": "unmatched_hours", "value": result.unmatched_hours, "unit": "h"},
        {"quantity": "hours", "value": result.hours, "unit": "h"},
        {"quantity": "step_minutes", "value": result.step_minutes, "unit": "min"},
    ]
    emit(rows, _TOTAL_COLUMNS, output, document=document)


_DECLARATION_COLUMNS = (
    Column("id", digits=0),
    Column("period", digits=0),
    Column("fact", names="evaluation.fact"),
    Column("value"),
    Column("unit", names="evaluation.unit"),
    Column("statement"),
    Column("declared_by", "declared by"),
    Column("evidence_filename", "evidence"),
    Column("evidence_sha256", "SHA-256"),
    Column("created_by", "entered by"),
    Column("created_at", "entered at"),
    Column("standing"),
)


def _declaration_rows(lines: list[dict[str, Any]], output: str) -> list[dict[str, Any]]:
    """The rows of declarations: in a table the value as people read it (codes and flags by
    their names in Chinese), in JSON and CSV as kept (codes joined by ";" in CSV)."""
    lang = language()
    if output == "table":
        return [{**line, "value": _shown(line["value"], lang)} for line in lines]
    if output == "csv":
        joined = [";".join(v) if isinstance(v := line["value"], list) else v for line in lines]
        return [{**line, "value": value} for line, value in zip(lines, joined, strict=True)]
    return lines


@evaluate_group.command("declare")
@click.option("--facility", required=True, help="The facility declaring.")
@click.option("--year", type=int, required=True, help="The calendar year declared for.")
@click.option(
    "--fact",
    required=True,
    help="The declaration fact: green_factory_status, management_plan, "
    "energy_carbon_management_system, compliance_record_years, footprint_quantified, "
    "credits_meet_criteria or claim_evidence.",
)
@click.option(
    "--value",
    required=True,
    help="true or false, a number in the fact's unit, or the code(s), comma-separated.",
)
@click.option("--statement", required=True, help="What is declared and on what it rests.")
@click.option("--declared-by", "declared_by", required=True, help="Who declares it.")
@click.option(
    "--evidence",
    "evidence_file",
    type=click.Path(dir_okay=False, exists=True),
    help="The evidence file (stored by its SHA-256).",
)
@click.option(
    "--evidence-sha256",
    "evidence_sha256",
    help="Instead of --evidence: an evidence file already stored, by its SHA-256.",
)
@format_option
@click.pass_context
@refusing_bad_input
def evaluate_declare(
    ctx: click.Context,
    facility: str,
    year: int,
    fact: str,
    value: str,
    statement: str,
    declared_by: str,
    evidence_file: str | None,
    evidence_sha256: str | None,
    output: str,
):
    """Keep a declaration of a facility's year (green-factory status, a management
    organisation and plan, a compliance record …) with its evidence, as on the evaluation page:
    the next evaluation of the year uses it. A value the fact does not take is refused."""
    from lingtan.imports.load import facility_by_code
    from lingtan.services.declarations import declaration_line, declare

    if (evidence_file is None) == (evidence_sha256 is None):
        rule = Message("give --evidence or --evidence-sha256 (one of them)")
        raise InputError(InputProblem("--evidence", "evidence", None, rule))
    with open_store(ctx) as (session, store):
        site = facility_by_code(session, facility)
        evidence: Any = evidence_sha256
        if evidence_file is not None:
            path = Path(evidence_file)
            evidence = store.put(session, path, path.name, organization_id=site.organization_id)
        row = declare(
            session, site, year, fact, value, statement=statement, declared_by=declared_by,
            evidence=evidence, actor=actor(),
        )  # fmt: skip
        line = declaration_line(row, True)
    emit(_declaration_rows([line], output), _DECLARATION_COLUMNS, output, document=line)


@evaluate_group.command("declarations")
@click.option("--facility", required=True, help="The facility.")
@click.option("--year", type=int, help="Only the declarations of this calendar year.")
@format_option
@click.pass_context
@refusing_bad_input
def evaluate_declarations(ctx: click.Context, facility: str, year: int | None, output: str):
    """The declarations of a facility, newest first: the fact, value, statement, who declared
    it, the evidence file and whether it stands (the newest of its fact and year)."""
    from lingtan.imports.load import facility_by_code
    from lingtan.services.declarations import declaration_line, declarations

    with open_store(ctx, read_only=True) as (session, _):
        site = facility_by_code(session, facility)
        seen: set[tuple[int, str]] = set()
        rows = []
        for row in declarations(session, site, year):
            rows.append(declaration_line(row, (row.period, row.fact) not in seen))
            seen.add((row.period, row.fact))
    emit(_declaration_rows(rows, output), _DECLARATION_COLUMNS, output, document=rows)
