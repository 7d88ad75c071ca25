"""Aggregates for publication: counts from the cohort tables, protected before they are kept.

Each table's counts come from `warehouse/aggregates/<name>.sql` (dimension columns and a
`count`), its denominators (where residents are known) from `denominators_<...>.sql`. Only
the output of `protect` (small cells and their complements suppressed, margins added, rates
per 1,000 residents) is ever written: unprotected counts stay in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from dagster_project import warehouse
from dagster_project.publication.disclosure import protect

THRESHOLD = 5


@dataclass(frozen=True)
class Publication:
    name: str
    dims: tuple[str, ...]
    unit: str
    denominators: str | None = None  # SQL file under warehouse/aggregates/, keyed by some dims

    @property
    def sql_file(self) -> str:
        return f"aggregates/{self.name}.sql"

    def description(self) -> str:
        return warehouse.load_sql(self.sql_file).splitlines()[0].lstrip("- ").split(":", 1)[-1].strip()


PUBLICATIONS = (
    Publication("victims_by_council_and_age_band", ("council", "age_band"), "persons", "denominators_council_age_band.sql"),
    Publication("victims_by_council_and_sex", ("council", "sex"), "persons", "denominators_council_sex.sql"),
    Publication("victims_by_neighbourhood", ("neighbourhood",), "persons", "denominators_neighbourhood.sql"),
    Publication("victims_by_deprivation_decile", ("deprivation_decile",), "persons", "denominators_deprivation_decile.sql"),
    Publication("victims_by_ethnic_group", ("ethnic_group",), "persons"),
    Publication("victimisations_by_month", ("month",), "events"),
    Publication("victimisations_by_weekday_and_hour", ("weekday", "hour"), "events"),
    Publication("unreported_assaults_by_council", ("council", "police_record"), "events"),
    Publication(
        "exploitation_risk_by_council_and_sex", ("council", "sex"), "persons", "denominators_council_sex_under_25.sql"
    ),
)


def build(con: duckdb.DuckDBPyConnection, publication: Publication) -> pl.DataFrame:
    """The protected table for one publication."""
    counts = con.sql(warehouse.load_sql(publication.sql_file)).pl().with_columns(pl.col("count").cast(pl.Int64))
    counts = counts.with_columns([pl.col(d).cast(pl.String) for d in publication.dims])
    denominators = None
    if publication.denominators:
        denominators = _with_unknowns(
            counts, con.sql(warehouse.load_sql(f"aggregates/{publication.denominators}")).pl()
        )
    if counts.is_empty():  # nothing to publish yet: an empty table of the right shape
        return pl.DataFrame(schema={**{d: pl.String for d in publication.dims}, "count": pl.Int64,
                                    "suppressed": pl.Boolean, "suppression": pl.String, "is_total": pl.Boolean})
    return protect(counts, list(publication.dims), threshold=THRESHOLD, denominators=denominators)


def _with_unknowns(counts: pl.DataFrame, denominators: pl.DataFrame) -> pl.DataFrame:
    """Denominators for every combination of the key dimensions' values, with 0 residents
    for categories the population file lacks ("Not known"), so every total still gets a rate
    (the unknown category itself gets none)."""
    keys = [c for c in denominators.columns if c != "residents"]
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
        f"published count {v} below {THRESHOLD}"
        for v in table.filter(pl.col("count").is_not_null()).get_column("count").to_list()
        if 0 < v < THRESHOLD
    ]
    if len(dims) == 1:
        lines = [table]
    else:
        a, b = dims
        lines = [table.filter(pl.col(a) == value) for value in table.get_column(a).unique().to_list()]
        lines += [table.filter(pl.col(b) == value) for value in table.get_column(b).unique().to_list()]
    for line in lines:
        if int(line.get_column("suppressed").sum()) == 1:
            problems.append("a line with exactly one suppressed entry: " + ", ".join(
                f"{d}={line.filter(pl.col('suppressed')).get_column(d)[0]}" for d in dims))
    return problems
