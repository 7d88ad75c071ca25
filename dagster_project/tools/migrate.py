"""`python -m dagster_project.tools.migrate`: bring files made by an older release to the
declared tables, once.

    python -m dagster_project.tools.migrate --warehouse warehouse/veru.duckdb \\
        [--linkage-zone warehouse/linkage_zone.duckdb] [--dry-run]

Every table the platform writes in the staging, quality, linkage and tokens schemas is declared
once (`dagster_project/tables.py`), and a run refuses a table whose columns differ from its
declaration, naming this command. For each declared table in the file it:

- adds a column an older release did not write, with its declared type, and sets it in the
  rows already there to the default declared beside it (left NULL, "not known", where none is);
- gives a column an older release made from nothing but nulls (type NULL) its declared type, and
  widens numbers where the declaration is wider (INTEGER to BIGINT; whole numbers to DOUBLE,
  exact up to 2^53, far beyond any count the platform keeps);
- in the warehouse, drops the tokens and pairwise links an older release wrote there (they
  belong in the owner-only linkage zone, whose copies every run rewrites).

Anything else (a column the platform no longer declares, a type that cannot be converted
without loss) is reported and nothing in any file is changed: decide about it deliberately.
Each file is changed in one transaction and checked against the declarations before it is
committed; a second run finds nothing to do. Tables that are not declared (cohorts, aggregates,
reference) are left alone. The files must not be in use by a run (DuckDB allows one writer).
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project import tables, warehouse
from dagster_project.feeds import FEEDS
from dagster_project.tables import LINKAGE_ZONE, WAREHOUSE, Table

logger = logging.getLogger(__name__)

# Conversions that lose nothing the platform stores: a type, and the wider types it may become.
_WIDER = {
    "NULL": None,  # a column of nothing but nulls takes any type
    "TINYINT": ("SMALLINT", "INTEGER", "BIGINT", "DOUBLE"),
    "SMALLINT": ("INTEGER", "BIGINT", "DOUBLE"),
    "INTEGER": ("BIGINT", "DOUBLE"),
    "BIGINT": ("DOUBLE",),
    "FLOAT": ("DOUBLE",),
}


def declared_tables() -> list[Table]:
    """Every declared table: each feed's own (staging, rejects, tokens) and the shared ones."""
    per_feed = [
        table
        for spec in FEEDS.values()
        for table in (spec.staging_table, tables.rejects(spec.name), tables.tokens(spec.name))
    ]
    return [*per_feed, *tables.SHARED_TABLES]


@dataclass(frozen=True)
class Step:
    """One change to one table, with what it does in words."""

    table: str
    does: str
    sql: str
    params: tuple = ()


@dataclass
class Plan:
    """What migrating one file takes, and what it cannot do without a person deciding."""

    path: Path
    zone: str
    steps: list[Step] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def _lossless(found: str, declared: str) -> bool:
    wider = _WIDER.get(found, ())
    return wider is None or declared in wider


def _column_steps(con: duckdb.DuckDBPyConnection, table: Table, plan: Plan) -> None:
    name = table.name
    found = warehouse.table_columns(con, name)
    for column, dtype in warehouse.declared_sql_types(table).items():
        target = f"ALTER TABLE {name}"
        if column not in found:
            plan.steps.append(
                Step(
                    name, f"added column {column} ({dtype})", f"{target} ADD COLUMN {warehouse.quoted(column)} {dtype}"
                )
            )
            default = table.default(column)
            if default is not None:
                plan.steps.append(
                    Step(
                        name,
                        f"set {column} to {default!r} in the rows an older release wrote",
                        f"UPDATE {name} SET {warehouse.quoted(column)} = ?",
                        (default,),
                    )
                )
        elif found[column] != dtype and _lossless(found[column], dtype):
            plan.steps.append(
                Step(
                    name,
                    f"changed column {column} from {found[column]} to {dtype}",
                    f"{target} ALTER COLUMN {warehouse.quoted(column)} TYPE {dtype}",
                )
            )
        elif found[column] != dtype:
            plan.refused.append(
                f"{name}: column {column} is {found[column]}, declared {dtype}; converting it could lose data. "
                "Convert or drop it deliberately, then run this again."
            )
    plan.refused += [
        f"{name}: column {column} is not declared (no release writes it now). Keep what you need from it and "
        f"drop it (ALTER TABLE {name} DROP COLUMN {warehouse.quoted(column)}), then run this again."
        for column in found
        if column not in table.schema
    ]


def plan_file(con: duckdb.DuckDBPyConnection, path: Path, zone: str) -> Plan:
    """What migrating the file at `path` (the warehouse or the linkage zone) takes."""
    declared = declared_tables()
    plan = Plan(path, zone)
    if zone == WAREHOUSE:
        for table in warehouse.misplaced(con, zone, declared):
            does = f"dropped: it belongs in the {table.zone} only"
            plan.steps.append(Step(table.name, does, f"DROP TABLE {table.name}"))
    for table in declared:
        if table.zone == zone and warehouse.table_exists(con, table.name):
            _column_steps(con, table, plan)
    return plan


def apply(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """Make the plan's changes in one transaction, committed only if every declared table of
    the file then matches its declaration."""
    with warehouse.transaction(con):
        for step in plan.steps:
            warehouse.run(con, step.sql, list(step.params))
            logger.info("%s: %s", step.table, step.does)
        for table in declared_tables():
            if table.zone == plan.zone:
                warehouse.check_drift(con, table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.tools.migrate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--warehouse", type=Path, help="the warehouse file (VERU_WAREHOUSE)")
    parser.add_argument("--linkage-zone", type=Path, help="the linkage zone file (VERU_LINKAGE_ZONE)")
    parser.add_argument("--dry-run", action="store_true", help="say what would change; change nothing")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    files = [(path, zone) for path, zone in ((args.warehouse, WAREHOUSE), (args.linkage_zone, LINKAGE_ZONE)) if path]
    if not files:
        parser.error("name a file: --warehouse and/or --linkage-zone")
    plans = []
    for path, zone in files:
        if not path.is_file():
            logger.error("%s does not exist: nothing to migrate", path)
            return 2
        with warehouse.connect(path, read_only=True) as con:
            plans.append(plan_file(con, path, zone))
    refused = [f"{plan.path}: {reason}" for plan in plans for reason in plan.refused]
    if refused:
        for reason in refused:
            logger.error("%s", reason)
        logger.error("Nothing was changed.")
        return 1
    for plan in plans:
        if not plan.steps:
            logger.info("%s: every declared table matches its declaration; nothing to do", plan.path)
        elif args.dry_run:
            logger.info("%s: would make %d change(s):", plan.path, len(plan.steps))
            for step in plan.steps:
                logger.info("  %s: %s", step.table, step.does)
        else:
            with warehouse.connect(plan.path, private=True) as con:
                apply(con, plan)
            logger.info("%s: %d change(s) made", plan.path, len(plan.steps))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
