"""The publication tables (`aggregates.*`), disclosure-controlled together before they are kept."""

import dagster as dg

from dagster_project import warehouse
from dagster_project.defs.cohorts.assets import cohort_key
from dagster_project.defs.reference.assets import GEOGRAPHY
from dagster_project.publication.aggregates import MIN_PUBLISHED_COUNT, PUBLICATIONS, line_violations, publish_all
from dagster_project.publication.audit import AuditResult, summary_table
from dagster_project.resources import WarehouseResource

AGGREGATES = dg.AssetKey(["publication", "aggregates"])

PROTECTION_INTERVAL = (
    "lower end: the smallest value the published numbers allow a reader who knows how each table "
    "lists its labels; it must be the count's structural minimum, the smallest the tables' shape "
    "allows before any number is read (0 for a cell; 1 for the row or margin of a label a table "
    "lists only when it occurs), and 0 for a reader who does not know how labels are listed; "
    "upper end: the largest value the published numbers allow a reader who also takes every "
    f"hidden non-zero count to be at least 1 (zeros are published); it must be at least {MIN_PUBLISHED_COUNT}"
)


@dg.asset(
    key=AGGREGATES,
    deps=[
        *(cohort_key(n) for n in ("victims", "persons", "events", "unreported_assaults", "exploitation_risk")),
        GEOGRAPHY,
    ],
    group_name="publication",
    kinds={"duckdb", "polars"},
    description=(
        f"Count tables for publication (`aggregates.*`): victims by council, age band, sex, "
        f"neighbourhood, deprivation decile and ethnic group; victimisations by month, weekday and "
        f"hour; unreported assaults and exploitation risk by council. Counts below {MIN_PUBLISHED_COUNT} are "
        "hidden, with more cells hidden until a reader holding every published number of every "
        "table, the public lookups and how each table lists its labels cannot tell any of them "
        "from an empty cell beyond what the table's shape says, nor, even taking every hidden count "
        f"to be non-zero, from a count of {MIN_PUBLISHED_COUNT} or more: audited by linear programming over all "
        "tables together. Only whether a count is hidden is published, never why. Missing values are "
        "counted as 'Not known'. Rates per 1,000 residents where residents are known."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "disclosure_control",
            asset=AGGREGATES,
            description=f"No published cell below {MIN_PUBLISHED_COUNT}; no line with a single suppressed cell.",
        ),
        dg.AssetCheckSpec(
            "disclosure_audit",
            asset=AGGREGATES,
            blocking=True,
            description=(
                "Linear-programming audit of every publication together: every hidden count from 1 to "
                f"{MIN_PUBLISHED_COUNT - 1} has a protection interval from its structural minimum to at least "
                f"{MIN_PUBLISHED_COUNT} ({PROTECTION_INTERVAL}), and no published count is from 1 to {MIN_PUBLISHED_COUNT - 1}. "
                "Blocking: tables that fail it are not written (the previous ones stay) and nothing "
                "downstream publishes."
            ),
        ),
    ],
)
def aggregates(context: dg.AssetExecutionContext, warehouse_db: WarehouseResource) -> dg.MaterializeResult:
    """Count, protect each table and all of them together, audit, write them in one transaction
    (only if the audit passes: otherwise the previous tables stay)."""
    with warehouse_db.connect() as con:
        warehouse.define_macros(con)
        release = publish_all(con)
        if release.audit.passed:
            with warehouse.transaction(con):
                for publication, table in release.tables.items():
                    warehouse.replace_table(con, f"aggregates.{publication.name}", table)
    tables = release.tables
    problems = {p.name: line_violations(t, p.dims) for p, t in tables.items()}
    failed = {name: found for name, found in problems.items() if found}
    result = release.audit
    figures = result.summary()
    summary = "\n".join(
        f"| {p.name} | {p.unit} | {t.height} | {int(t.get_column('suppressed').sum())} | "
        f"{release.hidden_across_tables[p.name]} | {release.revealed[p.name]} | {release.not_known[p.name]} |"
        for p, t in tables.items()
    )
    if not result.passed:
        context.log.error("Disclosure audit failed; aggregates.* were not replaced: %s", _audit_failure(result))
    return dg.MaterializeResult(
        metadata={
            "tables": dg.MetadataValue.md(
                "| table | counts | cells | suppressed | hidden for other tables | published again (fixed by "
                "other tables) | counted as not known |\n| --- | --- | --- | --- | --- | --- | --- |\n" + summary
            ),
            "suppressed_cells": dg.MetadataValue.int(
                sum(int(t.get_column("suppressed").sum()) for t in tables.values())
            ),
            "written": dg.MetadataValue.bool(result.passed),
            "rows_not_known": dg.MetadataValue.int(sum(release.not_known.values())),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="disclosure_control",
                asset_key=AGGREGATES,
                passed=not failed,
                description="; ".join(f"{n}: {v[0]}" for n, v in failed.items()) or "every table protected",
            ),
            dg.AssetCheckResult(
                check_name="disclosure_audit",
                asset_key=AGGREGATES,
                passed=result.passed,
                description=(
                    f"{figures['primary_cells']} small counts among {figures['hidden_cells']} hidden cells in "
                    f"{len(PUBLICATIONS)} tables audited together; every small count's protection interval "
                    f"runs from its structural minimum (0, or 1 for a listed label) to at least {MIN_PUBLISHED_COUNT}"
                    if result.passed
                    else _audit_failure(result)
                ),
                metadata={
                    "protection_interval": dg.MetadataValue.text(PROTECTION_INTERVAL),
                    "hidden_cells": figures["hidden_cells"],
                    "primary_cells": figures["primary_cells"],
                    "primary_cells_known_to_be_non_empty": figures["primary_cells_known_to_be_non_empty"],
                    "unprotected_primary_cells": figures["unprotected_primary_cells"],
                    "published_cells_below_threshold": figures["published_cells_below_threshold"],
                    "exactly_recoverable_cells": figures["exactly_recoverable_cells"],
                    "narrowest_primary_interval_width": _number(figures["narrowest_primary_width"]),
                    "narrowest_primary_interval_table": figures["narrowest_primary_table"] or "-",
                    "lowest_primary_upper_end": _number(figures["lowest_primary_upper_end"]),
                    "narrowest_other_interval_width": _number(figures["narrowest_other_width"]),
                    "narrowest_other_interval_table": figures["narrowest_other_table"] or "-",
                    "audit_cpu_seconds": figures["cpu_seconds"],
                    "by_table": dg.MetadataValue.md(summary_table(result)),
                },
            ),
        ],
    )


def _number(value: float | None) -> dg.MetadataValue:
    if value is None:
        return dg.MetadataValue.text("-")
    if value == float("inf"):
        return dg.MetadataValue.text("unbounded")
    return dg.MetadataValue.float(float(value))


def _audit_failure(result: AuditResult) -> str:
    """Why the audit failed, naming tables, never a count."""
    parts = []
    if result.unprotected:
        tables = sorted({i.table for i in result.unprotected})
        parts.append(
            f"{len(result.unprotected)} small count(s) whose protection interval does not run from "
            f"its structural minimum to {result.threshold} in {', '.join(tables)}"
        )
    if result.published_small:
        tables = sorted({name for name, _ in result.published_small})
        parts.append(
            f"{len(result.published_small)} published count(s) below {result.threshold} in {', '.join(tables)}"
        )
    if result.dropped_relations:
        parts.append(
            "relations broken by the true counts (labels and lookups disagree): " + "; ".join(result.dropped_relations)
        )
    return "; ".join(parts)
