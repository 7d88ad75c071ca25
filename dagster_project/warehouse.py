"""Reading and writing the DuckDB warehouse.

Every write is atomic: tables are replaced inside one transaction, so a reader never sees a
half-written table and a failed step leaves the previous version in place. SQL that defines
warehouse tables lives in `.sql` files in the package's `sql/` folder (`load_sql`).

Tables in the staging, quality, linkage and tokens schemas are written through their
declarations (`tables`): created from them, a frame that differs refused, and a table in the
file that differs (made by an older release) refused with the command that migrates it.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb
import polars as pl

from dagster_project import tables
from dagster_project.tables import SchemaMismatchError, Table

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


class SchemaDriftError(SchemaMismatchError):
    """A table in the file has other columns than its declaration: an older release made it."""


MIGRATE = "python -m dagster_project.tools.migrate"
MIGRATE_OPTION = {tables.WAREHOUSE: "--warehouse", tables.LINKAGE_ZONE: "--linkage-zone"}


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, alias: str = "__veru_src"):
    con.register(alias, frame.to_arrow())
    try:
        yield alias
    finally:
        # an aborted transaction refuses it; the error being raised matters more
        with contextlib.suppress(duckdb.Error):
            con.unregister(alias)


def _ensure_schema(con: duckdb.DuckDBPyConnection, name: str) -> None:
    schema, _, _ = name.rpartition(".")
    if schema:
        run(con, f"CREATE SCHEMA IF NOT EXISTS {schema}")


@cache
def declared_sql_types(table: Table) -> dict[str, str]:
    """Each declared column's DuckDB type: the type DuckDB gives a frame of the declared types."""
    con = duckdb.connect()
    try:
        with _registered(con, table.empty()) as alias:
            return {column: dtype for column, dtype, *_ in con.sql(f"DESCRIBE {alias}").fetchall()}
    finally:
        con.close()


def table_columns(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, str]:
    """The columns of table `name` in the file, with their DuckDB types (`NULL` for a column an
    older release created from nothing but nulls)."""
    return {column: dtype.strip('"') for column, dtype, *_ in con.sql(f"DESCRIBE {_checked(name)}").fetchall()}


def database_path(con: duckdb.DuckDBPyConnection) -> str:
    rows = run(con, "SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
    return rows[0][0] or ":memory:"


def drift(con: duckdb.DuckDBPyConnection, table: Table) -> list[str]:
    """How `table` in the file differs from its declaration, a phrase per column (none when the
    table matches or does not exist yet)."""
    if not table_exists(con, table.name):
        return []
    return tables.differences(declared_sql_types(table), table_columns(con, table.name))


def check_drift(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Refuse a table whose columns in the file differ from its declaration, naming the table,
    each column and what to do (never altered here: `tools.migrate` does it, once, reporting)."""
    problems = drift(con, table)
    if problems:
        path = database_path(con)
        raise SchemaDriftError(
            f"{table.name} in {path} differs from its declaration: {'; '.join(problems)}. An older release "
            f"made it: run `{MIGRATE} {MIGRATE_OPTION[table.zone]} {path}` to bring the file to the declared "
            f"columns ({tables.WHERE})."
        )


def misplaced(con: duckdb.DuckDBPyConnection, zone: str, candidates: Iterable[Table]) -> list[Table]:
    """The tables of `candidates` declared for another file than this one (of `zone`) that it
    holds: an older release wrote tokens and pairwise links into the warehouse."""
    return [t for t in candidates if t.zone != zone and table_exists(con, t.name)]


def refuse_misplaced(con: duckdb.DuckDBPyConnection, zone: str, candidates: Iterable[Table]) -> None:
    """Refuse a file that holds a table that belongs in the other file (never dropped here:
    `tools.migrate` does it, once, reporting)."""
    found = misplaced(con, zone, candidates)
    if found:
        path = database_path(con)
        raise SchemaDriftError(
            f"{path} holds {', '.join(t.name for t in found)}, which belong in the {found[0].zone} only (an "
            f"older release wrote them here): run `{MIGRATE} {MIGRATE_OPTION[zone]} {path}`, which drops them."
        )


def read_declared(con: duckdb.DuckDBPyConnection, table: Table) -> pl.DataFrame:
    """The rows of a declared table, its columns in declared order (none yet: an empty frame of
    the declared columns); a table that differs from its declaration is refused."""
    if not table_exists(con, table.name):
        return table.empty()
    check_drift(con, table)
    return con.sql(f"SELECT {', '.join(quoted(c) for c in table.column_names)} FROM {_checked(table.name)}").pl()


def quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def replace_table(con: duckdb.DuckDBPyConnection, table: Table | str, frame: pl.DataFrame) -> None:
    """Replace the table with `frame` (call inside `transaction` to group several).

    A declared table (`tables`) is made from its declaration and `frame` must match it. A name
    is for a table outside the declared schemas (reference, aggregates): it takes the frame's
    columns as they are.
    """
    if isinstance(table, str):
        name = _checked(table)
        if name.rpartition(".")[0] in tables.DECLARED_SCHEMAS:
            raise SchemaMismatchError(f"Cannot write {name}: its tables are declared; declare it in {tables.WHERE}.")
    else:
        name, frame = _checked(table.name), table.check(frame)
    _ensure_schema(con, name)
    with _registered(con, frame) as alias:
        run(con, f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {alias}")


def _insert(con: duckdb.DuckDBPyConnection, table: Table, frame: pl.DataFrame, where: tuple[str, str] | None) -> None:
    name, frame = _checked(table.name), table.check(frame)
    _ensure_schema(con, name)
    with _registered(con, frame) as alias:
        if not table_exists(con, name):
            run(con, f"CREATE TABLE {name} AS SELECT * FROM {alias}")
            return
        check_drift(con, table)
        if where is not None:
            run(con, f"DELETE FROM {name} WHERE {quoted(where[0])} = ?", [where[1]])
        run(con, f"INSERT INTO {name} BY NAME SELECT * FROM {alias}")


def replace_partition(
    con: duckdb.DuckDBPyConnection, table: Table, frame: pl.DataFrame, column: str, value: str
) -> None:
    """Replace the rows of `table` where `column = value` with `frame` (creating the table from
    its declaration). Used for shared quality tables that hold one slice per feed. Call inside a
    transaction."""
    if column not in table.schema:
        raise SchemaMismatchError(f"Cannot replace a slice of {table.name} by {column}: not a declared column.")
    _insert(con, table, frame, (column, value))


def append(con: duckdb.DuckDBPyConnection, table: Table, frame: pl.DataFrame) -> None:
    """Append rows to a history table (creating it from its declaration the first time)."""
    _insert(con, table, frame, None)
