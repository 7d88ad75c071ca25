"""Staging assets: each agency's deliveries → validated, pseudonymised `staging.<feed>`."""


import datetime as dt
import json
import logging
import os
from pathlib import Path

import dagster as dg
import polars as pl

from dagster_project import warehouse
from dagster_project.feeds import FEEDS, FeedSpec, verdicts
from dagster_project.feeds.ingest import FeedIngest, ingest_feed
from dagster_project.defs.reference.assets import GEOGRAPHY
from dagster_project.quality.datadocs import render_validation_page, write_page
from dagster_project.quality.health import FeedHealth, assess, write_status
from dagster_project.quality.suites import validate_frame
from dagster_project.resources import (
    HashKeyResource,
    LandingZoneResource,
    LinkageZoneResource,
    QualityResource,
    WarehouseResource,
)

logger = logging.getLogger(__name__)

CHECK_NAME = "feed_expectations"
HEALTH_CHECK_NAME = "feed_health"
QUARANTINE_SCHEMA = {
    "feed": pl.String, "delivery_file": pl.String, "extract_date": pl.Date, "status": pl.String,
    "reason": pl.String, "failing_expectations": pl.String, "sha256": pl.String, "size_bytes": pl.Int64,
    "rows_read": pl.Int64, "moved_to": pl.String, "quarantined_at": pl.Datetime("us"), "run_id": pl.String,
}  # fmt: skip


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


def write_feed(con, result: FeedIngest, run_id: str, quarantined: pl.DataFrame | None = None) -> None:
    """Replace the feed's staging and quality slices in the warehouse, record its new verdicts
    and quarantined deliveries, in one transaction."""
    with warehouse.transaction(con):
        if result.verdicts.height:
            warehouse.append(con, "quality.delivery_verdicts", result.verdicts)
        if quarantined is not None and quarantined.height:
            warehouse.append(con, "quality.quarantine", quarantined)
        # Warehouses from before the split-file model held tokens; they belong in the linkage zone only.
        warehouse.drop_tables(con, [f"tokens.{result.feed}"], "tokens live in the linkage zone only")
        warehouse.replace_table(con, f"staging.{result.feed}", result.staging)
        warehouse.replace_table(con, f"quality.rejects_{result.feed}", result.rejects)
        _refresh_rejects_view(con)
        warehouse.replace_partition(
            con, "quality.identifier_problems", result.problems, "feed", result.feed
        )
        warehouse.replace_partition(con, "quality.deliveries", result.deliveries, "feed", result.feed)
        warehouse.append(
            con, "quality.delivery_history",
            result.deliveries.with_columns(run_id=pl.lit(run_id), checked_at=pl.lit(_now())),
        )
        warehouse.run(con, warehouse.load_sql("quality/identifier_problem_counts.sql"))
        validations = _validation_rows(result, run_id)
        if validations.height:
            warehouse.append(con, "quality.validation_results", validations)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _refresh_rejects_view(con) -> None:
    """`quality.rejects`: every feed's rejects table in one view (each feed keeps its own)."""
    if warehouse.table_exists(con, "quality.rejects"):  # a table in warehouses from before per-feed tables
        kind = warehouse.run(
            con, "SELECT table_type FROM information_schema.tables WHERE table_schema='quality' AND table_name='rejects'"
        )
        if kind and kind[0][0] == "BASE TABLE":
            warehouse.run(con, "DROP TABLE quality.rejects")
    parts = [f"SELECT * FROM quality.rejects_{f}" for f in FEEDS if warehouse.table_exists(con, f"quality.rejects_{f}")]
    if parts:
        warehouse.run(con, "CREATE OR REPLACE VIEW quality.rejects AS " + " UNION ALL BY NAME ".join(parts))


