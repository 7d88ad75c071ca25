"""Tiny aggregate worlds, and an outsider's attack on the published tables written without
`publication.audit` (tests/test_publication_attacks.py).

The world: a county of two councils and four neighbourhoods (`LSOAS`), victims with a home,
sex, age and ethnic group, victimisations with a date and hour, A&E assault attendances with a
home and police-record status, and an exploitation cohort, written as the cohort tables the
aggregate SQL reads (`sql/aggregates/*.sql`).

The attacker (`outsider_intervals`) does not link the published tables pairwise as the audit
does: it sets up one unknown per cell of the joint table of each population (victims:
neighbourhood x age band x sex x ethnic group, the neighbourhood giving council and decile
through the public lookup; victimisations: month x weekday x hour, 'Not known' month exactly
when 'Not known' weekday) and asks every published entry to be the sum of its joint cells. Then
it bounds every hidden entry by linear programming or, as an attacker who knows counts are whole
numbers, by integer programming; optionally with what a reader of the tables knows a priori:
a table built by GROUP BY lists a label only when it occurs (its row or margin is at least 1),
and hidden counts are not 0 (zeros are published).

`python tests/publication_attackers.py --warehouse <veru.duckdb>` measures the same readers on a
real warehouse (with the audit's LP, which the tests check equal to the joint attacker), and an
analyst's use of `reported_to_police` on its default tier.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from dagster_project import warehouse

TOTAL = "Total"
NOT_KNOWN = "Not known"

# (code, name, council, decile): deciles cross councils, as in a real county.
LSOAS = (
    ("E01000001", "Alpha 001A", "Alpha", 1),
    ("E01000002", "Alpha 001B", "Alpha", 4),
    ("E01000003", "Beta 001A", "Beta", 4),
    ("E01000004", "Beta 001B", "Beta", 8),
)
CODES = tuple(code for code, *_ in LSOAS)


@dataclass(frozen=True)
class Victim:
    home: str | None  # an LSOA code of LSOAS, or None
    sex: str | None = "F"
    age: int | None = 30  # age at first victimisation
    ethnic: str | None = "White"


@dataclass(frozen=True)
class Victimisation:
    date: dt.date | None
    hour: int | None = 12
    feed: str = "police"


@dataclass(frozen=True)
class World:
    victims: tuple[Victim, ...]
    victimisations: tuple[Victimisation, ...]
    attendances: tuple[tuple[str | None, bool | None], ...] = ()  # (home, reported to police)
    exploitation: tuple[tuple[str | None, str | None], ...] = ()  # (home, sex)

    def plus_victim(self, victim: Victim, victimisation: Victimisation) -> World:
        return World(
            (*self.victims, victim), (*self.victimisations, victimisation), self.attendances, self.exploitation
        )


def mondays(n: int) -> list[dt.date]:
    """n dates, all Mondays from January to April 2024 in turn (so every month has many)."""
    first = dt.date(2024, 1, 1)  # a Monday
    weeks = [first + dt.timedelta(weeks=w) for w in range(18)]  # the 18 Mondays to 2024-04-29
    return [weeks[i % len(weeks)] for i in range(n)]


def write_world(path: Path, world: World) -> Path:
    """Write `world` as the cohort and reference tables the aggregate SQL reads."""
    lookup = {code: (name, council, decile) for code, name, council, decile in LSOAS}

    def where(code):
        return lookup.get(code, (None, None, None))

    persons = []
    for i, v in enumerate(world.victims):
        name, council, decile = where(v.home)
        persons.append((f"v{i:05d}", v.sex, v.ethnic, v.home, name, council, decile))
    for i, (home, sex) in enumerate(world.exploitation):
        name, council, decile = where(home)
        persons.append((f"x{i:05d}", sex, "White", home, name, council, decile))
    persons_frame = pl.DataFrame(
        persons,
        orient="row",
        schema={
            "person_id": pl.String,
            "sex": pl.String,
            "ethnic_group": pl.String,
            "home_lsoa": pl.String,
            "neighbourhood": pl.String,
            "council": pl.String,
            "imd_decile": pl.Int32,
        },
    )
    victims = pl.DataFrame(
        {"person_id": [f"v{i:05d}" for i in range(len(world.victims))], "age_at_first": [v.age for v in world.victims]},
        schema={"person_id": pl.String, "age_at_first": pl.Int32},
    )
    n_victims = max(len(world.victims), 1)
    events = pl.DataFrame(
        {
            "person_id": [f"v{i % n_victims:05d}" for i in range(len(world.victimisations))],
            "feed": [e.feed for e in world.victimisations],
            "role": ["VICTIM" if e.feed == "police" else "ATTENDANCE" for e in world.victimisations],
            "event_date": [e.date for e in world.victimisations],
            "event_month": [None if e.date is None else e.date.month for e in world.victimisations],
            "event_hour": [e.hour for e in world.victimisations],
        },
        schema={
            "person_id": pl.String,
            "feed": pl.String,
            "role": pl.String,
            "event_date": pl.Date,
            "event_month": pl.Int32,
            "event_hour": pl.Int32,
        },
    )
    attendances = pl.DataFrame(
        {
            "event_id": list(range(len(world.attendances))),
            "home_lsoa": [h for h, _ in world.attendances],
            "reported_to_police": [r for _, r in world.attendances],
        },
        schema={"event_id": pl.Int64, "home_lsoa": pl.String, "reported_to_police": pl.Boolean},
    )
    exploitation = pl.DataFrame(
        {"person_id": [f"x{i:05d}" for i in range(len(world.exploitation))]}, schema={"person_id": pl.String}
    )
    reference = pl.DataFrame(
        [
            (code, name, f"E0600000{1 if council == 'Alpha' else 2}", council, decile)
            for code, name, council, decile in LSOAS
        ],
        orient="row",
        schema={
            "lsoa21cd": pl.String,
            "lsoa21nm": pl.String,
            "lad22cd": pl.String,
            "lad22nm": pl.String,
            "imd_decile": pl.Int32,
        },
    )
    population = pl.DataFrame(
        [
            (code, sex, band, 100 + 7 * n)
            for n, (code, sex, band) in enumerate(
                (c, s, b)
                for c in CODES
                for s in ("F", "M")
                for b in ("0-9", "10-14", "15-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
            )
        ],
        orient="row",
        schema={"lsoa21cd": pl.String, "sex": pl.String, "age_band": pl.String, "residents": pl.Int64},
    )
    with warehouse.connect(path) as con:
        for name, frame in {
            "reference.lsoa": reference,
            "reference.population": population,
            "cohorts.persons": persons_frame,
            "cohorts.victims": victims,
            "cohorts.events": events,
            "cohorts.unreported_assaults": attendances,
            "cohorts.exploitation_risk": exploitation,
        }.items():
            warehouse.replace_table(con, name, frame)
    return path


# --- the outsider ---------------------------------------------------------------------------

# Each population's joint table: the dims of the joint cells, and per published table how a
# joint cell maps to the table's labels.
VICTIM_TABLES = (
    "victims_by_council_and_age_band",
    "victims_by_council_and_sex",
    "victims_by_neighbourhood",
    "victims_by_deprivation_decile",
    "victims_by_ethnic_group",
)
EVENT_TABLES = ("victimisations_by_month", "victimisations_by_weekday_and_hour")
DIMS = {
    "victims_by_council_and_age_band": ("council", "age_band"),
    "victims_by_council_and_sex": ("council", "sex"),
    "victims_by_neighbourhood": ("neighbourhood",),
    "victims_by_deprivation_decile": ("deprivation_decile",),
    "victims_by_ethnic_group": ("ethnic_group",),
    "victimisations_by_month": ("month",),
    "victimisations_by_weekday_and_hour": ("weekday", "hour"),
    "unreported_assaults_by_council": ("council", "police_record"),
    "exploitation_risk_by_council_and_sex": ("council", "sex"),
}
# Tables built by GROUP BY list a label only when it occurs: its row (one-way) or its margin
# (two-way) is at least 1. Only the neighbourhood table lists every neighbourhood, with 0s.
LISTS_EVERY_LABEL = ("victims_by_neighbourhood",)


def entries(frame: pl.DataFrame, dims: tuple[str, ...]) -> list[tuple[tuple[str, ...], int | None]]:
    return [(tuple(r[d] for d in dims), r["count"]) for r in frame.iter_rows(named=True)]


def labels(frame: pl.DataFrame, dim: str) -> list[str]:
    return sorted(v for v in frame.get_column(dim).unique().to_list() if v != TOTAL)


@dataclass
class _Joint:
    """Unknowns of one population's joint table and, per published entry, the cells it sums."""

    size: int
    members: dict[tuple[str, tuple[str, ...]], np.ndarray]


