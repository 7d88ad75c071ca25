"""Checking that every table of a default-tier snapshot follows from its published events
(`derivation_problems`): rule 4 of what the default tier does (`anonymise.recode`).

`derivation_problems` checks rule 4 on the file about to be published: it copies the file's
published events into an empty in-memory database, derives every other table from them there
(where nothing else exists to read), and lists every column, row or `main.about` period that
differs from what was published, and every events column that is not a published event column
(`EVENT_COLUMNS`) or whose period parts say more than its period level. The blocking
`k_anonymity` check fails on any: a column derived from removed detail is a quasi-identifier
the k measurement does not see (an A&E attendance published with no period, with a flag saying
a police record lies within 14 days of it, is placed near that record's published month)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project import warehouse
from dagster_project.publication.anonymise.recode import _derive, published_span
from dagster_project.publication.anonymise.tier import (
    DERIVED_TABLES,
    EVENT_COLUMNS,
    PUBLISHED_SPANS,
    TABLE_KEYS,
    _run_file,
    define_tier_macros,
)


@dataclass(frozen=True)
class Underivable:
    """A column (or the rows) of a default-tier table that is not what the published events give."""

    table: str  # e.g. cohorts.victims, or main.about
    column: str
    rows: int
    reason: str

    def __str__(self) -> str:
        return f"{self.table}.{self.column}: {self.reason} ({self.rows:,} rows)"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    return {name: kind for name, kind, *_ in con.sql(f"DESCRIBE {relation}").fetchall()}


def _compare(con: duckdb.DuckDBPyConnection, table: str) -> list[Underivable]:
    """`published.cohorts.<table>` against `default_<table>` derived on `con`, column by column."""
    name, key = f"cohorts.{table}", TABLE_KEYS[table]
    published, derived = f"published.cohorts.{table}", f"default_{table}"
    ours, theirs = _columns(con, derived), _columns(con, published)
    rows = con.sql(f"SELECT count(*) FROM {published}").fetchall()[0][0]
    problems = [Underivable(name, c, rows, "not derivable from the published events") for c in theirs if c not in ours]
    problems += [
        Underivable(name, c, 0, "derived from the published events but not published") for c in ours if c not in theirs
    ]
    problems += [
        Underivable(name, c, rows, f"published as {theirs[c]}, derived as {ours[c]}")
        for c in ours
        if c in theirs and theirs[c] != ours[c]
    ]
    if key not in ours or key not in theirs:
        return problems + [Underivable(name, key, rows, "no key to compare rows by")]
    fill = {"published": published, "derived": derived, "key": _quoted(key)}
    only_published, only_derived, repeated = con.sql(
        warehouse.load_sql("analyst/compare_rows.sql").format(**fill)
    ).fetchall()[0]
    for count, reason in (
        (only_published, "rows the published events do not give"),
        (only_derived, "rows the published events give but the table lacks"),
        (repeated, "rows published more than once"),
    ):
        if count:
            problems.append(Underivable(name, key, int(count), reason))
    common = [c for c in ours if c in theirs and c != key]
    if common:
        counts = ", ".join(f"count(*) FILTER (WHERE p.{_quoted(c)} IS DISTINCT FROM d.{_quoted(c)})" for c in common)
        differing = con.sql(warehouse.load_sql("analyst/compare_columns.sql").format(**fill, counts=counts)).fetchall()[
            0
        ]
        problems += [
            Underivable(name, c, int(n), "differs from what the published events give")
            for c, n in zip(common, differing, strict=True)
            if n
        ]
    return problems


def derivation_problems(path: Path) -> list[Underivable]:
    """Every column of the default-tier snapshot at `path` that its published events do not give.

    The file's `cohorts.events` are copied into an empty in-memory database, where every other
    table is derived from them (the same SQL that built it, `_derive`) with nothing else to
    read; each published table must equal its derivation column by column, and `main.about`'s
    period the published periods' span. The events themselves must hold only EVENT_COLUMNS,
    with period parts that say no more than their period level and one published group per
    person. Empty when the file says nothing its published events do not.
    """
    problems: list[Underivable] = []
    location = str(path).replace("'", "''")
    with duckdb.connect() as con:  # in memory: only what is copied in below exists here
        warehouse.run(con, f"ATTACH '{location}' AS published (READ_ONLY)")
        tables = {
            t
            for (t,) in con.sql(
                "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE database_name = 'published'"
            ).fetchall()
        }
        if "cohorts.events" not in tables:
            warehouse.run(con, "DETACH published")
            return [Underivable("cohorts.events", "*", 0, "not published: nothing to derive the tables from")]
        events = _columns(con, "published.cohorts.events")
        rows = con.sql("SELECT count(*) FROM published.cohorts.events").fetchall()[0][0]
        problems += [
            Underivable("cohorts.events", c, rows, "not a published event column (anonymise.EVENT_COLUMNS)")
            for c in events
            if c not in EVENT_COLUMNS
        ]
        problems += [Underivable("cohorts.events", c, 0, "missing") for c in EVENT_COLUMNS if c not in events]
        kept = ", ".join(_quoted(c) for c in EVENT_COLUMNS if c in events)
        warehouse.run(con, f"CREATE TEMP TABLE default_events AS SELECT {kept} FROM published.cohorts.events")
        windows = (
            [
                w
                for (w,) in con.sql(
                    "SELECT DISTINCT window_days FROM published.cohorts.unreported_assaults ORDER BY 1"
                ).fetchall()
            ]
            if "cohorts.unreported_assaults" in tables
            else []
        )
        about = (
            con.sql("SELECT events_from, events_to FROM published.main.about").fetchall()
            if "main.about" in tables
            else []
        )
        warehouse.run(con, "DETACH published")

        define_tier_macros(con)
        period_rows, group_persons = _run_file(con, "check_events")[0]
        if period_rows:
            problems.append(
                Underivable(
                    "cohorts.events",
                    "event_period",
                    int(period_rows),
                    "period parts or time of day saying more than event_period_level",
                )
            )
        if group_persons:
            problems.append(
                Underivable(
                    "cohorts.events",
                    "person_id",
                    int(group_persons),
                    "persons whose published council, sex or age band differs between events",
                )
            )
        failed = _derive(con, windows[0] if windows else None)
        problems += [
            Underivable(
                "cohorts.events" if t == PUBLISHED_SPANS else f"cohorts.{t}",
                "*",
                0,
                f"cannot be derived from the published events alone ({e})",
            )
            for t, e in failed.items()
        ]
        span = published_span(con) if PUBLISHED_SPANS not in failed else (None, None)

        warehouse.run(con, f"ATTACH '{location}' AS published (READ_ONLY)")
        try:
            for table in DERIVED_TABLES:
                if f"cohorts.{table}" not in tables:
                    problems.append(Underivable(f"cohorts.{table}", "*", 0, "not published"))
                elif table not in failed and PUBLISHED_SPANS not in failed:
                    problems += _compare(con, table)
        finally:
            warehouse.run(con, "DETACH published")
    for column, value, derived in zip(
        ("events_from", "events_to"), about[0] if about else (None, None), span, strict=True
    ):
        if about and value != derived:
            problems.append(Underivable("main.about", column, 1, "not the span of the published periods"))
    return problems
