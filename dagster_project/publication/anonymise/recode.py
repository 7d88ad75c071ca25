"""Building the default tier (`build_default_tier`) on a connection to the full-detail warehouse.

What the default tier does (SQL in `sql/analyst/`, composed here):

1. Persons are generalised along one hierarchy, each group taken as a whole (local recoding):
   home council, sex, age band → sex and age band → nothing. A person is published at the
   finest level whose group holds at least `k` persons *and* in which every kind of record
   (police victim, suspect, offender or other police record, A&E attendance, social care
   referral, YOS outcome) is held by none or at least `k` of them; the few holders of a
   kind that would be thin in their group move up a level on their own. The home
   neighbourhood is never published: a neighbourhood group of five persons has too few events
   to publish any of their periods (measured: it cost nine in ten of their events their dates).
   A person no level can hide is withheld from the default tier (restricted tier only).
2. Events are then generalised along the period: month and time of day → month → quarter →
   year → none, grouped by the person's published area, sex and age band *and the kind of
   record* (feed and role), so that "A&E in March, female, 25-34, Luton" matches at least `k`
   persons. Where the group left at the month or the last level is below `k`, persons it
   lacks are brought down to it from a finer group that keeps `k` without them, or else a
   whole finer group (padding). Because of step 1, the last level always reaches `k`.
3. The events table is written from those two results (`sql/analyst/tables/events.sql`):
   what each source record says (feed, role, category, flags, counts), its published period,
   and the person's published area, sex and age band, with person and event ids drawn afresh
   in random order (the warehouse's ids follow the records' order, hence their dates). Exact
   ages, event places, hours, weekdays, ethnicity and occurrence ids are dropped.
4. Every other table is derived from the published events alone (`published_spans.sql`, then
   `sql/analyst/tables/<table>.sql`), so a person's area, sex and age band are the same
   wherever they appear and no column says more than the published events: months are given
   where the published periods pin them, orders and gaps where the periods show them, and
   flags the restricted tier works out from exact dates, ages or windows in days (reported to
   police within 14 days, three victimisations within 365 days, an A&E attendance after the
   first exploitation flag, under 25 at a record) are worked out from the published periods
   and age bands instead, as what those certainly show.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb

from dagster_project import warehouse
from dagster_project.publication.anonymise.tier import (
    DERIVED_TABLES,
    EVENT_LEVELS,
    PADDED_EVENT_LEVELS,
    PADDED_PERSON_LEVELS,
    PERSON_LEVELS,
    PUBLISHED_SPANS,
    K,
    _run_file,
    define_tier_macros,
)

logger = logging.getLogger(__name__)


class AnonymisationError(RuntimeError):
    """The default tier could not be built as promised (a bug, never a property of the data)."""


@dataclass(frozen=True)
class Recoding:
    """Where the generalisation put persons and events: counts per level, and what was withheld."""

    k: int
    persons_by_level: dict[str, int]
    events_by_level: dict[str, int]
    persons_withheld: int
    passes: int

    @property
    def persons(self) -> int:
        return sum(self.persons_by_level.values())

    @property
    def events(self) -> int:
        return sum(self.events_by_level.values())

    def as_metadata(self) -> dict[str, float | int]:
        persons, events = max(self.persons, 1), max(self.events, 1)
        return {
            "k": self.k,
            "persons_published": self.persons,
            "persons_withheld": self.persons_withheld,
            **{f"persons_at_{level}": n / persons for level, n in self.persons_by_level.items()},
            **{f"events_at_{level}": n / events for level, n in self.events_by_level.items()},
        }


def _recode(con: duckdb.DuckDBPyConnection, levels: int, padded: frozenset[int]) -> int:
    """Settle every unit of `anon_units` at the finest level where its group is k-anonymous.

    At each level, repeatedly: settle the k-anonymous groups; on a padded level, bring down into
    each group below k persons the persons it lacks from a finer group under it (recode_pad.sql);
    move the holders of a thin kind out of groups that are otherwise large enough (up a level,
    or withheld at the last). What is left moves up a level (or is withheld at the last). Units
    only ever move up, so the loop ends. Returns the number of passes.
    """
    passes = 0
    for level in range(levels):
        last = level == levels - 1
        warehouse.run(con, f"SET VARIABLE anon_level = {level}")
        warehouse.run(con, f"SET VARIABLE anon_last = {'TRUE' if last else 'FALSE'}")
        while True:
            passes += 1
            _run_file(con, "recode_settle")
            if level in padded and _run_file(con, "recode_pad")[0][0] > 0:
                continue
            if _run_file(con, "recode_split")[0][0] > 0:
                continue
            break
        _run_file(con, "recode_withhold" if last else "recode_raise")
    left = con.sql("SELECT count(*) FROM anon_units WHERE NOT settled AND NOT withheld").fetchall()[0][0]
    if left:
        raise AnonymisationError(f"{left} unit(s) were neither settled nor withheld after the last level.")
    return passes


def _by_level(con: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> dict[str, int]:
    counts = dict(con.sql("SELECT level, count(*) FROM anon_units WHERE settled GROUP BY level").fetchall())
    return {name: int(counts.get(i, 0)) for i, name in enumerate(names)}


def _derive(con: duckdb.DuckDBPyConnection, window_days: int | None) -> dict[str, str]:
    """Derive every table of DERIVED_TABLES as `default_<table>` from `default_events` alone.

    `window_days`: the unreported-assaults window (days either side). Returns the tables whose
    SQL failed, with the kind of error (empty when every one was derived).
    """
    value = "NULL" if window_days is None else str(int(window_days))
    warehouse.run(con, f"SET VARIABLE analyst_window_days = {value}")
    try:
        _run_file(con, PUBLISHED_SPANS)
    except duckdb.Error as error:  # the events lack a period column: nothing can be derived
        return {PUBLISHED_SPANS: type(error).__name__}
    failed = {}
    for table in DERIVED_TABLES:
        try:
            warehouse.run(con, warehouse.load_sql(f"analyst/tables/{table}.sql"))
        except duckdb.Error as error:  # the kind of error only: a message may quote a value
            failed[table] = type(error).__name__
    return failed


def published_span(con: duckdb.DuckDBPyConnection) -> tuple[str | None, str | None]:
    """The first and last month (YYYY-MM) the published events' periods cover (`published_spans` on
    `con`): what the default tier's `main.about` says, rather than the months of two exact dates."""
    first, last = con.sql(
        "SELECT strftime(min(period_start), '%Y-%m'), strftime(max(period_end), '%Y-%m') FROM published_spans"
    ).fetchall()[0]
    return first, last


