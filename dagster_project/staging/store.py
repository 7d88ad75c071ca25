"""Writing one feed's run: tokens to the linkage zone, staging and quality tables to the
warehouse, then the feed's health from what was written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl

from dagster_project import tables, warehouse
from dagster_project.clock import utcnow
from dagster_project.feeds import FEEDS, FeedSpec, verdicts
from dagster_project.quality.datadocs import render_validation_page, write_page
from dagster_project.quality.health import FeedHealth, assess, write_status
from dagster_project.quality.results import record_validations
from dagster_project.staging.ingest import FeedIngest


def write_tokens(con: duckdb.DuckDBPyConnection, result: FeedIngest) -> None:
    """Replace the feed's tokens in the linkage zone."""
    with warehouse.transaction(con):
        warehouse.replace_table(con, tables.tokens(result.feed), result.tokens)


def write_feed(
    con: duckdb.DuckDBPyConnection, result: FeedIngest, run_id: str, quarantined: pl.DataFrame | None = None
) -> None:
    """Replace the feed's staging and quality slices in the warehouse, record its new verdicts
    and quarantined deliveries, in one transaction."""
    with warehouse.transaction(con):
        if result.verdicts.height:
            warehouse.append(con, tables.DELIVERY_VERDICTS, result.verdicts)
        if quarantined is not None and quarantined.height:
            warehouse.append(con, tables.QUARANTINE, quarantined)
        warehouse.replace_table(con, FEEDS[result.feed].staging_table, result.staging)
        warehouse.replace_table(con, tables.rejects(result.feed), result.rejects)
        _refresh_rejects_view(con)
        warehouse.replace_partition(con, tables.IDENTIFIER_PROBLEMS, result.problems, "feed", result.feed)
        warehouse.replace_partition(con, tables.DELIVERIES, result.deliveries, "feed", result.feed)
        warehouse.append(
            con,
            tables.DELIVERY_HISTORY,
            result.deliveries.with_columns(run_id=pl.lit(run_id), checked_at=pl.lit(utcnow())),
        )
        warehouse.run(con, warehouse.load_sql("quality/identifier_problem_counts.sql"))
        record_validations(con, result.validations, feed=result.feed, run_id=run_id)


def _refresh_rejects_view(con: duckdb.DuckDBPyConnection) -> None:
    """`quality.rejects`: every feed's rejects table in one view (each feed keeps its own)."""
    parts = [f"SELECT * FROM quality.rejects_{f}" for f in FEEDS if warehouse.table_exists(con, f"quality.rejects_{f}")]
    if parts:
        warehouse.run(con, "CREATE OR REPLACE VIEW quality.rejects AS " + " UNION ALL BY NAME ".join(parts))


def read_verdicts(con: duckdb.DuckDBPyConnection, feed: str) -> dict:
    """The feed's current verdicts by sha256 (`quality.delivery_verdicts`)."""
    if not warehouse.table_exists(con, "quality.delivery_verdicts"):
        return {}
    warehouse.check_drift(con, tables.DELIVERY_VERDICTS)
    return verdicts.current(con.sql("SELECT * FROM quality.delivery_verdicts WHERE feed = ?", params=[feed]).pl())


def assess_feed(con: duckdb.DuckDBPyConnection, spec: FeedSpec, run_id: str, as_of: dt.date) -> FeedHealth:
    """Work out the feed's health from the quality tables just written, and record it."""

    def rows(sql: str) -> pl.DataFrame:
        return con.sql(sql, params=[spec.name]).pl()

    deliveries = rows("SELECT * FROM quality.deliveries WHERE feed = ?")
    quarantine = warehouse.read_declared(con, tables.QUARANTINE).filter(pl.col("feed") == spec.name)
    quarantine = quarantine.sort("quarantined_at")
    validations = (
        con.sql(
            "SELECT * FROM quality.validation_results WHERE feed = ? AND run_id = ?", params=[spec.name, run_id]
        ).pl()
        if warehouse.table_exists(con, "quality.validation_results")
        else tables.VALIDATION_RESULTS.empty()
    )
    rejects = warehouse.read_table(con, f"quality.rejects_{spec.name}")
    served = con.sql(f"SELECT count(*) FROM staging.{spec.name}").fetchall()[0][0]
    health, freshness = assess(
        spec.name, deliveries, quarantine, validations, rejects, as_of=as_of, records_served=served
    )
    with warehouse.transaction(con):
        write_status(con, health.to_record(run_id, as_of), utcnow())
        if freshness is not None:
            record_validations(con, [freshness], feed=spec.name, run_id=run_id)
    return health


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
