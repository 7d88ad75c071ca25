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
3. Every person-level table is rebuilt from those two results (`warehouse/analyst/tables/`):
   a person's area, sex and age band are the same wherever they appear, dates become months
   only where the events' published periods pin them, exact ages, event places, hours,
   weekdays, ethnicity and occurrence ids are dropped, and person and event ids are drawn
   afresh in random order (the warehouse's ids follow the records' order, hence their dates).

`measure` computes, on any snapshot (this tier, the restricted tier or an old single
snapshot), the share of persons and events in groups below `k` for the promised
quasi-identifiers and for the wider ones a determined attacker could use; `breaches` says which
promised ones fail. Run it from the command line:

    python -m dagster_project.publication.anonymise --snapshot warehouse/analyst.duckdb

What it does not protect: an attacker who knows several of a person's events, or the A&E
setting or offence as well, can still single many out (the figures say how many); k-anonymity
does not stop attribute disclosure (all k persons of a group may share a flag); and the
restricted tier keeps every detail. Those are for named analysts and the file permissions.
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
    for table in DEFAULT_TABLES:
        warehouse.run(con, warehouse.load_sql(f"analyst/tables/{table}.sql"))
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
    FigureSpec("events_kind_time", "events", ("area", "sex", "age_band", "feed", "role", "period", "time"),
               "events: ... and time of day (hour before the tiers)"),
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
        tier = "default tier (coarsened)" if is_default_tier(con) else "full detail"
        figures = measure(con, args.k)
    sys.stdout.write(f"{args.snapshot}: {tier}, k = {args.k}\n{figures_markdown(figures, args.k)}\n")
    failing = breaches(figures)
    if failing and tier.startswith("default"):
        sys.stdout.write("BREACH: " + "; ".join(f.spec.description for f in failing) + "\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