def _private_dir(folder: Path) -> Path:
    """Create `folder` (and parents) readable by the owner only; tighten it if it exists."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)
    return folder


def plan_quarantine(
    result: FeedIngest, quarantine_root: Path, run_id: str
) -> tuple[pl.DataFrame, list[tuple[str, Path, dict]]]:
    """The `quality.quarantine` rows for this run's quarantined and duplicate deliveries, and
    the moves to make: (delivery file, target path, report). Nothing is moved here: the rows
    (and the verdicts) are written first, so a run killed between writing and moving leaves the
    file in the landing zone with its verdict, and the next run moves it."""
    rows, moves = [], []
    failures = {v.label: v for v in result.validations}
    folder = Path(quarantine_root) / result.feed
    for row in result.deliveries.filter(pl.col("status").is_in(["quarantined", "duplicate"])).iter_rows(named=True):
        target = folder / row["delivery_file"]
        if target.exists():
            target = folder / f"{row['delivery_file']}.{run_id}"
        validation = failures.get(row["delivery_file"])
        failing = [o.to_record() for o in validation.failures] if validation is not None else []
        report = {k: v for k, v in row.items() if k != "pseudonymised_at_source"}
        report.update(failing_expectations=failing, run_id=run_id, quarantined_at=_now().isoformat(), moved_to=str(target))
        moves.append((row["delivery_file"], target, report))
        rows.append({
            "feed": result.feed, "delivery_file": row["delivery_file"], "extract_date": row["extract_date"],
            "status": row["status"], "reason": row["reason"], "failing_expectations": json.dumps(failing, default=str),
            "sha256": row["sha256"], "size_bytes": row["size_bytes"], "rows_read": row["rows_read"],
            "moved_to": str(target), "quarantined_at": _now(), "run_id": run_id,
        })  # fmt: skip
    return pl.DataFrame(rows, schema=QUARANTINE_SCHEMA, orient="row"), moves


def move_to_quarantine(feed: str, landing_root: Path, moves: list[tuple[str, Path, dict]]) -> None:
    """Move each file out of the landing zone into the quarantine area (owner-only: 0700
    folders, 0600 files), beside a JSON report of why. Files are moved, never copied: they
    hold plaintext. A name already taken gets the run id appended, so nothing is overwritten."""
    for delivery_file, target, report in moves:
        source = Path(landing_root) / feed / delivery_file
        if not source.exists() or source.is_symlink():
            continue
        _private_dir(target.parent.parent)
        _private_dir(target.parent)
        source.chmod(0o600)
        source.replace(target)
        report_path = target.parent / f"{target.name}.report.json"
        fd = os.open(report_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=2, default=str)
        report_path.chmod(0o600)
        logger.warning("%s: moved %s to the quarantine area %s", feed, delivery_file, target.parent)


def read_verdicts(con, feed: str) -> dict:
    """The feed's current verdicts by sha256 (`quality.delivery_verdicts`)."""
    if not warehouse.table_exists(con, "quality.delivery_verdicts"):
        return {}
    return verdicts.current(con.sql("SELECT * FROM quality.delivery_verdicts WHERE feed = ?", params=[feed]).pl())


