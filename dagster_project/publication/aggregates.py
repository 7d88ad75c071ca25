"""Aggregates for publication: counts from the cohort tables, protected together before they are kept.

Each table's counts come from `sql/aggregates/<name>.sql` (dimension columns and a
`count`), its denominators (where residents are known) from `denominators_<...>.sql`. Every
table is suppressed on its own first (`disclosure.suppress`), then all of them together
(`audit.protect_together`) until no reader holding every published number, the public lookups
(`lookup_*.sql`), the knowledge of which tables count the same people and how each table lists
its labels can tell a small count from an empty one beyond what the table's shape says, nor,
even taking every hidden count to be non-zero, from a publishable one; the final audit says so
(`publish_all`). Only the published frames (count, `suppressed`, `is_total`, rates) are ever
written: unprotected counts and the reasons for hiding stay in memory.

How a table lists its labels is declared per publication (`Publication.listed_in_full`), since
a reader learns from it: the SQL groups by its dims, so a label is listed only when some row
has it, and its margin (a one-way table's row, a two-way table's row or column total, for the
labels of both dims) is at least 1; a two-way table's cells can still be 0, as the grid fills
absent combinations with zeros. A dim in `listed_in_full` takes its labels from a reference
list instead, each listed even with a count of 0 (every neighbourhood of `reference.lsoa`);
its 'Not known' row is still listed only when it occurs.

Missing values: a row with no value in a dimension (no date, hour, neighbourhood, council, sex,
age band, deprivation decile, police record) is counted in that dimension's 'Not known' category
(ethnic group: 'Not stated'), never dropped, so every table of a population has the same total
and the shared margins the audit relies on stay true.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb
import polars as pl

from dagster_project import warehouse
from dagster_project.publication.audit import (
    AuditResult,
    AuditTable,
    LinkedTable,
    Relations,
    protect_together,
)
from dagster_project.publication.disclosure import SuppressedTable, publish, suppress

# Counts from 1 to MIN_PUBLISHED_COUNT - 1 are never published (the disclosure threshold; not
# to be confused with linkage's match probability, `linkage.run.DEFAULT_MATCH_PROBABILITY`).
MIN_PUBLISHED_COUNT = 5
TOTAL = "Total"
NOT_KNOWN = ("Not known", "Not stated")

# Who each table counts. Tables of one population share every margin they have in common.
VICTIMS = "victims"  # persons in cohorts.victims
VICTIMISATIONS = "victimisations"  # police victim records and A&E assault attendances
ASSAULT_ATTENDANCES = "assault_attendances"  # A&E assault attendances (cohorts.unreported_assaults)
EXPLOITATION_RISK = "exploitation_risk"  # persons in cohorts.exploitation_risk

# Totals an attacker knows are ordered: every victim has at least one victimisation, and every
# A&E assault attendance is a victimisation.
POPULATION_BOUNDS = ((VICTIMS, VICTIMISATIONS), (ASSAULT_ATTENDANCES, VICTIMISATIONS))

# Public lookups (SQL under sql/aggregates/): label combinations that occur together.
LOOKUPS = ("lookup_geography.sql", "lookup_event_date.sql")


@dataclass(frozen=True)
class Publication:
    name: str
    dims: tuple[str, ...]
    unit: str
    population: str
    denominators: str | None = None  # SQL file under sql/aggregates/, keyed by some dims
    # Dims whose labels come from a reference list, each listed even with a count of 0 (its
    # 'Not known' only when it occurs); every other dim is grouped by: a label is listed only
    # when some row has it. The audit's readers know this (module docstring).
    listed_in_full: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [d for d in self.listed_in_full if d not in self.dims]
        if unknown:
            raise ValueError(
                f"publication {self.name!r}: listed_in_full names {unknown[0]!r}, "
                f"which is not one of its dims {list(self.dims)!r}."
            )

    def listed_always(self, keys: Iterable[Sequence[str]]) -> tuple[frozenset[str], ...]:
        """Per dim, the labels among `keys` the table lists whatever their count (for the audit)."""
        keys = list(keys)
        return tuple(
            frozenset(k[d] for k in keys if k[d] != TOTAL and k[d] not in NOT_KNOWN)
            if dim in self.listed_in_full
            else frozenset()
            for d, dim in enumerate(self.dims)
        )

    @property
    def sql_file(self) -> str:
        return f"aggregates/{self.name}.sql"

    def description(self) -> str:
        return warehouse.load_sql(self.sql_file).splitlines()[0].lstrip("- ").split(":", 1)[-1].strip()


PUBLICATIONS = (
    Publication(
        "victims_by_council_and_age_band",
        ("council", "age_band"),
        "persons",
        VICTIMS,
        "denominators_council_age_band.sql",
    ),
    Publication("victims_by_council_and_sex", ("council", "sex"), "persons", VICTIMS, "denominators_council_sex.sql"),
    Publication(
        "victims_by_neighbourhood",
        ("neighbourhood",),
        "persons",
        VICTIMS,
        "denominators_neighbourhood.sql",
        listed_in_full=("neighbourhood",),
    ),
    Publication(
        "victims_by_deprivation_decile",
        ("deprivation_decile",),
        "persons",
        VICTIMS,
        "denominators_deprivation_decile.sql",
    ),
    Publication("victims_by_ethnic_group", ("ethnic_group",), "persons", VICTIMS),
    Publication("victimisations_by_month", ("month",), "events", VICTIMISATIONS),
    Publication("victimisations_by_weekday_and_hour", ("weekday", "hour"), "events", VICTIMISATIONS),
    Publication("unreported_assaults_by_council", ("council", "police_record"), "events", ASSAULT_ATTENDANCES),
    Publication(
        "exploitation_risk_by_council_and_sex",
        ("council", "sex"),
        "persons",
        EXPLOITATION_RISK,
        "denominators_council_sex_under_25.sql",
    ),
)


@dataclass(frozen=True)
class Release:
    """Every publication's publishable frame, the audit of all of them together, and what
    changed across tables. The audit's intervals carry the true counts of hidden cells (for
    tests and tools): never write them; `audit.summary()` holds none."""

    tables: dict[Publication, pl.DataFrame]
    audit: AuditResult
    hidden_across_tables: dict[str, int]  # hidden for another table's sake
    revealed: dict[str, int]  # secondary suppressions published again: fixed exactly anyway
    not_known: dict[str, int]


def counts(con: duckdb.DuckDBPyConnection, publication: Publication) -> pl.DataFrame:
    """The true counts of one publication (dims as String, `count`): never written."""
    frame = con.sql(warehouse.load_sql(publication.sql_file)).pl()
    frame = frame.with_columns(pl.col("count").cast(pl.Int64))
    return frame.with_columns([pl.col(d).cast(pl.String) for d in publication.dims])


def relations(con: duckdb.DuckDBPyConnection) -> Relations:
    """What the public knows links the tables: the lookups and the population bounds."""
    lookups = tuple(con.sql(warehouse.load_sql(f"aggregates/{name}")).pl() for name in LOOKUPS)
    return Relations(lookups=lookups, at_most=POPULATION_BOUNDS)


def build(con: duckdb.DuckDBPyConnection, publication: Publication) -> pl.DataFrame:
    """The table for one publication protected on its own (no cross-table audit): for a
    look at one table; the pipeline publishes through `publish_all`."""
    frame = counts(con, publication)
    table = _suppressed(frame, publication)
    if table is None:
        return _empty(publication)
    return _publish(con, publication, table, frame)


def publish_all(con: duckdb.DuckDBPyConnection, *, threshold: int = MIN_PUBLISHED_COUNT) -> Release:
    """Count, suppress each table, protect all of them together, audit, and give the frames."""
    true_counts = {p: counts(con, p) for p in PUBLICATIONS}
    suppressed = {p: _suppressed(true_counts[p], p, threshold) for p in PUBLICATIONS}
    linked = [
        LinkedTable(p.name, p.population, t, p.listed_always(t.keys)) for p, t in suppressed.items() if t is not None
    ]
    links = relations(con)
    changes = protect_together(linked, links, threshold=threshold)
    tables = {p: _empty(p) if t is None else _publish(con, p, t, true_counts[p]) for p, t in suppressed.items()}
    return Release(
        tables=tables,
        audit=changes.audit,
        hidden_across_tables={p.name: sum(1 for n, _ in changes.hidden if n == p.name) for p in PUBLICATIONS},
        revealed={p.name: sum(1 for n, _ in changes.revealed if n == p.name) for p in PUBLICATIONS},
        not_known={p.name: _not_known(true_counts[p], p) for p in PUBLICATIONS},
    )


def attacker_tables(
    con: duckdb.DuckDBPyConnection, *, schema: str = "aggregates", use_labels: bool = False
) -> list[AuditTable]:
    """The published tables as an attacker reads them from a warehouse or the analyst
    snapshot (with `use_labels`, a `suppression` column published by older versions is used)."""
    out = []
    for p in PUBLICATIONS:
        name = f"{schema}.{p.name}"
        if not warehouse.table_exists(con, name):
            continue
        frame = warehouse.read_table(con, name)
        out.append(
            AuditTable.from_frame(
                p.name,
                p.population,
                p.dims,
                frame,
                label_column="suppression" if use_labels else None,
                threshold=MIN_PUBLISHED_COUNT,
                listed_always=p.listed_always(frame.select(p.dims).iter_rows()),
            )
        )
    return out


def _suppressed(
    frame: pl.DataFrame, publication: Publication, threshold: int = MIN_PUBLISHED_COUNT
) -> SuppressedTable | None:
    if frame.is_empty():
        return None
    return suppress(frame, list(publication.dims), threshold=threshold)


def _publish(
    con: duckdb.DuckDBPyConnection, publication: Publication, table: SuppressedTable, frame: pl.DataFrame
) -> pl.DataFrame:
    denominators = None
    if publication.denominators:
        denominators = _with_unknowns(frame, con.sql(warehouse.load_sql(f"aggregates/{publication.denominators}")).pl())
    return publish(table, denominators=denominators)


def _empty(publication: Publication) -> pl.DataFrame:
    """Nothing to publish yet: an empty table of the right shape."""
    return pl.DataFrame(
        schema={
            **{d: pl.String for d in publication.dims},
            "count": pl.Int64,
            "suppressed": pl.Boolean,
            "is_total": pl.Boolean,
        }
    )


def _not_known(frame: pl.DataFrame, publication: Publication) -> int:
    """How many counted rows fall in a 'Not known' category of some dimension."""
    if frame.is_empty():
        return 0
    unknown = pl.any_horizontal([pl.col(d).is_in(NOT_KNOWN) for d in publication.dims])
    return int(frame.filter(unknown).get_column("count").sum())


def _with_unknowns(counts: pl.DataFrame, denominators: pl.DataFrame) -> pl.DataFrame:
    """Denominators for every combination of the key dimensions' values, with 0 residents
    for categories the population file lacks ("Not known"), so every total still gets a rate
    (the unknown category itself gets none)."""
    keys = [c for c in denominators.columns if c != "residents"]
    denominators = denominators.with_columns([pl.col(k).cast(pl.String) for k in keys])
    grid = None
    for key in keys:
        values = pl.concat([counts.select(key), denominators.select(key)]).unique()
        grid = values if grid is None else grid.join(values, how="cross")
    full = grid.join(denominators, on=keys, how="left").with_columns(pl.col("residents").fill_null(0))
    return full.select(*keys, pl.col("residents").cast(pl.Int64))


def line_violations(table: pl.DataFrame, dims: tuple[str, ...], total: str = "Total") -> list[str]:
    """Independent check of a published table: small published cells, and lines (rows or
    columns with their total) holding exactly one suppressed entry."""
    problems = [
        f"published count {v} below {MIN_PUBLISHED_COUNT}"
        for v in table.filter(pl.col("count").is_not_null()).get_column("count").to_list()
        if 0 < v < MIN_PUBLISHED_COUNT
    ]
    if len(dims) == 1:
        lines = [table]
    else:
        a, b = dims
        lines = [table.filter(pl.col(a) == value) for value in table.get_column(a).unique().to_list()]
        lines += [table.filter(pl.col(b) == value) for value in table.get_column(b).unique().to_list()]
    for line in lines:
        if int(line.get_column("suppressed").sum()) == 1:
            problems.append(
                "a line with exactly one suppressed entry: "
                + ", ".join(f"{d}={line.filter(pl.col('suppressed')).get_column(d)[0]}" for d in dims)
            )
    return problems
