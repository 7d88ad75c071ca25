"""The default analyst tier: person-level cohorts whose quasi-identifiers are coarsened until every
group an attacker can single a neighbour out by holds at least k persons, and the measurement of it.

Who the attacker is. Someone who knows a person in the data from outside it: a neighbour knows
where they live, their sex and roughly their age, and perhaps that they went to A&E, were
assaulted or were arrested around some date. An adversarial test of the single snapshot
published before the tiers found 56% of persons unique on home LSOA, sex and age band, and 96%
of events on those and the date: knowing "my neighbour went to A&E on date X" gave a person id
and every linked record.

What the default tier does (SQL in `warehouse/analyst/`, composed here):

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
3. The events table is written from those two results (`warehouse/analyst/tables/events.sql`):
   what each source record says (feed, role, category, flags, counts), its published period,
   and the person's published area, sex and age band, with person and event ids drawn afresh
   in random order (the warehouse's ids follow the records' order, hence their dates). Exact
   ages, event places, hours, weekdays, ethnicity and occurrence ids are dropped.
4. Every other table is derived from the published events alone (`published_spans.sql`, then
   `warehouse/analyst/tables/<table>.sql`), so a person's area, sex and age band are the same
   wherever they appear and no column says more than the published events: months are given
   where the published periods pin them, orders and gaps where the periods show them, and
   flags the restricted tier works out from exact dates, ages or windows in days (reported to
   police within 14 days, three victimisations within 365 days, an A&E attendance after the
   first exploitation flag, under 25 at a record) are worked out from the published periods
   and age bands instead, as what those certainly show.

`derivation_problems` checks rule 4 on the file about to be published: it copies the file's
published events into an empty in-memory database, derives every other table from them there
(where nothing else exists to read), and lists every column, row or `main.about` period that
differs from what was published, and every events column that is not a published event column
(`EVENT_COLUMNS`) or whose period parts say more than its period level. The blocking
`k_anonymity` check fails on any: a column derived from removed detail is a quasi-identifier
the k measurement does not see (an A&E attendance published with no period, with a flag saying
a police record lies within 14 days of it, is placed near that record's published month).

`measure` computes, on any snapshot (this tier, the restricted tier or an old single
snapshot), the share of persons and events in groups below `k` for the promised
quasi-identifiers and for the wider ones a determined attacker could use; `breaches` says which
promised ones fail. Run it from the command line:

    python -m dagster_project.publication.anonymise --snapshot warehouse/analyst.duckdb

(for a default-tier snapshot it also runs `derivation_problems` and fails on any).

What it does not protect: an attacker who knows several of a person's events, or the A&E
setting or offence as well, can still single many out (the figures say how many); k-anonymity
does not stop attribute disclosure (all k persons of a group may share a flag); the protected
aggregates published beside the tier are counted from exact dates (the attendances reported to
police by council, victimisations by month) and audited among themselves, not against these
tables; and the restricted tier keeps every detail. Those are for named analysts and the file
permissions.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project import warehouse

logger = logging.getLogger(__name__)

K = 5
PERSON_LEVELS: tuple[str, ...] = ("council", "county", "suppressed")
EVENT_LEVELS: tuple[str, ...] = ("month_and_time", "month", "quarter", "year", "none")
# Levels whose groups below k are padded with the smallest finer group under them. Events: the
# month (so publishing the time of day costs no event its month) and the last level (where there
# is nowhere coarser to go). Persons: none. At their last level a group below k holds only thin
# kinds, so its persons are withheld; padding would only pull a whole council group down to
# the suppressed level for persons who are then withheld all the same.
PADDED_PERSON_LEVELS: frozenset[int] = frozenset()
PADDED_EVENT_LEVELS = frozenset({1, 4})

# The person-level tables of the default tier, in the order they are built; each is
# `warehouse/analyst/tables/<name>.sql` and is published as `cohorts.<name>`.
DEFAULT_TABLES: tuple[str, ...] = (
    "events",
    "persons",
    "person_summary",
    "victims",
    "offenders",
    "victim_offender_overlap",
    "repeat_victims",
    "domestic_abuse",
    "exploitation_risk",
    "unreported_assaults",
)
# Every table but the events is derived from the published events alone (published_spans.sql).
DERIVED_TABLES: tuple[str, ...] = DEFAULT_TABLES[1:]
PUBLISHED_SPANS = "published_spans"
# The column naming a row of each derived table (what a difference is reported by).
TABLE_KEYS: dict[str, str] = {table: "person_id" for table in DERIVED_TABLES} | {"unreported_assaults": "event_id"}

# The columns of the default tier's events, the one table written from the warehouse. Each is
# what the source record says, the period the recoding published, or the person's published
# group; none is worked out from an exact date, hour, age or place. A column added to
# tables/events.sql must be added here, with the reason it says nothing the tier removes,
# or the k_anonymity check refuses the publication.
EVENT_COLUMNS: tuple[str, ...] = (
    "event_id", "person_id",  # drawn afresh in random order
    "feed", "role",  # the kind of record (part of the event's group)
    # the published period: parts of event_period only, the time of day only with a month
    "event_period", "event_period_level", "event_year", "event_quarter", "event_month", "time_of_day",
    # what the record says (not measured as quasi-identifiers: see FIGURES for what they single out)
    "category", "domestic_abuse", "sexual_offence", "violence_or_sexual", "knife", "weapon", "admitted",
    "cse_concern", "cce_concern", "exploitation_concern", "missing_episodes", "outcome_type",
    "age_band", "sex", "home_area_level", "council",  # the person's published group
)

# Columns of the restricted tier that must never appear in a default-tier table: exact dates
# and times, ages, places finer than the published area, ethnicity, and gaps in days.
DETAIL_COLUMNS = frozenset({
    "event_date", "event_at", "event_hour", "event_weekday", "night_time_economy", "age_at_event",
    "latest_age", "age_at_first", "age_at_first_contact", "age_at_first_flag", "home_lsoa", "neighbourhood",
    "imd_decile", "event_lsoa", "event_lsoa_is_home", "occurrence_id", "ethnic_group", "first_event_date", "last_event_date",
    "first_victimisation", "last_victimisation", "first_offending", "last_offending", "gap_days",
    "first_flagged", "first_window_start", "first_da_event", "last_da_event", "days_to_police_record",
})


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


def _run_file(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple]:
    return warehouse.run(con, warehouse.load_sql(f"analyst/{name}.sql"))


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
            "Could not derive the default tier's " + ", ".join(f"{t} ({e})" for t, e in failed.items())
            + " from its events (warehouse/analyst/tables/<table>.sql)."
        )


def build_default_tier(con: duckdb.DuckDBPyConnection, k: int = K) -> Recoding:
    """Build the default tier's tables as temporary tables `default_<table>` on `con`.

    `con` must hold the full-detail `cohorts.*` tables and `reference.lsoa`. Nothing is
    written to its database: everything lives in the connection's temporary schema.
    """
    if k < 2:
        raise ValueError(f"k must be at least 2 for k-anonymity; supplied value {k}.")
    warehouse.run(con, f"SET VARIABLE anon_k = {int(k)}")
    _run_file(con, "macros")
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
    logger.info("Default tier: %d persons (%d withheld), %d events, k=%d, %d passes",
                recoding.persons, recoding.persons_withheld, recoding.events, k, passes)
    return recoding


@dataclass(frozen=True)
class FigureSpec:
    """A set of quasi-identifiers an attacker might know, over persons, events or person signatures."""

    name: str
    units: str  # "persons", "events" or "signatures" (qi_<units> in measure_*.sql)
    columns: tuple[str, ...]
    description: str
    enforced: bool = False
    where: str = "TRUE"


FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec("persons", "persons", ("area", "sex", "age_band"),
               "persons: home area, sex, age band", enforced=True),
    FigureSpec("persons_ethnic_group", "persons", ("area", "sex", "age_band", "ethnic_group"),
               "persons: home area, sex, age band, ethnic group"),
    FigureSpec("persons_kinds", "signatures", ("area", "sex", "age_band", "kinds"),
               "persons: home area, sex, age band, which kinds of record they have"),
    FigureSpec("persons_all_events", "signatures", ("area", "sex", "age_band", "events"),
               "persons: home area, sex, age band and every event (kind and period)"),
    FigureSpec("events", "events", ("area", "sex", "age_band", "period"),
               "events: home area, sex, age band, period", enforced=True),
    FigureSpec("events_kind", "events", ("area", "sex", "age_band", "feed", "role", "period"),
               "events: home area, sex, age band, feed and role, period", enforced=True),
    FigureSpec("ae_attendances", "events", ("area", "sex", "age_band", "period"),
               "A&E attendances: home area, sex, age band, period (a neighbour went to A&E)",
               where="feed = 'health'"),
    FigureSpec("ae_attendances_setting", "events", ("area", "sex", "age_band", "period", "category", "weapon", "admitted"),
               "A&E attendances: ... and the setting, weapon and admission (a neighbour stabbed in the street)",
               where="feed = 'health'"),
    # The time of day is published only with a month where five persons of the group share both (README).
    FigureSpec("events_kind_time", "events", ("area", "sex", "age_band", "feed", "role", "period", "time"),
               "events: ... and time of day (hour before the tiers)", enforced=True),
    FigureSpec("events_kind_category", "events", ("area", "sex", "age_band", "feed", "role", "period", "category"),
               "events: ... and offence group / A&E setting / need / offence type"),
    FigureSpec("events_kind_category_weapon", "events",
               ("area", "sex", "age_band", "feed", "role", "period", "category", "knife", "weapon", "admitted"),
               "events: ... and category, knife, weapon, admitted"),
)


@dataclass(frozen=True)
class Figure:
    spec: FigureSpec
    units: int
    below_k: int
    singled_out: int
    groups: int

    @property
    def share_below_k(self) -> float:
        return self.below_k / self.units if self.units else 0.0

    @property
    def share_singled_out(self) -> float:
        return self.singled_out / self.units if self.units else 0.0


def figure_sqls(spec: FigureSpec) -> str:
    """The query measuring one figure (`warehouse/analyst/measure_groups.sql` filled in)."""
    for column in spec.columns:
        if not column.isidentifier():
            raise ValueError(f"Not a column name in figure {spec.name}: {column!r}")
    return warehouse.load_sql("analyst/measure_groups.sql").format(
        units=spec.units, where=spec.where, columns=", ".join(spec.columns)
    )


def is_default_tier(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the snapshot on `con` is a default-tier one (its persons carry home_area_level)."""
    return bool(con.sql(
        "SELECT count(*) FROM information_schema.columns WHERE table_catalog = current_database() "
        "AND table_schema = 'cohorts' AND table_name = 'persons' AND column_name = 'home_area_level'"
    ).fetchall()[0][0])


