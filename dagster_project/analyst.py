"""Helpers for analysts: open an analyst snapshot read-only from a notebook or script.

    from dagster_project.analyst import connect
    con = connect()                      # the default tier
    con.sql("FROM cohorts.victims LIMIT 5")
    detail = connect(tier="restricted")  # the restricted tier, for named analysts

There are two snapshots, replaced together after every pipeline run:

- the **default tier** (`VERU_ANALYST_SNAPSHOT`, default `warehouse/analyst.duckdb`): the cohort
  tables with home council, sex and age band generalised and event dates published by month,
  quarter or year, so that every person and every event hides among at least five
  (`SELECT * FROM main.about` gives k; `dagster_project/publication/anonymise/` the method),
  every table worked out from the published events alone (a flag the restricted tier takes from
  exact dates, such as `reported_to_police`, says only what the published periods show, and is
  NULL where they cannot tell), the disclosure-controlled aggregates and the reference geography;
- the **restricted tier** (`VERU_RESTRICTED_SNAPSHOT`, default
  `warehouse/analyst_restricted.duckdb`): the same with the cohort tables in full detail (dates,
  hours, ages, neighbourhoods, ethnicity), readable only by the named analysts of
  `VERU_ANALYST_GROUP`.

Neither holds anything that identifies a record. A run replaces them atomically: an open
connection keeps reading the version it opened; close it and connect again to see the newest.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from dagster_project.settings import ANALYST_GROUP_VAR, ANALYST_SNAPSHOT_VAR, RESTRICTED_SNAPSHOT_VAR, Environment

TIERS = {"default": ANALYST_SNAPSHOT_VAR, "restricted": RESTRICTED_SNAPSHOT_VAR}


class SnapshotAccessError(PermissionError):
    """The caller may not read the snapshot of this tier."""


def snapshot_path(tier: str = "default") -> Path:
    """The tier's snapshot path, absolute. A relative one is taken from the current directory, as
    the pipeline takes it; `make notebooks` hands the notebooks absolute paths, since Jupyter runs
    them from `notebooks/`. (The package may be installed anywhere, so nothing is taken from where
    its files are.)"""
    if tier not in TIERS:
        raise ValueError(f"Unknown snapshot tier {tier!r}: use one of {', '.join(TIERS)}.")
    env = Environment.from_env()
    path = env.analyst_snapshot if tier == "default" else env.restricted_snapshot
    return path.absolute()


def connect(tier: str = "default") -> duckdb.DuckDBPyConnection:
    """Open the snapshot of `tier` ("default" or "restricted") read-only."""
    path = snapshot_path(tier)
    try:
        path.stat()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"No {tier} analyst snapshot at {path} ({TIERS[tier]}): run `make demo` (or the pipeline) first."
        ) from None
    except PermissionError:
        raise _no_access(tier, path) from None
    if not os.access(path, os.R_OK):
        raise _no_access(tier, path)
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as error:
        if "Permission denied" in str(error):
            raise _no_access(tier, path) from None
        raise


def _no_access(tier: str, path: Path) -> SnapshotAccessError:
    who = (
        "it is for named analysts: ask the data engineer to add you to the group named by "
        f"{ANALYST_GROUP_VAR}, or use the default tier (connect())"
        if tier == "restricted"
        else f"ask the data engineer to add you to the group named by {ANALYST_GROUP_VAR}"
    )
    return SnapshotAccessError(f"You cannot read the {tier} analyst snapshot at {path} ({TIERS[tier]}): {who}.")