def assess_feed(con, spec: FeedSpec, run_id: str, as_of: dt.date) -> FeedHealth:
    """Work out the feed's health from the quality tables just written, and record it."""
    def rows(sql: str) -> pl.DataFrame:
        return con.sql(sql, params=[spec.name]).pl()

    deliveries = rows("SELECT * FROM quality.deliveries WHERE feed = ?")
    quarantine = (
        rows("SELECT * FROM quality.quarantine WHERE feed = ? ORDER BY quarantined_at")
        if warehouse.table_exists(con, "quality.quarantine")
        else pl.DataFrame(schema=QUARANTINE_SCHEMA)
    )
    validations = con.sql(
        "SELECT * FROM quality.validation_results WHERE feed = ? AND run_id = ?", params=[spec.name, run_id]
    ).pl() if warehouse.table_exists(con, "quality.validation_results") else pl.DataFrame()
    rejects = warehouse.read_table(con, f"quality.rejects_{spec.name}")
    served = con.sql(f"SELECT count(*) FROM staging.{spec.name}").fetchall()[0][0]
    health, freshness = assess(
        spec.name, deliveries, quarantine, validations, rejects, as_of=as_of, records_served=served
    )
    with warehouse.transaction(con):
        write_status(con, health.to_record(run_id, as_of), _now())
        if freshness is not None:
            warehouse.append(
                con, "quality.validation_results",
                pl.DataFrame([{**r, "feed": spec.name, "run_id": run_id} for r in freshness.to_records()],
                             infer_schema_length=None).with_columns(validated_at=pl.lit(_now())),
            )
    return health


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
            if health.days_since_delivery is not None else dg.MetadataValue.text("n/a"),
            "records_served": dg.MetadataValue.int(health.records_served or 0),
            "last_good_delivery": health.last_good_delivery or "",
        },
    )


def write_validation_pages(result: FeedIngest, site: Path) -> None:
    """Each delivery's Great Expectations Data Docs page, under the quality site."""
    for validation in result.validations:
        if validation.gx_result is None:
            continue
        page = site / "validations" / result.feed / f"{validation.label}.html"
        html = render_validation_page(
            validation.gx_result, title=f"{result.feed}: {validation.label}", index_href="../../validations.html"
        )
        write_page(page, html)


def _check_result(spec: FeedSpec, result: FeedIngest) -> dg.AssetCheckResult:
    """Quarantined deliveries, and accepted ones that can no longer be served, fail the check
    (ERROR); expectation warnings, and blocking failures of deliveries served on an earlier
    verdict, fail it as WARN."""
    quarantined = result.deliveries.filter(pl.col("status").is_in(["quarantined", "not_served"]))
    quarantined_files = set(quarantined.get_column("delivery_file").to_list())
    degraded = [
        v for v in result.validations
        if v.label not in quarantined_files and (v.warning_failures or not v.success)
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
        key = hash_key.load()
        as_of = quality.today()
        with linkage_zone.connect() as con:
            postcode_lsoa = (
                warehouse.read_table(con, "reference.postcode_lsoa")
                if warehouse.table_exists(con, "reference.postcode_lsoa")
                else None
            )
        with warehouse_db.connect() as con:
            earlier = read_verdicts(con, spec.name)
        result = ingest_feed(
            spec, landing.root, key, validator=validate_frame, postcode_lsoa=postcode_lsoa, today=as_of,
            verdicts=earlier, max_bytes=landing.max_delivery_bytes, run_id=context.run_id,
        )
        # Tokens first: if the warehouse write then failed, the next run rewrites both.
        with linkage_zone.connect() as con:
            write_tokens(con, result)
        # Verdicts and the quarantine log before any file moves: a run killed in between leaves
        # files in the landing zone with their verdicts, and the next run moves them.
        quarantined, moves = plan_quarantine(result, Path(quality.quarantine_dir), context.run_id)
        with warehouse_db.connect() as con:
            write_feed(con, result, context.run_id, quarantined)
        move_to_quarantine(spec.name, landing.root, moves)
        with warehouse_db.connect() as con:
            health = assess_feed(con, spec, context.run_id, as_of)
        write_validation_pages(result, Path(quality.dashboard_dir))
        context.log.info(
            "%s: %d records staged from %d deliveries (%d quarantined, %d rows rejected)",
            spec.name,
            result.staging.height,
            result.deliveries.height,
            result.quarantined.height,
            result.rejects.height,
        )
        return dg.MaterializeResult(
            metadata={**_summary_metadata(result), "health": dg.MetadataValue.text(f"{health.status}: {health.reason}")},
            check_results=[_check_result(spec, result), _health_check(spec, health)],
        )

    _staging.__doc__ = spec.description
    return _staging


staging_assets = [build_staging_asset(spec) for spec in FEEDS.values()]