def _victims_joint(tables: dict[str, pl.DataFrame], geography: dict[str, tuple[str, str]]) -> _Joint:
    present = [t for t in VICTIM_TABLES if t in tables]
    neighbourhoods = labels(tables["victims_by_neighbourhood"], "neighbourhood")
    ages = labels(tables["victims_by_council_and_age_band"], "age_band")
    sexes = labels(tables["victims_by_council_and_sex"], "sex")
    ethnic = labels(tables["victims_by_ethnic_group"], "ethnic_group")
    cells = [(n, a, s, e) for n in neighbourhoods for a in ages for s in sexes for e in ethnic]

    def attributes(cell):
        n, a, s, e = cell
        council, decile = geography[n]
        return {
            "neighbourhood": n,
            "council": council,
            "deprivation_decile": decile,
            "age_band": a,
            "sex": s,
            "ethnic_group": e,
        }

    described = [attributes(c) for c in cells]
    members = {}
    for name in present:
        dims = DIMS[name]
        for key, _ in entries(tables[name], dims):
            members[(name, key)] = np.array(
                [
                    i
                    for i, cell in enumerate(described)
                    if all(k == TOTAL or cell[d] == k for d, k in zip(dims, key, strict=True))
                ],
                dtype=np.int64,
            )
    return _Joint(len(cells), members)