def measure(con: duckdb.DuckDBPyConnection, k: int = K) -> list[Figure]:
    """Every figure of FIGURES on the snapshot open on `con` (default tier or full detail)."""
    warehouse.run(con, f"SET VARIABLE anon_k = {int(k)}")
    _run_file(con, "macros")
    _run_file(con, "measure_default" if is_default_tier(con) else "measure_detail")
    figures = []
    for spec in FIGURES:
        units, below, single, groups = con.sql(figure_sqls(spec)).fetchall()[0]
        figures.append(Figure(spec, int(units), int(below), int(single), int(groups)))
    return figures


def measure_file(path: Path, k: int = K) -> list[Figure]:
    with duckdb.connect(str(path), read_only=True) as con:
        return measure(con, k)


def breaches(figures: list[Figure]) -> list[Figure]:
    """The promised figures that do not hold: any person or event in a group below k."""
    return [f for f in figures if f.spec.enforced and f.below_k > 0]


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
    problems += [Underivable(name, c, 0, "derived from the published events but not published") for c in ours
                 if c not in theirs]
    problems += [Underivable(name, c, rows, f"published as {theirs[c]}, derived as {ours[c]}") for c in ours
                 if c in theirs and theirs[c] != ours[c]]
    if key not in ours or key not in theirs:
        return problems + [Underivable(name, key, rows, "no key to compare rows by")]
    fill = {"published": published, "derived": derived, "key": _quoted(key)}
    only_published, only_derived, repeated = con.sql(
        warehouse.load_sql("analyst/compare_rows.sql").format(**fill)).fetchall()[0]
    for count, reason in ((only_published, "rows the published events do not give"),
                          (only_derived, "rows the published events give but the table lacks"),
                          (repeated, "rows published more than once")):
        if count:
            problems.append(Underivable(name, key, int(count), reason))
    common = [c for c in ours if c in theirs and c != key]
    if common:
        counts = ", ".join(
            f"count(*) FILTER (WHERE p.{_quoted(c)} IS DISTINCT FROM d.{_quoted(c)})" for c in common)
        differing = con.sql(warehouse.load_sql("analyst/compare_columns.sql").format(**fill, counts=counts)).fetchall()[0]
        problems += [Underivable(name, c, int(n), "differs from what the published events give")
                     for c, n in zip(common, differing, strict=True) if n]
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
        tables = {t for (t,) in con.sql("SELECT schema_name || '.' || table_name FROM duckdb_tables() "
                                        "WHERE database_name = 'published'").fetchall()}
        if "cohorts.events" not in tables:
            warehouse.run(con, "DETACH published")
            return [Underivable("cohorts.events", "*", 0, "not published: nothing to derive the tables from")]
        events = _columns(con, "published.cohorts.events")
        rows = con.sql("SELECT count(*) FROM published.cohorts.events").fetchall()[0][0]
        problems += [Underivable("cohorts.events", c, rows, "not a published event column (anonymise.EVENT_COLUMNS)")
                     for c in events if c not in EVENT_COLUMNS]
        problems += [Underivable("cohorts.events", c, 0, "missing") for c in EVENT_COLUMNS if c not in events]
        kept = ", ".join(_quoted(c) for c in EVENT_COLUMNS if c in events)
        warehouse.run(con, f"CREATE TEMP TABLE default_events AS SELECT {kept} FROM published.cohorts.events")
        windows = [w for (w,) in con.sql(
            "SELECT DISTINCT window_days FROM published.cohorts.unreported_assaults ORDER BY 1").fetchall()
        ] if "cohorts.unreported_assaults" in tables else []
        about = con.sql("SELECT events_from, events_to FROM published.main.about").fetchall() \
            if "main.about" in tables else []
        warehouse.run(con, "DETACH published")

        _run_file(con, "macros")
        period_rows, group_persons = _run_file(con, "check_events")[0]
        if period_rows:
            problems.append(Underivable("cohorts.events", "event_period", int(period_rows),
                                        "period parts or time of day saying more than event_period_level"))
        if group_persons:
            problems.append(Underivable("cohorts.events", "person_id", int(group_persons),
                                        "persons whose published council, sex or age band differs between events"))
        failed = _derive(con, windows[0] if windows else None)
        problems += [Underivable("cohorts.events" if t == PUBLISHED_SPANS else f"cohorts.{t}", "*", 0,
                                 f"cannot be derived from the published events alone ({e})")
                     for t, e in failed.items()]
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
    for column, value, derived in zip(("events_from", "events_to"), about[0] if about else (None, None), span,
                                      strict=True):
        if about and value != derived:
            problems.append(Underivable("main.about", column, 1, "not the span of the published periods"))
    return problems


