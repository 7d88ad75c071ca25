"""Measuring k-anonymity on any analyst snapshot (`measure`), and which promises fail (`breaches`).

`measure` computes, on any snapshot (this tier, the restricted tier or an old single
snapshot), the share of persons and events in groups below `k` for the promised
quasi-identifiers and for the wider ones a determined attacker could use; `breaches` says which
promised ones fail. Run it from the command line:

    python -m dagster_project.publication.anonymise --snapshot warehouse/analyst.duckdb

(for a default-tier snapshot it also runs `derivation_problems` and fails on any).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project import warehouse
from dagster_project.publication.anonymise.tier import K, _run_file, define_tier_macros


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
    FigureSpec("persons", "persons", ("area", "sex", "age_band"), "persons: home area, sex, age band", enforced=True),
    FigureSpec(
        "persons_ethnic_group",
        "persons",
        ("area", "sex", "age_band", "ethnic_group"),
        "persons: home area, sex, age band, ethnic group",
    ),
    FigureSpec(
        "persons_kinds",
        "signatures",
        ("area", "sex", "age_band", "kinds"),
        "persons: home area, sex, age band, which kinds of record they have",
    ),
    FigureSpec(
        "persons_all_events",
        "signatures",
        ("area", "sex", "age_band", "events"),
        "persons: home area, sex, age band and every event (kind and period)",
    ),
    FigureSpec(
        "events",
        "events",
        ("area", "sex", "age_band", "period"),
        "events: home area, sex, age band, period",
        enforced=True,
    ),
    FigureSpec(
        "events_kind",
        "events",
        ("area", "sex", "age_band", "feed", "role", "period"),
        "events: home area, sex, age band, feed and role, period",
        enforced=True,
    ),
    FigureSpec(
        "ae_attendances",
        "events",
        ("area", "sex", "age_band", "period"),
        "A&E attendances: home area, sex, age band, period (a neighbour went to A&E)",
        where="feed = 'health'",
    ),
    FigureSpec(
        "ae_attendances_setting",
        "events",
        ("area", "sex", "age_band", "period", "category", "weapon", "admitted"),
        "A&E attendances: ... and the setting, weapon and admission (a neighbour stabbed in the street)",
        where="feed = 'health'",
    ),
    # The time of day is published only with a month where five persons of the group share both (README).
    FigureSpec(
        "events_kind_time",
        "events",
        ("area", "sex", "age_band", "feed", "role", "period", "time"),
        "events: ... and time of day (hour before the tiers)",
        enforced=True,
    ),
    FigureSpec(
        "events_kind_category",
        "events",
        ("area", "sex", "age_band", "feed", "role", "period", "category"),
        "events: ... and offence group / A&E setting / need / offence type",
    ),
    FigureSpec(
        "events_kind_category_weapon",
        "events",
        ("area", "sex", "age_band", "feed", "role", "period", "category", "knife", "weapon", "admitted"),
        "events: ... and category, knife, weapon, admitted",
    ),
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
    """The query measuring one figure (`sql/analyst/measure_groups.sql` filled in)."""
    for column in spec.columns:
        if not column.isidentifier():
            raise ValueError(f"Not a column name in figure {spec.name}: {column!r}")
    return warehouse.load_sql("analyst/measure_groups.sql").format(
        units=spec.units, where=spec.where, columns=", ".join(spec.columns)
    )


def is_default_tier(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the snapshot on `con` is a default-tier one (its persons carry home_area_level)."""
    return bool(
        con.sql(
            "SELECT count(*) FROM information_schema.columns WHERE table_catalog = current_database() "
            "AND table_schema = 'cohorts' AND table_name = 'persons' AND column_name = 'home_area_level'"
        ).fetchall()[0][0]
    )


def measure(con: duckdb.DuckDBPyConnection, k: int = K) -> list[Figure]:
    """Every figure of FIGURES on the snapshot open on `con` (default tier or full detail)."""
    warehouse.run(con, f"SET VARIABLE anon_k = {int(k)}")
    define_tier_macros(con)
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