def _events_joint(tables: dict[str, pl.DataFrame]) -> _Joint:
    months = labels(tables["victimisations_by_month"], "month")
    weekdays = labels(tables["victimisations_by_weekday_and_hour"], "weekday")
    hours = labels(tables["victimisations_by_weekday_and_hour"], "hour")
    cells = [(m, w, h) for m in months for w in weekdays for h in hours if (m == NOT_KNOWN) == (w == NOT_KNOWN)]
    described = [{"month": m, "weekday": w, "hour": h} for m, w, h in cells]
    members = {}
    for name in EVENT_TABLES:
        dims = DIMS[name]
        for key, _ in entries(tables[name], dims):
            members[(name, key)] = np.array(
                [
                    i
                    for i, cell in enumerate(described)
                    if all(k == TOTAL or cell[d] == k for d, k in zip(dims, key, strict=True))
                ],
                dtype=np.int64,
            )
    return _Joint(len(cells), members)


def _own_joint(name: str, frame: pl.DataFrame) -> _Joint:
    dims = DIMS[name]
    grids = [labels(frame, d) for d in dims]
    cells = [(a,) for a in grids[0]] if len(dims) == 1 else [(a, b) for a in grids[0] for b in grids[1]]
    members = {}
    for key, _ in entries(frame, dims):
        members[(name, key)] = np.array(
            [i for i, cell in enumerate(cells) if all(k == TOTAL or c == k for c, k in zip(cell, key, strict=True))],
            dtype=np.int64,
        )
    return _Joint(len(cells), members)


