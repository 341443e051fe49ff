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
    emit,
    format_option,
    language,
    message,
    name_of,
    open_store,
    refusing_bad_input,
)
from lingtan.errors import InputError, InputProblem, one_of
from lingtan.evaluation.engine import Evaluation, Status, evaluate, number_text
from lingtan.evaluation.facts import FactValue, read_facts_file
from lingtan.evaluation.matching import HourlyMatch, hourly_match, read_series_file
from lingtan.evaluation.rules import RuleSet, read_rule_file, shipped_rule_set, shipped_rule_sets
from lingtan.i18n import NP_, Message

if TYPE_CHECKING:
    from lingtan.services.ledger_facts import StoreFacts
    from lingtan.services.meter_matching import MeterMatching

__all__ = ["evaluate_group"]

#: The names of the evaluation's codes in a Chinese table (the command line's own families).
CLI_TERMS.setdefault(
    "evaluation.status",
    {
        "pass": NP_("evaluation.status", "pass"),
        "fail": NP_("evaluation.status", "fail"),
        "unable_to_judge": NP_("evaluation.status", "unable to judge"),
    },
)
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
    Column("unit"),
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


def _shown(value: Any, unit: str) -> Any:
    """A value or threshold for the table: a number with its unit, codes joined."""
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, tuple):
        return ", ".join(value)
    return number_text(value)


def _criterion_rows(evaluation: Evaluation, output: str, lang: str) -> list[dict[str, Any]]:
    rows = []
    for judged in evaluation.criteria:
        c = judged.criterion
        table = output == "table"
        value, threshold = judged.value, judged.threshold
        if table:
            value = _shown(value, judged.unit)
            threshold = (
                _shown(threshold, judged.unit) if c.known else message(Message("unknown"), lang)
            )
        else:
            value = ";".join(value) if isinstance(value, tuple) else value
            threshold = ";".join(threshold) if isinstance(threshold, tuple) else threshold
        rows.append(
            {
                "id": c.id,
                "title": c.title_zh if lang == "zh-CN" else c.title_en,
                "status": str(judged.status),
                "value": value,
                "threshold": threshold if c.known or table else "unknown",
                "unit": judged.unit or None,
                "gap": None if judged.gap_text is None else message(judged.gap_text, lang),
                "reason": message(judged.reason, lang),
                "rule_status": c.status,
                "source": f"{c.document} {c.clause}",
                "evidence": judged.evidence,
            }
        )
    return rows


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
    facts = read_facts_file(facts_file) if facts_file is not None else {}
    stored = None
    if facility is not None and period is not None:
        stored = _stored_facts(ctx, facility, period)
        both = sorted(set(facts) & set(stored.facts))
        if both:
            rule = Message("is given by the facts file and computed from the database")
            where = Path(facts_file).name if facts_file else "FACTS"
            raise InputError(InputProblem(where, both[0], facts[both[0]].value, rule))
        facts = {**stored.facts, **facts}
    if (consumption_file is None) != (supply_file is None):
        option = "--supply" if supply_file is None else "--consumption"
        rule = Message("--consumption and --supply go together")
        raise InputError(InputProblem(option, "file", None, rule))
    if consumption_file is not None and supply_file is not None:
        if MATCHED in facts:
            rule = Message("is given by the facts file and by --consumption and --supply")
            value = facts[MATCHED].value
            where = Path(facts_file).name if facts_file else MATCHED
            raise InputError(InputProblem(where, MATCHED, value, rule))
        matched = _match(consumption_file, supply_file)
        source = f"{Path(consumption_file).name}, {Path(supply_file).name}"
        facts = {**facts, MATCHED: FactValue(matched.hourly_share_pct, source)}
    evaluation = evaluate(rules, facts)
    lang = language()
    title = message(
        Message(
            "%(scheme)s: %(result)s (%(passed)s pass, %(failed)s fail, %(unable)s unable to judge)",
            scheme=_title(rules, lang),
            result=name_of("evaluation.status", str(evaluation.result), lang),
            passed=evaluation.count(Status.PASS),
            failed=evaluation.count(Status.FAIL),
            unable=evaluation.count(Status.UNABLE_TO_JUDGE),
        ),
        lang,
    )
    document = {
        **evaluation.as_dict(),
        "facts_file": Path(facts_file).name if facts_file else None,
    }
    if stored is not None:
        document["facts_from_store"] = {
            "facility": facility,
            "period": str(period),
            "inventory_id": stored.inventory_id,
            "lineage": stored.lineage,
        }
    emit(
        _criterion_rows(evaluation, output, lang),
        _CRITERION_COLUMNS,
        output,
        title=title,
        document=document,
    )


def _stored_facts(ctx: click.Context, facility: str, year: int) -> StoreFacts:
    from lingtan.imports.load import facility_by_code
    from lingtan.services.ledger_facts import facts_from_store

    with open_store(ctx, read_only=True) as (session, _):
        return facts_from_store(session, facility_by_code(session, facility), year)


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