def write_default_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Write every default-tier table as `default_<table>` on `con` from the recoding's results
    (`anon_person`, `anon_event`): the events from them and the warehouse's `cohorts.events`,
    every other table from the published events alone."""
    warehouse.run(con, warehouse.load_sql("analyst/tables/events.sql"))
    window = con.sql("SELECT max(window_days) FROM cohorts.unreported_assaults").fetchall()[0][0]
    failed = _derive(con, window)
    if failed:
        raise AnonymisationError(
            "Could not derive the default tier's "
            + ", ".join(f"{t} ({e})" for t, e in failed.items())
            + " from its events (sql/analyst/tables/<table>.sql)."
        )


def build_default_tier(con: duckdb.DuckDBPyConnection, k: int = K) -> Recoding:
    """Build the default tier's tables as temporary tables `default_<table>` on `con`.

    `con` must hold the full-detail `cohorts.*` tables and `reference.lsoa`. Nothing is
    written to its database: everything lives in the connection's temporary schema.
    """
    if k < 2:
        raise ValueError(f"k must be at least 2 for k-anonymity; supplied value {k}.")
    warehouse.run(con, f"SET VARIABLE anon_k = {int(k)}")
    define_tier_macros(con)
    _run_file(con, "person_units")
    _run_file(con, "recode_groups")
    passes = _recode(con, len(PERSON_LEVELS), PADDED_PERSON_LEVELS)
    persons_by_level = _by_level(con, PERSON_LEVELS)
    withheld = con.sql("SELECT count(*) FROM anon_units WHERE withheld").fetchall()[0][0]
    _run_file(con, "person_result")
    _run_file(con, "event_units")
    passes += _recode(con, len(EVENT_LEVELS), PADDED_EVENT_LEVELS)
    if con.sql("SELECT count(*) FROM anon_units WHERE withheld").fetchall()[0][0]:
        raise AnonymisationError("An event of a published person could not be hidden at any period level.")
    events_by_level = _by_level(con, EVENT_LEVELS)
    _run_file(con, "event_result")
    write_default_tables(con)
    published = con.sql("SELECT count(*) FROM default_persons").fetchall()[0][0]
    if published != sum(persons_by_level.values()):
        raise AnonymisationError(
            f"{sum(persons_by_level.values())} persons were published but the events give {published}."
        )
    recoding = Recoding(k, persons_by_level, events_by_level, int(withheld), passes)
    logger.info(
        "Default tier: %d persons (%d withheld), %d events, k=%d, %d passes",
        recoding.persons,
        recoding.persons_withheld,
        recoding.events,
        k,
        passes,
    )
    return recoding
