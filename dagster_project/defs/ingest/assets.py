"""Staging assets: each agency's deliveries → validated, pseudonymised `staging.<feed>`."""


import datetime as dt

import dagster as dg
import polars as pl

from dagster_project import warehouse
from dagster_project.feeds import FEEDS, FeedSpec
from dagster_project.feeds.ingest import FeedIngest, ingest_feed
from dagster_project.defs.reference.assets import GEOGRAPHY
from dagster_project.quality.suites import validate_frame
from dagster_project.resources import (
    HashKeyResource,
    LandingZoneResource,
    LinkageZoneResource,
    WarehouseResource,
)

CHECK_NAME = "feed_expectations"


def staging_key(feed: str) -> dg.AssetKey:
    return dg.AssetKey(["staging", feed])


def _validation_rows(result: FeedIngest, run_id: str) -> pl.DataFrame:
    rows = [
        {**record, "feed": result.feed, "run_id": run_id}
        for validation in result.validations
        for record in validation.to_records()
    ]
    if not rows:
        return pl.DataFrame()
    validated_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return pl.DataFrame(rows, infer_schema_length=None).with_columns(validated_at=pl.lit(validated_at))


def write_tokens(con, result: FeedIngest) -> None:
    """Replace the feed's tokens in the linkage zone."""
    with warehouse.transaction(con):
        warehouse.replace_table(con, f"tokens.{result.feed}", result.tokens)


def write_feed(con, result: FeedIngest, run_id: str) -> None:
    """Replace the feed's staging and quality slices in the warehouse in one transaction."""
    with warehouse.transaction(con):
        # Warehouses from before the split-file model held tokens; they belong in the linkage zone only.
        warehouse.drop_tables(con, [f"tokens.{result.feed}"], "tokens live in the linkage zone only")
        warehouse.replace_table(con, f"staging.{result.feed}", result.staging)
        warehouse.replace_partition(con, "quality.rejects", result.rejects, "feed", result.feed)
        warehouse.replace_partition(
            con, "quality.identifier_problems", result.problems, "feed", result.feed
        )
        warehouse.replace_partition(con, "quality.deliveries", result.deliveries, "feed", result.feed)
        warehouse.run(con, warehouse.load_sql("quality/identifier_problem_counts.sql"))
        validations = _validation_rows(result, run_id)
        if validations.height:
            warehouse.append(con, "quality.validation_results", validations)


def _check_result(spec: FeedSpec, result: FeedIngest) -> dg.AssetCheckResult:
    """Quarantined deliveries fail the check (ERROR); expectation warnings fail it as WARN."""
    quarantined = result.quarantined
    degraded = [v for v in result.validations if v.warning_failures]
    if not quarantined.is_empty():
        severity = dg.AssetCheckSeverity.ERROR
        verdict = "; ".join(
            f"{row['delivery_file']} quarantined: {row['reason']}"
            for row in quarantined.iter_rows(named=True)
        )
    elif degraded:
        severity = dg.AssetCheckSeverity.WARN
        verdict = "; ".join(f"{v.label}: {v.summary()}" for v in degraded)
    else:
        severity = dg.AssetCheckSeverity.ERROR
        verdict = f"all {result.deliveries.height} deliveries passed the {spec.name} suite"
    return dg.AssetCheckResult(
        check_name=CHECK_NAME,
        asset_key=staging_key(spec.name),
        passed=quarantined.is_empty() and not degraded,
        severity=severity,
        description=verdict,
        metadata={
            "deliveries": result.deliveries.height,
            "quarantined_deliveries": quarantined.height,
            "deliveries_with_warnings": len(degraded),
            "rejected_rows": result.rejects.height,
            "verdict": verdict,
        },
    )


def _summary_metadata(result: FeedIngest) -> dict:
    problems = result.problems.group_by("field", "problem").len().sort("len", descending=True)
    deliveries = result.deliveries.select(
        "delivery_file", "status", "rows_read", "rows_rejected", "rows_accepted", "reason"
    )
    return {
        "records": dg.MetadataValue.int(result.staging.height),
        "deliveries_accepted": dg.MetadataValue.int(
            result.deliveries.filter(pl.col("status") == "accepted").height
        ),
        "deliveries_quarantined": dg.MetadataValue.int(result.quarantined.height),
        "rows_rejected": dg.MetadataValue.int(result.rejects.height),
        "identifier_problems": dg.MetadataValue.int(result.problems.height),
        "key_id": dg.MetadataValue.text(result.key_id),
        "deliveries": dg.MetadataValue.md(_markdown(deliveries)),
        "problems_by_field": dg.MetadataValue.md(_markdown(problems)),
    }


def _markdown(frame: pl.DataFrame) -> str:
    if frame.is_empty():
        return "_none_"
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([header, rule, *body])


def build_staging_asset(spec: FeedSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=staging_key(spec.name),
        deps=[GEOGRAPHY],
        group_name="ingest",
        kinds={"duckdb", "polars"},
        description=(
            f"{spec.description} Every delivery in the landing zone, validated against the "
            f"`{spec.name}` expectation suite, latest version of each `{spec.key}` wins. "
            f"Writes `staging.{spec.name}` to the warehouse (attributes, no identifiers) and "
            f"`tokens.{spec.name}` to the linkage zone (pseudonymous tokens for linkage)."
        ),
        check_specs=[
            dg.AssetCheckSpec(
                CHECK_NAME,
                asset=staging_key(spec.name),
                description=f"Every delivery passes the {spec.name} Great Expectations suite.",
            )
        ],
    )
    def _staging(
        context: dg.AssetExecutionContext,
        warehouse_db: WarehouseResource,
        linkage_zone: LinkageZoneResource,
        landing: LandingZoneResource,
        hash_key: HashKeyResource,
    ) -> dg.MaterializeResult:
        key = hash_key.load()
        with linkage_zone.connect() as con:
            postcode_lsoa = (
                warehouse.read_table(con, "reference.postcode_lsoa")
                if warehouse.table_exists(con, "reference.postcode_lsoa")
                else None
            )
        result = ingest_feed(spec, landing.root, key, validator=validate_frame, postcode_lsoa=postcode_lsoa)
        # Tokens first: if the warehouse write then failed, the next run rewrites both.
        with linkage_zone.connect() as con:
            write_tokens(con, result)
        with warehouse_db.connect() as con:
            write_feed(con, result, context.run_id)
        context.log.info(
            "%s: %d records staged from %d deliveries (%d quarantined, %d rows rejected)",
            spec.name,
            result.staging.height,
            result.deliveries.height,
            result.quarantined.height,
            result.rejects.height,
        )
        return dg.MaterializeResult(
            metadata=_summary_metadata(result), check_results=[_check_result(spec, result)]
        )

    _staging.__doc__ = spec.description
    return _staging


staging_assets = [build_staging_asset(spec) for spec in FEEDS.values()]