def outsider_intervals(
    tables: dict[str, pl.DataFrame],
    geography: pl.DataFrame,
    *,
    integer: bool = False,
    present_labels: bool = True,
    hidden_not_zero: bool = False,
) -> dict[tuple[str, tuple[str, ...]], tuple[float, float]]:
    """[min, max] of every hidden entry of the published `tables` (name -> frame).

    `geography`: the public lookup (neighbourhood, council, deprivation_decile). `integer`:
    counts are whole numbers (integer programming). `present_labels`: a label a GROUP BY
    table lists occurs, so its row or margin is at least 1. `hidden_not_zero`: every hidden
    entry is at least 1 (a reader who knows zeros are published).
    """
    geo = {n: (c, d) for n, c, d in geography.select("neighbourhood", "council", "deprivation_decile").iter_rows()}
    geo[NOT_KNOWN] = (NOT_KNOWN, NOT_KNOWN)
    joints: list[_Joint] = []
    if all(t in tables for t in VICTIM_TABLES):
        joints.append(_victims_joint(tables, geo))
    if all(t in tables for t in EVENT_TABLES):
        joints.append(_events_joint(tables))
    for name in ("unreported_assaults_by_council", "exploitation_risk_by_council_and_sex"):
        if name in tables and tables[name].height:
            joints.append(_own_joint(name, tables[name]))
    offsets = np.cumsum([0] + [j.size for j in joints])
    n = int(offsets[-1])
    rows, lows, highs, targets = [], [], [], {}

    def functional(joint_index, cells):
        row = np.zeros(n)
        row[offsets[joint_index] + cells] = 1.0
        return row

    grand = {}
    published = {name: dict(entries(frame, DIMS[name])) for name, frame in tables.items()}
    for j, joint in enumerate(joints):
        for (name, key), cells in joint.members.items():
            value = published[name][key]
            row = functional(j, cells)
            if all(k == TOTAL for k in key):
                grand.setdefault(name, row)
            if value is not None:
                rows.append(row)
                lows.append(value)
                highs.append(value)
                continue
            targets[(name, key)] = row
            if hidden_not_zero:
                rows.append(row)
                lows.append(1)
                highs.append(np.inf)
        if present_labels:
            for (name, key), cells in joint.members.items():
                listed = name not in LISTS_EVERY_LABEL or key == (NOT_KNOWN,)
                if listed and sum(k != TOTAL for k in key) == 1 and published[name][key] is None:
                    rows.append(functional(j, cells))  # a label's row or margin: it occurs
                    lows.append(1)
                    highs.append(np.inf)
    # Population bounds: victims <= victimisations, attendances <= victimisations.
    events_total = grand.get("victimisations_by_month")
    for smaller in ("victims_by_ethnic_group", "unreported_assaults_by_council"):
        if events_total is not None and smaller in grand:
            rows.append(grand[smaller] - events_total)
            lows.append(-np.inf)
            highs.append(0.0)
    a = sparse.csr_matrix(np.array(rows)) if rows else sparse.csr_matrix((0, n))
    solve = _Solver(a, np.array(lows, dtype=float), np.array(highs, dtype=float), integer)
    out = {}
    for key, row in targets.items():
        low = solve(row)
        high = -solve(-row)
        out[key] = (low, high)
    return out


