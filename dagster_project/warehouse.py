"""Reading and writing the DuckDB warehouse.

Every write is atomic: tables are replaced inside one transaction, so a reader never sees a
half-written table and a failed step leaves the previous version in place. SQL that defines
warehouse tables lives in `.sql` files in the package's `sql/` folder (`load_sql`).
"""

from __future__ import annotations

import logging
import os
import re
from importlib import resources
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

logger = logging.getLogger(__name__)

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


def sql_dir() -> Path:
    """The package's `sql/` folder: the SQL that defines warehouse tables, shipped with the
    package (an installed wheel finds it as an editable checkout does)."""
    return Path(str(resources.files("dagster_project") / "sql"))


def load_sql(relative: str) -> str:
    path = sql_dir() / relative
    if not path.is_file():
        raise FileNotFoundError(f"SQL file {relative!r} does not exist in the package (looked in {sql_dir()}).")
    return path.read_text(encoding="utf-8")


def define_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Define the shared SQL macros (`sql/macros.sql`, e.g. `age_band`) for this connection."""
    run(con, load_sql("macros.sql"))


def _checked(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"Not a safe table name: {name!r}")
    return name


@contextmanager
def connect(
    path: str | os.PathLike[str], *, read_only: bool = False, private: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open a DuckDB file.

    private: the file (and the write-ahead log DuckDB creates beside it) is readable by its
    owner only, as the linkage zone's must be; a looser existing file is tightened.
    """
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.exists():
        raise FileNotFoundError(f"Database {str(path)!r} does not exist; materialise the pipeline first.")
    previous_umask = os.umask(0o077) if private else None
    try:
        if private and path.exists():
            path.chmod(0o600)
        con = duckdb.connect(str(path), read_only=read_only)
        try:
            yield con
        finally:
            con.close()
    finally:
        if previous_umask is not None:
            os.umask(previous_umask)


def run(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    """Execute and drain one statement (DuckDB 2 wants results drained before the next query)."""
    return con.execute(sql, params or []).fetchall()


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    schema, _, table = _checked(name).rpartition(".")
    rows = run(
        con,
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema or "main", table],
    )
    return rows[0][0] > 0


def read_table(con: duckdb.DuckDBPyConnection, name: str) -> pl.DataFrame:
    return con.sql(f"SELECT * FROM {_checked(name)}").pl()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    run(con, "BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        run(con, "ROLLBACK")
        raise
    run(con, "COMMIT")


def drop_tables(con: duckdb.DuckDBPyConnection, names: list[str], why: str) -> None:
    for name in names:
        if table_exists(con, name):
            logger.warning("Dropping %s from %s: %s", name, con.sql("SELECT current_database()").fetchall()[0][0], why)
            run(con, f"DROP TABLE {_checked(name)}")


class SchemaMismatchError(RuntimeError):
    """A frame cannot be written into an existing table without losing data."""


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, alias: str = "__veru_src"):
    con.register(alias, frame.to_arrow())
    try:
        yield alias
    finally:
        try:
            con.unregister(alias)
        except duckdb.Error:  # an aborted transaction refuses it; the error being raised matters more
            pass


def _ensure_schema(con: duckdb.DuckDBPyConnection, name: str) -> None:
    schema, _, _ = name.rpartition(".")
    if schema:
        run(con, f"CREATE SCHEMA IF NOT EXISTS {schema}")


_INTEGERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT")


def _evolve(con: duckdb.DuckDBPyConnection, name: str, alias: str) -> None:
    """Add to table `name` the columns `alias` has and it lacks (the platform grew a column).

    A column only ever null so far takes the new type, and whole numbers widen to DOUBLE; any
    other type change is refused: converting it could lose data silently.
    """
    existing = {c: t.strip('"') for c, t, *_ in con.sql(f"DESCRIBE {name}").fetchall()}
    incoming = {c: t.strip('"') for c, t, *_ in con.sql(f"DESCRIBE SELECT * FROM {alias}").fetchall()}
    for column, dtype in incoming.items():
        if column not in existing:
            logger.info("Adding column %s (%s) to %s", column, dtype, name)
            run(con, f'ALTER TABLE {name} ADD COLUMN "{column}" {dtype if dtype != "NULL" else "VARCHAR"}')
        elif dtype == "NULL" or existing[column] == dtype:
            continue
        elif existing[column] == "NULL" or (existing[column] in _INTEGERS and dtype == "DOUBLE"):
            # a column only ever null so far gets its type; whole numbers widen to DOUBLE losslessly
            logger.info("Changing column %s of %s from %s to %s", column, name, existing[column], dtype)
            run(con, f'ALTER TABLE {name} ALTER COLUMN "{column}" TYPE {dtype}')
        else:
            raise SchemaMismatchError(
                f"Cannot write {name}: column {column} is {existing[column]} in the warehouse but "
                f"{dtype} in the new data. Migrate or drop the table deliberately."
            )


def replace_table(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
    """Replace `name` with `frame` (call inside `transaction` to group several)."""
    name = _checked(name)
    _ensure_schema(con, name)
    with _registered(con, frame) as alias:
        run(con, f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {alias}")


def replace_partition(
    con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame, column: str, value: str
) -> None:
    """Replace the rows of `name` where `column = value` with `frame` (creating the table).

    Used for shared quality tables that hold one slice per feed. Call inside a transaction.
    """
    name = _checked(name)
    _checked(column)
    _ensure_schema(con, name)
    with _registered(con, frame) as alias:
        if table_exists(con, name):
            _evolve(con, name, alias)
            run(con, f"DELETE FROM {name} WHERE {column} = ?", [value])
            run(con, f"INSERT INTO {name} BY NAME SELECT * FROM {alias}")
        else:
            run(con, f"CREATE TABLE {name} AS SELECT * FROM {alias}")


def append(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
    """Append rows to a history table (creating it from the frame's schema the first time)."""
    name = _checked(name)
    _ensure_schema(con, name)
    with _registered(con, frame) as alias:
        if table_exists(con, name):
            _evolve(con, name, alias)
            run(con, f"INSERT INTO {name} BY NAME SELECT * FROM {alias}")
        else:
            run(con, f"CREATE TABLE {name} AS SELECT * FROM {alias}")
