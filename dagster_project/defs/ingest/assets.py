"""Staging assets: each agency's deliveries → validated, pseudonymised `staging.<feed>`.

The work is `staging.run.stage_feed`; an asset turns its outcome into Dagster's terms
(metadata and the two checks)."""

import logging
from pathlib import Path

import dagster as dg
import polars as pl

from dagster_project.defs.reference.assets import GEOGRAPHY
from dagster_project.feeds import FEEDS, FeedSpec
from dagster_project.markdown import markdown_table
from dagster_project.quality.health import FeedHealth
from dagster_project.resources import (
    HashKeyResource,
    LandingZoneResource,
    LinkageZoneResource,
    QualityResource,
    WarehouseResource,
)
from dagster_project.staging.ingest import FeedIngest
from dagster_project.staging.run import stage_feed

logger = logging.getLogger(__name__)

CHECK_NAME = "feed_expectations"
HEALTH_CHECK_NAME = "feed_health"


def staging_key(feed: str) -> dg.AssetKey:
    return dg.AssetKey(["staging", feed])


def _health_check(spec: FeedSpec, health: FeedHealth) -> dg.AssetCheckResult:
    severity = dg.AssetCheckSeverity.ERROR if health.status == "broken" else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(
        check_name=HEALTH_CHECK_NAME,
        asset_key=staging_key(spec.name),
        passed=health.status == "healthy",
        severity=severity,
        description=f"{health.status.upper()}: {health.reason}",
        metadata={
            "status": health.status,
            "reason": health.reason,
            "latest_delivery": health.latest_delivery or "",
            "days_since_delivery": dg.MetadataValue.int(health.days_since_delivery)
            if health.days_since_delivery is not None
            else dg.MetadataValue.text("n/a"),
            "records_served": dg.MetadataValue.int(health.records_served or 0),
            "last_good_delivery": health.last_good_delivery or "",
        },
    )


def _check_result(spec: FeedSpec, result: FeedIngest) -> dg.AssetCheckResult:
    """Quarantined deliveries, and accepted ones that can no longer be served, fail the check
    (ERROR); expectation warnings, and blocking failures of deliveries served on an earlier
    verdict, fail it as WARN."""
    quarantined = result.deliveries.filter(pl.col("status").is_in(["quarantined", "not_served"]))
    quarantined_files = set(quarantined.get_column("delivery_file").to_list())
    degraded = [
        v for v in result.validations if v.label not in quarantined_files and (v.warning_failures or not v.success)
    ]
    if not quarantined.is_empty():
        severity = dg.AssetCheckSeverity.ERROR
        verdict = "; ".join(
            f"{row['delivery_file']} {'quarantined' if row['status'] == 'quarantined' else 'not served'}: {row['reason']}"
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
        "deliveries_accepted": dg.MetadataValue.int(result.deliveries.filter(pl.col("status") == "accepted").height),
        "deliveries_quarantined": dg.MetadataValue.int(result.quarantined.height),
        "rows_rejected": dg.MetadataValue.int(result.rejects.height),
        "identifier_problems": dg.MetadataValue.int(result.problems.height),
        "key_id": dg.MetadataValue.text(result.key_id),
        "deliveries": dg.MetadataValue.md(markdown_table(deliveries)),
        "problems_by_field": dg.MetadataValue.md(markdown_table(problems)),
    }


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
            ),
            dg.AssetCheckSpec(
                HEALTH_CHECK_NAME,
                asset=staging_key(spec.name),
                description=(
                    f"The {spec.name} feed is healthy: its latest delivery was usable, passed every check "
                    "and arrived within the feed's cadence (the quality dashboard's verdict)."
                ),
            ),
        ],
    )
    def _staging(
        context: dg.AssetExecutionContext,
        warehouse_db: WarehouseResource,
        linkage_zone: LinkageZoneResource,
        landing: LandingZoneResource,
        hash_key: HashKeyResource,
        quality: QualityResource,
    ) -> dg.MaterializeResult:
        run = stage_feed(
            spec,
            landing_root=landing.root,
            key=hash_key.load(),
            as_of=quality.today(),
            run_id=context.run_id,
            connect_warehouse=warehouse_db.connect,
            connect_linkage_zone=linkage_zone.connect,
            quarantine_dir=Path(quality.quarantine_dir),
            dashboard_dir=Path(quality.dashboard_dir),
            max_delivery_bytes=landing.max_delivery_bytes,
        )
        result, health = run.ingest, run.health
        context.log.info(
            "%s: %d records staged from %d deliveries (%d quarantined, %d rows rejected)",
            spec.name,
            result.staging.height,
            result.deliveries.height,
            result.quarantined.height,
            result.rejects.height,
        )
        return dg.MaterializeResult(
            metadata={
                **_summary_metadata(result),
                "health": dg.MetadataValue.text(f"{health.status}: {health.reason}"),
            },
            check_results=[_check_result(spec, result), _health_check(spec, health)],
        )

    _staging.__doc__ = spec.description
    return _staging


staging_assets = [build_staging_asset(spec) for spec in FEEDS.values()]
