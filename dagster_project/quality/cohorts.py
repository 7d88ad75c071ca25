"""Quality suites for the analyst-facing cohort tables, and their consistency with cohorts.events.

Each table `cohorts.<table>` has a suite `expectations/cohorts_<table>.json`, validated on the
table exactly as `SELECT *` returns it. `validate_frame` hands GX every column as text, so the
suites are written for that form: booleans read `true`/`false`, dates `yyyy-mm-dd` (which
compare correctly as text) and numbers plain decimals (checked with regexes, never compared).

What a single table cannot show is checked on comparison frames, each built by one SQL query
(`sql/quality/cohorts_reconciliation/<check>.sql`) and validated with
`expectations/cohorts_reconciliation.json`. Every frame has the columns `key` (a person_id or
event_id), `expected` and `actual`: the two sides of a full outer join, so a key present on
one side only has a null on the other. Values are compared as text, several at a time as a
struct, e.g. `{'victimisations': 3, 'police_victimisations': 2, ...}`.

- `<table>_vs_events`: the cohort's rows recomputed directly from cohorts.events (who is in it
  and their counts and dates) beside the rows the cohort holds.
- `<table>_relations`: relations between a row's own numbers that GX cannot compare on text
  (e.g. victimisations = police_victimisations + ae_attendances); expected is all true.
- `persons_exist`: every person_id of every cohort table is in cohorts.persons exactly once
  (its SQL names every table of COHORT_TABLES but persons: a new cohort table goes there too).

Results hold counts and suite-defined names only (see `dagster_project.quality.results`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from dagster_project import warehouse
from dagster_project.cohort_tables import COHORT_TABLES
from dagster_project.quality.results import BLOCKING, ExpectationOutcome, SuiteResult
from dagster_project.quality.suites import load_suite, validate_frame

if TYPE_CHECKING:
    import great_expectations as gx

logger = logging.getLogger(__name__)

RECONCILIATION_SUITE = "cohorts_reconciliation"
COMPARISON_COLUMNS: tuple[str, ...] = ("key", "expected", "actual")
RECONCILIATION_SQL_DIR = "quality/cohorts_reconciliation"

# The tables compared with what cohorts.events implies (`<table>_vs_events.sql`): every cohort
# table of the registry but events itself; and those whose rows' own numbers are related
# (`<table>_relations.sql`): all of them but domestic_abuse, whose rows carry no totals of
# their own. In the registry's order, the order they are checked.
_VS_EVENTS: tuple[str, ...] = tuple(name for name in COHORT_TABLES if name != "events")
_RELATIONS: tuple[str, ...] = tuple(name for name in _VS_EVENTS if name != "domestic_abuse")


def cohort_suite_name(table: str) -> str:
    """The suite for `cohorts.<table>`: `cohorts_<table>`."""
    if table not in COHORT_TABLES:
        raise ValueError(f"Not a cohort table: {table!r}. Known tables: {', '.join(COHORT_TABLES)}.")
    return f"cohorts_{table}"


def cohort_table_sql(table: str) -> str:
    """The query whose result the table's suite validates: the table as it stands."""
    cohort_suite_name(table)  # validates the name
    return f"SELECT * FROM cohorts.{table}"


def reconciliation_sqls() -> dict[str, str]:
    """One SELECT per consistency check, each giving (key, expected, actual), by check name."""
    return {name: sql for name, (sql, _reads) in _reconciliations().items()}


def reconciliation_frames(con: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    """Every comparison frame of `reconciliation_sqls`, read from the warehouse on `con`."""
    warehouse.define_macros(con)  # the victimisation and offending rules
    return {name: con.sql(sql).pl() for name, sql in reconciliation_sqls().items()}


def validate_cohorts(
    con: duckdb.DuckDBPyConnection, *, label: str, tables: Iterable[str] = COHORT_TABLES
) -> list[SuiteResult]:
    """Validate every cohort table against its suite, then every comparison frame.

    `label` names the warehouse or run in the results (e.g. "demo"); each result's label adds
    the table or check, e.g. "demo: cohorts.victims" or "demo: victims_vs_events". `tables`
    limits the run to those tables' suites and the comparisons that read any of them (e.g.
    after one cohort is rebuilt). A table or frame that cannot be read gives a failed result
    naming the exception type, never an exception, so one broken table does not hide the
    verdict on the others.
    """
    chosen = set(tables)
    for table in chosen:
        cohort_suite_name(table)  # validates the name
    warehouse.define_macros(con)  # the comparisons use the victimisation and offending rules
    results = [
        _validate_sql(con, cohort_table_sql(table), cohort_suite_name(table), f"{label}: cohorts.{table}")
        for table in COHORT_TABLES
        if table in chosen
    ]
    suite = load_suite(RECONCILIATION_SUITE)
    results += [
        _validate_sql(con, sql, RECONCILIATION_SUITE, f"{label}: {name}", suite=suite)
        for name, (sql, reads) in _reconciliations().items()
        if chosen & reads
    ]
    return results


def _validate_sql(
    con: duckdb.DuckDBPyConnection, sql: str, suite_name: str, label: str, suite: gx.ExpectationSuite | None = None
) -> SuiteResult:
    """Read the frame `sql` selects and validate it; a query that fails is a failed result."""
    suite = suite if suite is not None else load_suite(suite_name)
    try:
        frame = con.sql(sql).pl()
    except duckdb.Error as exc:  # the message may quote data: keep the type only
        error = type(exc).__name__
        logger.warning("suite %s on %s: the frame could not be read (%s)", suite_name, label, error)
        outcome = ExpectationOutcome(
            expectation_type="frame_read",
            column=None,
            severity=BLOCKING,
            description=f"The frame for {label} could be read from the warehouse.",
            success=False,
            exception=error,
        )
        return SuiteResult.from_outcomes(suite_name, label, 0, [outcome])
    return validate_frame(frame, suite_name, label=label, suite=suite)


def _reconciliations() -> dict[str, tuple[str, set[str]]]:
    """Each check's SQL, read from its file, and the cohort tables it reads (a check runs when
    `validate_cohorts` is asked for any of them)."""
    reads = {f"{table}_vs_events": {table, "events"} for table in _VS_EVENTS}
    reads |= {f"{table}_relations": {table} for table in _RELATIONS}
    reads["persons_exist"] = set(COHORT_TABLES)
    return {
        name: (warehouse.load_sql(f"{RECONCILIATION_SQL_DIR}/{name}.sql"), tables) for name, tables in reads.items()
    }
