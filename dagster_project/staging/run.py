"""One feed's run, end to end: discover, read, validate, pseudonymise, quarantine, write and
judge the feed's health. The staging asset only turns the outcome into Dagster's terms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project import warehouse
from dagster_project.feeds import FeedSpec
from dagster_project.pseudonymise.keys import HashKey
from dagster_project.quality.health import FeedHealth
from dagster_project.quality.suites import validate_frame
from dagster_project.staging.ingest import FeedIngest, ingest_feed
from dagster_project.staging.quarantine import move_to_quarantine, plan_quarantine
from dagster_project.staging.store import (
    assess_feed,
    read_verdicts,
    write_feed,
    write_tokens,
    write_validation_pages,
)

Connect = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


@dataclass(frozen=True)
class FeedRun:
    """What one feed's run did: the staged frames and verdicts, and the feed's health."""

    ingest: FeedIngest
    health: FeedHealth


def stage_feed(
    spec: FeedSpec,
    *,
    landing_root: Path,
    key: HashKey,
    as_of: dt.date,
    run_id: str,
    connect_warehouse: Connect,
    connect_linkage_zone: Connect,
    quarantine_dir: Path,
    dashboard_dir: Path,
    max_delivery_bytes: int,
) -> FeedRun:
    """Stage every delivery of `spec` in the landing zone and record the outcome.

    The order matters for a run killed part-way: tokens first (if the warehouse write then
    fails, the next run rewrites both); then the warehouse, verdicts and quarantine log
    included, in one transaction; then the files move (a run killed before that leaves them in
    the landing zone with their verdicts, and the next run moves them); then the health.
    """
    with connect_linkage_zone() as con:
        postcode_lsoa = (
            warehouse.read_table(con, "reference.postcode_lsoa")
            if warehouse.table_exists(con, "reference.postcode_lsoa")
            else None
        )
    with connect_warehouse() as con:
        earlier = read_verdicts(con, spec.name)
    result = ingest_feed(
        spec,
        landing_root,
        key,
        validator=validate_frame,
        postcode_lsoa=postcode_lsoa,
        today=as_of,
        verdicts=earlier,
        max_bytes=max_delivery_bytes,
        run_id=run_id,
    )
    with connect_linkage_zone() as con:
        write_tokens(con, result)
    quarantined, moves = plan_quarantine(result, quarantine_dir, run_id)
    with connect_warehouse() as con:
        write_feed(con, result, run_id, quarantined)
    move_to_quarantine(spec.name, landing_root, moves)
    with connect_warehouse() as con:
        health = assess_feed(con, spec, run_id, as_of)
    write_validation_pages(result, dashboard_dir)
    return FeedRun(result, health)
