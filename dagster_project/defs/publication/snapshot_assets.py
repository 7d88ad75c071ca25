"""The analyst snapshot, published after the cohort tables pass their suites."""

import datetime as dt

import dagster as dg
import polars as pl

from dagster_project import warehouse
from dagster_project.defs.cohorts.assets import cohort_assets
from dagster_project.defs.publication.aggregate_assets import AGGREGATES
from dagster_project.defs.reference.assets import GEOGRAPHY
from dagster_project.publication import snapshot
from dagster_project.quality import SuiteResult
from dagster_project.quality.cohorts import validate_cohorts
from dagster_project.resources import AnalystSnapshotResource, WarehouseResource

SNAPSHOT = dg.AssetKey(["publication", "analyst_snapshot"])


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
