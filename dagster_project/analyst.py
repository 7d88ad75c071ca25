"""Helpers for analysts: open the warehouse read-only from a notebook or script.

    from dagster_project.analyst import connect
    con = connect()
    con.sql("FROM cohorts.person_summary LIMIT 5")
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.settings import Environment

REPO_ROOT = Path(__file__).resolve().parent.parent


def warehouse_path() -> Path:
    """`VERU_WAREHOUSE`, with a relative path taken from the repository root (notebooks run
    from `notebooks/`, the pipeline from the root)."""
    path = Environment.from_env().warehouse
    return path if path.is_absolute() else REPO_ROOT / path


def connect() -> duckdb.DuckDBPyConnection:
    path = warehouse_path()
    if not path.exists():
        raise FileNotFoundError(f"No warehouse at {path}: run `make demo` (or the pipeline) first.")
    return duckdb.connect(str(path), read_only=True)
