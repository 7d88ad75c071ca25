"""The analyst snapshots (default and restricted tiers), published after the cohort tables pass their suites
and the default tier its k-anonymity check."""

import dagster as dg

from dagster_project import warehouse
from dagster_project.defs.cohorts.assets import cohort_assets
from dagster_project.defs.publication.aggregate_assets import AGGREGATES
from dagster_project.defs.reference.assets import GEOGRAPHY
from dagster_project.publication import anonymise, snapshot
from dagster_project.quality import SuiteResult
from dagster_project.quality.cohorts import validate_cohorts
from dagster_project.quality.results import record_validations
from dagster_project.resources import AnalystSnapshotResource, WarehouseResource

SNAPSHOT = dg.AssetKey(["publication", "analyst_snapshot"])


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
        "The two analyst snapshots, published atomically after every run (mode 0640, group "
        "VERU_ANALYST_GROUP): the default tier warehouse/analyst.duckdb (VERU_ANALYST_SNAPSHOT), "
        "whose person-level cohort tables are coarsened until every person and event hides among "
        "at least k=5 (home council, sex, age band; feed, role and period for events) and every "
        "table but the events is derived from the published events alone, and the "
        "restricted tier warehouse/analyst_restricted.duckdb (VERU_RESTRICTED_SNAPSHOT) with full "
        "detail for named analysts. Both hold the protected aggregates and reference geography, no "
        "token and no record key. Published only when every cohort table passes its Great "
        "Expectations suite and the default tier's measured k-anonymity and derivation hold; otherwise the "
        "previous snapshots stay."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "cohort_expectations",
            asset=SNAPSHOT,
            description="Every cohort table passes its suite (expectations/cohorts_*.json) and every "
            "cross-table reconciliation holds; a blocking failure stops the publication.",
        ),
        dg.AssetCheckSpec(
            "k_anonymity",
            asset=SNAPSHOT,
            blocking=True,
            description="In the default tier, every person's (home council, sex, age band) group and every "
            "event's (home council, sex, age band, feed and role, period) group holds at least "
            "k persons, and every column of every cohort table follows from the published "
            "events alone (re-derived from them in an empty database), so no column narrows "
            "what the groups measure; checked on the file before it is published, a breach "
            "stops the publication of both tiers.",
        ),
    ],
)
def analyst_snapshot(
    context: dg.AssetExecutionContext, warehouse_db: WarehouseResource, analyst: AnalystSnapshotResource
):
    """Validate the cohorts, then publish both analyst tiers (the old ones stay on any failure)."""
    with warehouse_db.connect() as con:
        results = validate_cohorts(con, label="cohorts")
        with warehouse.transaction(con):
            record_validations(con, results, feed="cohorts", run_id=context.run.run_id)
        about = snapshot.about(context.run.run_id, con)
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
    try:
        published = snapshot.publish(
            warehouse_db.path, analyst.root, analyst.restricted_root, about, group=analyst.group
        )
    except snapshot.KAnonymityError as error:
        metadata = _k_metadata(error.figures, error.recoding, error.k, error.underivable)
        yield dg.AssetCheckResult(
            check_name="k_anonymity",
            asset_key=SNAPSHOT,
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            description=str(error),
            metadata=metadata,
        )
        raise dg.Failure(description=f"{error} Neither analyst snapshot was replaced.", metadata=metadata) from None
    except snapshot.SnapshotError as error:
        raise dg.Failure(description=str(error)) from None
    k_check = dg.AssetCheckResult(
        check_name="k_anonymity",
        asset_key=SNAPSHOT,
        passed=True,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"Every person and event of the default tier hides among at least k={published.recoding.k}, "
        "and every column follows from the published events",
        metadata=_k_metadata(published.figures, published.recoding, published.recoding.k, published.underivable),
    )
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
    yield dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(analyst.root.resolve())),
            "restricted_path": dg.MetadataValue.path(str(analyst.restricted_root.resolve())),
            "tables": dg.MetadataValue.md(_tables(published)),
            "persons": dg.MetadataValue.int(about["persons"]),
            **_k_metadata(published.figures, published.recoding, published.recoding.k, published.underivable),
        },
        check_results=[check, k_check],
    )


def _tables(published: snapshot.Publication) -> str:
    """Rows per table in each tier (markdown)."""
    names = sorted(set(published.default_counts) | set(published.restricted_counts))
    return "| table | default tier | restricted tier |\n| --- | --- | --- |\n" + "\n".join(
        f"| {t} | {published.default_counts.get(t, 0):,} | {published.restricted_counts.get(t, 0):,} |" for t in names
    )


def _k_metadata(
    figures: list[anonymise.Figure], recoding: anonymise.Recoding, k: int, underivable: list[anonymise.Underivable]
) -> dict:
    """The default tier's k-anonymity figures (measured against k), generalisation levels and the
    columns its published events do not give, as flat metadata."""
    return {
        **{f"k_{name}": value for name, value in anonymise.figures_metadata(figures).items()},
        **{f"recoding_{name}": value for name, value in recoding.as_metadata().items()},
        "k_figures": dg.MetadataValue.md(anonymise.figures_markdown(figures, k)),
        "k_underivable_columns": len(underivable),
        "k_underivable": dg.MetadataValue.md(
            "\n".join(f"- {u}" for u in underivable) or "Every column follows from the published events."
        ),
    }