def figures_markdown(figures: list[Figure], k: int = K) -> str:
    header = f"| quasi-identifiers | units | in groups below {k} | singled out | groups | promised |\n|---|---:|---:|---:|---:|---|\n"
    return header + "\n".join(
        f"| {f.spec.description} | {f.units:,} | {f.share_below_k:.1%} | {f.share_singled_out:.1%} | "
        f"{f.groups:,} | {'yes' if f.spec.enforced else 'no'} |"
        for f in figures
    )


def figures_metadata(figures: list[Figure]) -> dict[str, float]:
    """Each figure's shares as flat numbers (for asset metadata)."""
    out: dict[str, float] = {}
    for f in figures:
        out[f"{f.spec.name}_below_k"] = round(f.share_below_k, 4)
        out[f"{f.spec.name}_singled_out"] = round(f.share_singled_out, 4)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.publication.anonymise",
        description="Measure k-anonymity of an analyst snapshot (default tier, restricted tier, or an old single snapshot).",
    )
    parser.add_argument("--snapshot", type=Path, required=True, help="the snapshot file (opened read-only)")
    parser.add_argument("--k", type=int, default=K)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    if not args.snapshot.is_file():
        parser.error(f"no snapshot file at {args.snapshot}")
    with duckdb.connect(str(args.snapshot), read_only=True) as con:
        default = is_default_tier(con)
        figures = measure(con, args.k)
    tier = "default tier (coarsened)" if default else "full detail"
    sys.stdout.write(f"{args.snapshot}: {tier}, k = {args.k}\n{figures_markdown(figures, args.k)}\n")
    if not default:
        return 0
    failing = breaches(figures)
    underivable = derivation_problems(args.snapshot)
    sys.stdout.write(
        "Every column of every default-tier table follows from its published events.\n" if not underivable
        else "Columns the published events do not give:\n" + "".join(f"- {u}\n" for u in underivable)
    )
    if failing:
        sys.stdout.write("BREACH: " + "; ".join(f.spec.description for f in failing) + "\n")
    if underivable:
        sys.stdout.write(f"BREACH: {len(underivable)} column(s) say more than the published events\n")
    return 1 if failing or underivable else 0


if __name__ == "__main__":
    sys.exit(main())
