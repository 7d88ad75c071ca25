"""Aggregates for publication (disclosure-controlled) and the analyst snapshot."""

import datetime as dt

import dagster as dg
import polars as pl

from dagster_project import warehouse
from dagster_project.defs.cohorts.assets import cohort_assets, cohort_key
from dagster_project.defs.reference.assets import GEOGRAPHY
from dagster_project.publication import snapshot
from dagster_project.publication.aggregates import PUBLICATIONS, THRESHOLD, build, line_violations
from dagster_project.quality import SuiteResult
from dagster_project.quality.cohorts import validate_cohorts
from dagster_project.resources import AnalystSnapshotResource, WarehouseResource

AGGREGATES = dg.AssetKey(["publication", "aggregates"])
SNAPSHOT = dg.AssetKey(["publication", "analyst_snapshot"])


@dg.asset(
    key=AGGREGATES,
    deps=[*(cohort_key(n) for n in ("victims", "persons", "events", "unreported_assaults", "exploitation_risk")), GEOGRAPHY],
    group_name="publication",
    kinds={"duckdb", "polars"},
    description=(
        f"Count tables for publication (`aggregates.*`): victims by council, age band, sex, "
        f"neighbourhood, deprivation decile and ethnic group; victimisations by month, weekday and "
        f"hour; unreported assaults and exploitation risk by council. Cells below {THRESHOLD} are "
        "suppressed, with complementary cells so none can be recovered from the totals; rates per "
        "1,000 residents where residents are known."
    ),
    check_specs=[
        dg.AssetCheckSpec("disclosure_control", asset=AGGREGATES,
                          description=f"No published cell below {THRESHOLD}; no line with a single suppressed cell."),
    ],
)
def aggregates(context: dg.AssetExecutionContext, warehouse_db: WarehouseResource) -> dg.MaterializeResult:
    """Build and protect every publication table; write them in one transaction."""
    with warehouse_db.connect() as con:
        warehouse.define_macros(con)
        tables = {p: build(con, p) for p in PUBLICATIONS}
        with warehouse.transaction(con):
            for publication, table in tables.items():
                warehouse.replace_table(con, f"aggregates.{publication.name}", table)
    problems = {p.name: line_violations(t, p.dims) for p, t in tables.items()}
    failed = {name: found for name, found in problems.items() if found}
    summary = "\n".join(
        f"| {p.name} | {p.unit} | {t.height} | {int(t.get_column('suppressed').sum())} |" for p, t in tables.items()
    )
    return dg.MaterializeResult(
        metadata={
            "tables": dg.MetadataValue.md("| table | counts | cells | suppressed |\n| --- | --- | --- | --- |\n" + summary),
            "suppressed_cells": dg.MetadataValue.int(sum(int(t.get_column("suppressed").sum()) for t in tables.values())),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="disclosure_control",
                asset_key=AGGREGATES,
                passed=not failed,
                description="; ".join(f"{n}: {v[0]}" for n, v in failed.items()) or "every table protected",
            )
        ],
    )


def _record_validations(con, results: list[SuiteResult], run_id: str) -> None:
    """Append the cohort suites' outcomes to quality.validation_results (feed 'cohorts')."""
    rows = [{**record, "feed": "cohorts", "run_id": run_id} for r in results for record in r.to_records()]
    if not rows:
        return
    validated_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    frame = pl.DataFrame(rows, infer_schema_length=None).with_columns(validated_at=pl.lit(validated_at))
    with warehouse.transaction(con):
        warehouse.append(con, "quality.validation_results", frame)


def _verdicts(results: list[SuiteResult]) -> str:
    """A markdown table: one row per suite run, failing ones first."""
    rows = sorted(results, key=lambda r: (r.success, r.warning_failures == 0, r.label))
    return "| suite | frame | rows | blocking | warnings |\n| --- | --- | --- | --- | --- |\n" + "\n".join(
        f"| {r.suite_name} | {r.label} | {r.evaluated_rows:,} | {r.blocking_failures} | {r.warning_failures} |"
        for r in rows
    )


@dg.asset(
    key=SNAPSHOT,
    deps=[AGGREGATES, *(a.key for a in cohort_assets), GEOGRAPHY],
    group_name="publication",
    kinds={"duckdb"},
    description=(
        "warehouse/analyst.duckdb (VERU_ANALYST_SNAPSHOT): the cohort tables, protected aggregates "
        "and reference geography, with no token and no record key, published atomically after "
        "every run. Analysts open it read-only; a run never blocks them. Published only when "
        "every cohort table passes its Great Expectations suite and reconciles with the events."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "cohort_expectations", asset=SNAPSHOT,
            description="Every cohort table passes its suite (expectations/cohorts_*.json) and every "
                        "cross-table reconciliation holds; a blocking failure stops the publication.",
        ),
    ],
)
def analyst_snapshot(
    context: dg.AssetExecutionContext, warehouse_db: WarehouseResource, analyst: AnalystSnapshotResource
) -> dg.MaterializeResult:
    """Validate the cohorts, then publish the snapshot analysts read (the old one stays on failure)."""
    with warehouse_db.connect() as con:
        results = validate_cohorts(con, label="cohorts")
        _record_validations(con, results, context.run_id)
        about = snapshot.about(context.run_id, con)
    failed = [r for r in results if not r.success]
    warned = [r for r in results if r.success and r.warning_failures]
    for r in failed + warned:
        context.log.warning("%s: %s", r.label, r.summary())
    if failed:
        raise dg.Failure(
            description=(
                f"{len(failed)} cohort suite run(s) failed a blocking expectation; the analyst snapshot "
                f"was not replaced. " + " | ".join(f"{r.label}: {r.summary()}" for r in failed)
            ),
            metadata={"suites": dg.MetadataValue.md(_verdicts(results))},
        )
    counts = snapshot.publish(warehouse_db.path, analyst.root, about)
    check = dg.AssetCheckResult(
        check_name="cohort_expectations",
        asset_key=SNAPSHOT,
        passed=not warned,
        severity=dg.AssetCheckSeverity.WARN,
        description=" | ".join(f"{r.label}: {r.summary()}" for r in warned)
        or f"{len(results)} suite runs, every expectation passed",
        metadata={
            "suite_runs": len(results),
            "warning_failures": sum(r.warning_failures for r in results),
            "suites": dg.MetadataValue.md(_verdicts(results)),
        },
    )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(analyst.root.resolve())),
            "tables": dg.MetadataValue.md(
                "| table | rows |\n| --- | --- |\n" + "\n".join(f"| {t} | {n:,} |" for t, n in counts.items())
            ),
            "persons": dg.MetadataValue.int(about["persons"]),
        },
        check_results=[check],
    )
