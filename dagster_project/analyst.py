"""Helpers for analysts: open the analyst snapshot read-only from a notebook or script.

    from dagster_project.analyst import connect
    con = connect()
    con.sql("FROM cohorts.victims LIMIT 5")

The snapshot (`VERU_ANALYST_SNAPSHOT`, default `warehouse/analyst.duckdb`) holds the cohort
tables, the disclosure-controlled aggregates and the reference geography, and nothing that
identifies a record. A pipeline run replaces it atomically: an open connection keeps reading
the version it opened; close it and connect again to see the newest.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.settings import Environment

REPO_ROOT = Path(__file__).resolve().parent.parent


def snapshot_path() -> Path:
    """The snapshot's path; a relative one is taken from the repository root (notebooks run
    from `notebooks/`, the pipeline from the root)."""
    path = Environment.from_env().analyst_snapshot
    return path if path.is_absolute() else REPO_ROOT / path


def connect() -> duckdb.DuckDBPyConnection:
    path = snapshot_path()
    if not path.exists():
        raise FileNotFoundError(f"No analyst snapshot at {path}: run `make demo` (or the pipeline) first.")
    return duckdb.connect(str(path), read_only=True)