class _Solver:
    """min c.x subject to lows <= a x <= highs, x >= 0 (whole numbers when `integer`)."""

    def __init__(self, a, lows, highs, integer):
        self.n = a.shape[1]
        self.integer = integer
        self.constraint = LinearConstraint(a, lows, highs)
        eq = np.isclose(lows, highs)
        up = ~eq & np.isfinite(highs)
        lo = ~eq & np.isfinite(lows)
        self.a_eq, self.b_eq = (a[eq], lows[eq]) if eq.any() else (None, None)
        a_ub = sparse.vstack([a[up], -a[lo]]).tocsr()
        self.a_ub, self.b_ub = (a_ub, np.concatenate([highs[up], -lows[lo]])) if a_ub.shape[0] else (None, None)

    def __call__(self, c) -> float:
        if self.integer:
            res = milp(c, constraints=self.constraint, integrality=np.ones(self.n), bounds=Bounds(0, np.inf))
            if res.status == 0:
                return float(res.fun)
            if res.status == 3:
                return -np.inf
            raise AssertionError(f"integer attack failed: {res.message}")
        res = linprog(
            c, A_eq=self.a_eq, b_eq=self.b_eq, A_ub=self.a_ub, b_ub=self.b_ub, bounds=(0, None), method="highs"
        )
        if res.status == 3:
            return -np.inf
        if res.status != 0:
            raise AssertionError(f"attack failed: {res.message}")
        return float(res.fun)


def geography_lookup(con) -> pl.DataFrame:
    return con.sql(warehouse.load_sql("aggregates/lookup_geography.sql")).pl()


# --- figures on a real warehouse ---------------------------------------------------------------


def measure_aggregates(path: Path) -> dict[str, dict[str, int]]:
    """Hidden counts from 1 to 4 told small on a warehouse's published tables, per reader.

    The joint-table attacker above is too slow for hundreds of neighbourhoods, so this uses the
    audit's own LP (checked equal to the joint attacker by the tests) with the reader's a priori
    bounds: a listed label occurs; and, for the second reader, no hidden count is 0.
    """
    from dataclasses import replace as with_bounds

    from dagster_project.publication import aggregates
    from dagster_project.publication.audit import audit
    from dagster_project.publication.disclosure import suppress

    with warehouse.connect(path, read_only=True) as con:
        warehouse.define_macros(con)
        tables = aggregates.attacker_tables(con)
        links = aggregates.relations(con)
        truth = {}
        for p in aggregates.PUBLICATIONS:
            t = suppress(aggregates.counts(con, p), list(p.dims))
            truth.update({(p.name, k): v for k, v in zip(t.keys, t.values, strict=True)})

    def floored(t, not_zero):
        low = []
        for key, value in zip(t.keys, t.published, strict=True):
            listed = sum(k != TOTAL for k in key) == 1 and (t.name not in LISTS_EVERY_LABEL or key == (NOT_KNOWN,))
            low.append(1.0 if value is None and (listed or not_zero) else 0.0)
        return with_bounds(t, low=tuple(low))

    out = {}
    for reader, read in (
        ("nothing more (the LP)", tables),
        ("listed labels occur", [floored(t, False) for t in tables]),
        ("and hidden counts are not 0", [floored(t, True) for t in tables]),
    ):
        result = audit(read, links)
        small = [i for i in result.intervals if 0 < truth[(i.table, i.key)] < 5]
        out[reader] = {
            "hidden": len(result.intervals),
            "hidden_small": len(small),
            "hidden_zero": sum(1 for i in result.intervals if truth[(i.table, i.key)] == 0),
            "small_told_small": sum(1 for i in small if i.high < 5 - 1e-6),
            "exact": len(result.exact),
        }
    return out


