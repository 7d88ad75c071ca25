"""The analyst snapshot: a separate DuckDB file holding what analysts may see, published atomically.

The snapshot holds the cohort tables, the protected aggregates and the reference geography:
no token, no record key, no staging table. It is written in full under a temporary name,
checked, and moved over the previous snapshot in one `rename`. An analyst who has the old
snapshot open keeps reading it undisturbed (the old file lives on until they close it); the
next connection opens the new one. The pipeline never waits for an analyst, and an analyst
never sees a half-written table.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path

import duckdb
import polars as pl

from dagster_project import warehouse
from dagster_project.pseudonymise.encode import TOKEN_SCHEMA

PUBLISHED_SCHEMAS = ("cohorts", "aggregates")
PUBLISHED_REFERENCE = ("reference.lsoa", "reference.population")
FORBIDDEN_COLUMNS = frozenset({"record_key", "record_id", "record_key_l", "record_key_r", *TOKEN_SCHEMA})


class SnapshotError(RuntimeError):
    """The snapshot would contain something analysts must not get."""


def published_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.sql(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        f"WHERE table_catalog = current_database() AND table_schema IN {PUBLISHED_SCHEMAS} "
        "AND table_type = 'BASE TABLE' ORDER BY 1"
    ).fetchall()
    return [t for (t,) in rows] + [t for t in PUBLISHED_REFERENCE if warehouse.table_exists(con, t)]


def check(path: Path) -> list[str]:
    """Forbidden columns or schemas in a snapshot file (empty when it is safe)."""
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.sql(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE table_catalog = current_database()"
        ).fetchall()
    problems = [f"{s}.{t}.{c}" for s, t, c in columns if c in FORBIDDEN_COLUMNS]
    problems += sorted({f"schema {s}" for s, _, _ in columns if s in ("staging", "tokens", "linkage", "quality")})
    return problems


def publish(warehouse_path: Path, snapshot_path: Path, about: dict) -> dict:
    """Copy the published tables into a new snapshot and move it into place atomically."""
    snapshot_path = Path(snapshot_path)
    snapshot_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = snapshot_path.with_name(f".{snapshot_path.name}.{uuid.uuid4().hex}.tmp")
    try:
        # Read-write: DuckDB attaches other files with the access mode of the main one.
        with warehouse.connect(warehouse_path) as con:
            tables = published_tables(con)
            counts = {}
            warehouse.run(con, f"ATTACH '{tmp}' AS snapshot")
            try:
                for table in tables:
                    schema, name = table.split(".")
                    warehouse.run(con, f"CREATE SCHEMA IF NOT EXISTS snapshot.{schema}")
                    warehouse.run(con, f"CREATE TABLE snapshot.{schema}.{name} AS SELECT * FROM {table}")
                    counts[table] = con.sql(f"SELECT count(*) FROM snapshot.{schema}.{name}").fetchall()[0][0]
                con.register("__about", pl.DataFrame([{**about, "tables": len(tables)}]).to_arrow())
                warehouse.run(con, "CREATE TABLE snapshot.main.about AS SELECT * FROM __about")
                con.unregister("__about")
            finally:
                warehouse.run(con, "DETACH snapshot")
        problems = check(tmp)
        if problems:
            raise SnapshotError(f"Refusing to publish: the snapshot would hold {', '.join(problems[:5])}")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, snapshot_path)  # atomic: readers see the old file or the new, never a mix
        directory = os.open(snapshot_path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            if leftover.exists():
                leftover.unlink()
    return counts


def about(run_id: str, con: duckdb.DuckDBPyConnection) -> dict:
    period = con.sql("SELECT min(event_date), max(event_date), count(DISTINCT person_id) FROM cohorts.events").fetchall()[0]
    return {
        "published_at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
        "run_id": run_id,
        "events_from": period[0],
        "events_to": period[1],
        "persons": period[2],
    }