def period_days(level: str | None, year, quarter, month) -> tuple[dt.date, dt.date] | None:
    """The days a published period of the default tier covers (None: no period published)."""
    if level == "month":
        return dt.date(year, month, 1), dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    if level == "quarter":
        return (
            dt.date(year, 3 * quarter - 2, 1),
            dt.date(year + quarter // 4, (3 * quarter) % 12 + 1, 1) - dt.timedelta(days=1),
        )
    if level == "year":
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    return None


def attendance_windows(con, span: tuple[dt.date, dt.date]) -> list[tuple[str, int, tuple, list[tuple]]]:
    """Per A&E attendance of a default tier (on `con`, tables under cohorts.* or default_*): the
    person, the attendance's id, its published period (or `span`), and the days it can lie on
    once `reported_to_police` is read with the person's published police victim periods."""
    prefix = (
        "default_"
        if con.sql("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'default_events'").fetchall()[0][0]
        else "cohorts."
    )
    police: dict[str, list] = {}
    for person, *period in con.sql(f"""SELECT person_id, event_period_level, event_year, event_quarter, event_month
                                       FROM {prefix}events WHERE feed = 'police' AND role = 'VICTIM'""").fetchall():
        police.setdefault(person, []).append(period_days(*period) or span)
    out = []
    for person, event, level, year, quarter, month, reported, days in con.sql(f"""
            SELECT person_id, event_id, event_period_level, event_year, event_quarter, event_month,
                   reported_to_police, window_days
            FROM {prefix}unreported_assaults""").fetchall():
        window = period_days(level, year, quarter, month) or span
        windows = [window]
        if reported:
            near = [(s - dt.timedelta(days=days), e + dt.timedelta(days=days)) for s, e in police.get(person, [])]
            windows = [w for w in ((max(window[0], s), min(window[1], e)) for s, e in near) if w[0] <= w[1]]
        out.append((person, event, window, windows))
    return out


def measure_reported_flag(path: Path) -> dict[str, int]:
    """Build the default tier of a warehouse in memory and, for every dated A&E attendance of a
    person published with their council, count the persons an attacker who knows the person's
    council, sex, age band and the month of the attendance is left with: from the published
    period alone, and with `reported_to_police` read as well."""
    import duckdb

    from dagster_project.publication import anonymise

    with duckdb.connect(str(path), read_only=True) as con:
        warehouse.define_macros(con)
        anonymise.build_default_tier(con)
        persons = {
            p: rest
            for p, *rest in con.sql(
                "SELECT person_id, home_area_level, council, sex, age_band FROM default_persons"
            ).fetchall()
        }
        months = dict(
            con.sql("""SELECT a.default_event_id, e.event_date FROM anon_event AS a
                                 JOIN cohorts.events AS e USING (event_id) WHERE e.feed = 'health'""").fetchall()
        )
        span = con.sql("SELECT min(event_date), max(event_date) FROM cohorts.events").fetchall()[0]
        rows = attendance_windows(con, span)

    def compatible(person, target):
        level, council, sex, band = persons[person]
        if level == "council":
            return (council, sex, band) == tuple(target[1:])
        return level == "suppressed" or (sex, band) == tuple(target[2:])

    def meets(windows, month):
        first = month.replace(day=1)
        last = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1) - dt.timedelta(days=1)
        return any(a <= last and b >= first for a, b in windows)

    plain, refined = [], []
    for person, event, _, _ in rows:
        target = persons[person]
        if target[0] != "council" or months.get(event) is None:
            continue
        month = months[event]
        plain.append(len({q for q, _, w, _ in rows if compatible(q, target) and meets([w], month)}))
        refined.append(len({q for q, _, _, ws in rows if compatible(q, target) and meets(ws, month)}))
    return {
        "attendances": len(plain),
        "below_5_by_period": sum(n < 5 for n in plain),
        "below_5_with_reported_flag": sum(n < 5 for n in refined),
        "singled_out_with_reported_flag": sum(n == 1 for n in refined),
        "narrowed_by_reported_flag": sum(r < p for p, r in zip(plain, refined, strict=True)),
        "fewest_candidates_with_reported_flag": min(refined, default=0),
    }


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="Attack a warehouse's publications as a reader would.")
    parser.add_argument("--warehouse", type=Path, required=True)
    args = parser.parse_args(argv)
    for reader, figures in measure_aggregates(args.warehouse).items():
        sys.stdout.write(f"aggregates, reader knowing {reader}: {figures}\n")
    sys.stdout.write(f"default tier, A&E attendance in a known month: {measure_reported_flag(args.warehouse)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
