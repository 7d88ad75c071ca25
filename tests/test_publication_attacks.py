"""Attacks on the publication side (issue 10, build items 5 and 6), by someone who did not write it.

Each test states a promise of README's "Privacy model" and tries to break it:

- as an outsider holding every published aggregate table (`aggregates.*`), with an attacker
  written without `publication.audit` (tests/publication_attackers.py: one unknown per cell of
  each population's joint table, linear or integer programming, plus what a reader of the tables
  knows: a label a table lists occurs, and zeros are published);
- as an analyst holding the default tier (`analyst.duckdb`), reading only what it publishes.

Worlds are tiny and built by hand, so the truth is known; the publication code is the real
one (the `publication/aggregates` asset, `publish_all`, `snapshot.publish`).
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
from analyst_world import Record, build_warehouse, fixed_records
from publication_attackers import (
    CODES,
    DIMS,
    TOTAL,
    Victim,
    Victimisation,
    World,
    attendance_windows,
    entries,
    geography_lookup,
    mondays,
    outsider_intervals,
    write_world,
)

from dagster_project import warehouse
from dagster_project.publication import snapshot
from dagster_project.publication.aggregates import PUBLICATIONS, publish_all

THRESHOLD = 5


# --- the outsider and the published aggregates ------------------------------------------------


def quiet_world(**changes) -> World:
    """60 victims, 80 victimisations, 40 A&E attendances and 10 young people at risk, in cells of
    at least five everywhere: only what a test changes is small."""
    ethnic = ["White"] * 45 + ["Other"] * 15
    victims = tuple(Victim(CODES[i % 4], "F" if i % 2 else "M", 30, ethnic[i]) for i in range(60))
    fields = {
        "victims": victims,
        "victimisations": tuple(Victimisation(d) for d in mondays(80)),
        "attendances": tuple((CODES[0], i % 2 == 0) for i in range(40)),
        "exploitation": tuple((CODES[0], "F") for _ in range(10)),
    }
    fields.update(changes)
    return World(**fields)


def publish_with_the_asset(path: Path) -> dict[str, pl.DataFrame]:
    """Materialise the real `publication/aggregates` asset and read back what it wrote."""
    from dagster_project.defs.publication.aggregate_assets import aggregates as aggregates_asset
    from dagster_project.resources import WarehouseResource

    result = dg.materialize([aggregates_asset], resources={"warehouse_db": WarehouseResource(path=str(path))})
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["disclosure_audit"].passed, checks["disclosure_audit"].description  # the publisher is satisfied
    with warehouse.connect(path, read_only=True) as con:
        return {p.name: warehouse.read_table(con, f"aggregates.{p.name}") for p in PUBLICATIONS}


def publish_in_memory(path: Path):
    with warehouse.connect(path) as con:
        warehouse.define_macros(con)
        release = publish_all(con)
        geography = geography_lookup(con)
    return release, {p.name: frame for p, frame in release.tables.items()}, geography


def true_small_cells(world_path: Path) -> dict[tuple[str, tuple[str, ...]], int]:
    """Every hidden entry's true count, from the publisher's own audit (never written)."""
    release, _, _ = publish_in_memory(world_path)
    return {(i.table, i.key): i.truth for i in release.audit.intervals}


def told_small(intervals, truth) -> list[tuple[str, tuple[str, ...]]]:
    """Hidden counts from 1 to 4 an attacker can tell from a publishable one (largest value below 5)."""
    return sorted(key for key, (_, high) in intervals.items() if 0 < truth[key] < THRESHOLD and high < THRESHOLD - 1e-6)


def test_two_hidden_rows_of_a_one_way_table_cannot_both_be_told_to_be_1_to_4(tmp_path):
    """Promise (README, published aggregates): every hidden small count "can be anything from 0 to
    at least 5". A one-way table built by GROUP BY lists only the categories that occur, so a
    reader knows each listed row holds at least one person. Two small ethnic groups of 2 and 3
    are hidden together; the total is published, so they sum to 5: each is at least 1, hence at
    most 4. Both are known to be small; the audit's [0, 5] missed that rows exist."""
    ethnic = ["Asian"] * 2 + ["Black"] * 3 + ["Other"] * 10 + ["White"] * 45
    victims = tuple(Victim(CODES[i % 4], "F" if i % 2 else "M", 30, ethnic[i]) for i in range(60))
    path = write_world(tmp_path / "veru.duckdb", quiet_world(victims=victims))
    tables = publish_with_the_asset(path)
    with warehouse.connect(path, read_only=True) as con:
        geography = geography_lookup(con)
    truth = true_small_cells(path)
    hidden = {k for k, v in truth.items()}
    # the two small groups are hidden; protecting them may take a third (Other): with Other, White
    # and the total published, Asian + Black = 5 and each listed row is >= 1, so each is <= 4
    assert hidden >= {("victims_by_ethnic_group", ("Asian",)), ("victims_by_ethnic_group", ("Black",))}

    blind = outsider_intervals(tables, geography, present_labels=False)
    assert told_small(blind, truth) == []  # the audit's own attacker: [0, 5] each
    reader = outsider_intervals(tables, geography, present_labels=True)
    assert told_small(reader, truth) == [], {k: reader[k] for k in told_small(reader, truth)}


def test_a_small_table_whose_grand_total_is_published_does_not_tell_that_every_row_is_small(tmp_path):
    """Six young people at risk of exploitation, two in each of Alpha, Beta and 'Not known': every
    cell and council total is hidden, the grand total (6) and the 'F' total (6) are published. The
    three council rows are listed, so each holds at least one: each is at most 4, all three told
    small (and so are the 'F' cells under them). The same happens with a few attendances in
    unreported_assaults_by_council, and with the weekday rows of events with no hour."""
    exploitation = tuple((home, "F") for home in (CODES[0], CODES[0], CODES[2], CODES[2], None, None))
    path = write_world(tmp_path / "veru.duckdb", quiet_world(exploitation=exploitation))
    release, tables, geography = publish_in_memory(path)
    assert release.audit.passed
    # (the old protection published the grand total 6, which with three listed rows of >= 1 told
    # each row <= 4; the fix may hide it: the promise is only that no small count is told small)
    truth = {(i.table, i.key): i.truth for i in release.audit.intervals}
    reader = outsider_intervals(tables, geography, present_labels=True)
    leaked = told_small(reader, truth)
    assert leaked == [], {k: reader[k] for k in leaked}


def test_a_reader_who_knows_zeros_are_published_still_cannot_tell_a_small_count_from_a_publishable_one(tmp_path):
    """README's stated limit: "zeros are published, so a reader may assume a hidden count is not 0,
    but still cannot tell a small count from a publishable one" (audit.py: "the interval then
    starts at 1 rather than 0 but still reaches the threshold"). Alpha has 2 women and 3 men
    among its victims, Beta 27 and 28: the four council x sex cells are hidden, Alpha's total (5)
    published. The audit gives Alpha's women [0, 5]; a reader assuming no hidden cell is 0 gets
    [1, 4] for both Alpha cells. (`python tests/publication_attackers.py --warehouse <file>`
    measures the same reader on a real warehouse: 3 of 328 hidden small counts told small on a
    3,000-person synthetic world, seed 7.)"""
    victims = (
        [Victim(CODES[0], "F", 30)] * 2
        + [Victim(CODES[0], "M", 30)] * 3
        + [Victim(CODES[2 + i % 2], "F" if i % 2 else "M", 30) for i in range(40)]
        + [Victim(CODES[2 + i % 2], "F" if i % 2 else "M", 30) for i in range(15)]
    )
    ethnic = ["White"] * 45 + ["Other"] * 15
    victims = tuple(Victim(v.home, v.sex, v.age, ethnic[i]) for i, v in enumerate(victims))
    path = write_world(tmp_path / "veru.duckdb", quiet_world(victims=victims))
    release, tables, geography = publish_in_memory(path)
    assert release.audit.passed
    truth = {(i.table, i.key): i.truth for i in release.audit.intervals}
    assert all(v > 0 for v in truth.values())  # the reader's assumption is true here
    assert told_small(outsider_intervals(tables, geography, present_labels=True), truth) == []
    reader = outsider_intervals(tables, geography, present_labels=True, hidden_not_zero=True)
    leaked = told_small(reader, truth)
    assert leaked == [], {k: reader[k] for k in leaked}


def _random_world(seed: int) -> World:
    """A small untuned world: victims anywhere (or nowhere), missing values in every dimension,
    victimisations over the year at a few hours, attendances and an exploitation cohort."""
    rng = random.Random(seed)
    homes = [*CODES, *CODES, None]
    victims = tuple(
        Victim(
            rng.choice(homes),
            rng.choice(["F", "M", "F", "M", None]),
            rng.choice([8, 16, 20, 30, 40, 70, None]),
            rng.choice(["White"] * 5 + ["Asian", "Black", "Mixed", None]),
        )
        for _ in range(rng.randrange(40, 90))
    )
    events = []
    for _ in range(len(victims) + rng.randrange(0, 40)):
        date = None if rng.random() < 0.04 else dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(366))
        events.append(Victimisation(date, None if date is None or rng.random() < 0.05 else rng.choice([0, 12, 21])))
    attendances = tuple((rng.choice(homes), rng.choice([True, False, None])) for _ in range(rng.randrange(5, 30)))
    exploitation = tuple((rng.choice(homes), rng.choice(["F", "M"])) for _ in range(rng.randrange(3, 20)))
    return World(victims, tuple(events), attendances, exploitation)


@pytest.mark.parametrize("seed", [101, 202])
def test_the_audit_is_as_strong_as_an_integer_attacker_on_the_joint_tables(tmp_path, seed):
    """Promise (audit.py): linking tables pairwise on derived margins gives the same intervals as
    an attacker with the joint table of each population, and whole numbers narrow nothing. The
    independent joint-table attacker, by LP and by integer programming, on untuned worlds."""
    path = write_world(tmp_path / "veru.duckdb", _random_world(seed))
    release, tables, geography = publish_in_memory(path)
    assert release.audit.passed
    ours = {(i.table, i.key): (i.low, i.high) for i in release.audit.intervals}
    linear = outsider_intervals(tables, geography, present_labels=False)
    assert linear.keys() == ours.keys()
    for key, (low, high) in linear.items():
        assert ours[key] == pytest.approx((low, high), abs=1e-6), key
    whole = outsider_intervals(tables, geography, present_labels=False, integer=True)
    for interval in release.audit.primary:
        low, high = whole[(interval.table, interval.key)]
        assert low <= 1e-6 and high >= THRESHOLD - 1e-6, (interval.table, interval.key, low, high)
    assert not [k for k, (low, high) in whole.items() if high - low < 1e-6]


def test_hidden_counts_have_no_rate_and_published_rates_follow_from_published_counts(tmp_path):
    """Rates per 1,000 with published residents must not give a hidden count back."""
    path = write_world(tmp_path / "veru.duckdb", _random_world(303))
    _, tables, _ = publish_in_memory(path)
    with_rates = [name for name, frame in tables.items() if "rate_per_1000" in frame.columns]
    assert len(with_rates) == 5
    for name in with_rates:
        frame = tables[name]
        assert frame.filter(pl.col("suppressed") & pl.col("rate_per_1000").is_not_null()).height == 0, name
        shown = frame.filter(~pl.col("suppressed") & (pl.col("residents") > 0))
        for count, residents, rate in shown.select("count", "residents", "rate_per_1000").iter_rows():
            assert rate == pytest.approx(round(count * 1000 / residents, 1), abs=0.051), name


@pytest.mark.xfail(
    strict=True,
    reason=(
        "Documented limit (README: relations not declared, such as other tables or counts published "
        "elsewhere, are not modelled), but the platform itself republishes every table every week: "
        "the difference of two runs is a table of the persons added, with its small counts published."
    ),
)
def test_two_consecutive_publications_do_not_publish_the_victim_added_between_them(tmp_path):
    """Promise (DESIGN principle 8, README): published figures cannot disclose anyone. A delivery
    between two weekly runs adds one victim; every table is republished. Subtracting the two runs'
    published counts gives a table of the victims added; none of its counts may be 1 to 4."""
    before = quiet_world()
    after = before.plus_victim(Victim(CODES[0], "F", 30, "White"), Victimisation(dt.date(2024, 1, 8), 12))
    _, first, _ = publish_in_memory(write_world(tmp_path / "first.duckdb", before))
    _, second, _ = publish_in_memory(write_world(tmp_path / "second.duckdb", after))
    differences = {}
    for name in first:
        old, new = dict(entries(first[name], DIMS[name])), dict(entries(second[name], DIMS[name]))
        for key in old.keys() & new.keys():
            if old[key] is not None and new[key] is not None and old[key] != new[key]:
                differences[(name, key)] = new[key] - old[key]
    cells = {k: v for k, v in differences.items() if TOTAL not in k[1]}
    # What the subtraction says about the one person added: everything the tables cross.
    assert cells == {}, sorted(cells)


# --- the analyst and the default tier ---------------------------------------------------------


def _reported_world() -> list[Record]:
    """Twelve women aged 25-34 in Alpha, each a police victim in March 2024; six also went to A&E
    in March, a few days after. Five of the twelve were police victims again in November (so
    November is published for police victims), and one of them, P00, went to A&E two days after
    her November police record: the only A&E attendance of her group after March."""
    records = []
    for i in range(12):
        person = f"P{i:02d}"
        records.append(Record(person, "police_victim", dt.date(2024, 3, 1 + i), hour=21))
        if i < 6:
            records.append(Record(person, "health", dt.date(2024, 3, 2 + i), hour=22))
    for i in (0, 6, 7, 8, 9):
        records.append(Record(f"P{i:02d}", "police_victim", dt.date(2024, 11, 10 + i), hour=21))
    records.append(Record("P00", "health", dt.date(2024, 11, 12), hour=3))
    return records


def test_an_attendance_published_without_a_period_cannot_be_placed_in_a_month_by_other_columns(tmp_path):
    """Promise (README, two analyst tiers): no event of the default tier is unique on (area, sex,
    age band, kind of record, period), and no table carries back a date or gap another removed.

    The attacker knows their neighbour, a woman of 25-34 in Alpha, went to A&E in November 2024.
    Every A&E attendance of her group is published with no period (the blocking k check passes:
    six persons). But `unreported_assaults.reported_to_police` (with `window_days`, 14) says a
    police victim record lies within 14 days of each: for five of the six persons every police
    record is in March, so their attendances are in February to April. One person is left."""
    default, restricted = tmp_path / "analyst.duckdb", tmp_path / "analyst_restricted.duckdb"
    source = build_warehouse(tmp_path / "veru.duckdb", _reported_world())
    about = {
        "published_at": dt.datetime(2025, 1, 12),
        "run_id": "attack",
        "events_from": dt.date(2024, 3, 1),
        "events_to": dt.date(2024, 11, 17),
        "persons": 12,
    }
    published = snapshot.publish(source, default, restricted, about)
    assert not [f for f in published.figures if f.spec.enforced and f.below_k]  # the k check passed

    with duckdb.connect(str(default), read_only=True) as con:
        group = {
            p
            for (p,) in con.sql("""SELECT person_id FROM cohorts.persons
                                          WHERE council = 'Alpha' AND sex = 'F' AND age_band = '25-34'""").fetchall()
        }
        attendances = attendance_windows(con, (dt.date(2024, 1, 1), dt.date(2024, 12, 31)))  # main.about: 2024

    def in_november(windows):
        return any(start <= dt.date(2024, 11, 30) and end >= dt.date(2024, 11, 1) for start, end in windows)

    by_period = {person for person, _, window, _ in attendances if person in group and in_november([window])}
    by_every_column = {person for person, _, _, windows in attendances if person in group and in_november(windows)}
    assert len(by_period) >= THRESHOLD  # what the k check measures holds
    assert len(by_every_column) >= THRESHOLD, f"{len(by_every_column)} candidate(s) for the neighbour"


def test_the_default_tier_file_holds_no_warehouse_person_id_and_no_record_key_in_its_bytes(tmp_path):
    """Promise: the default tier has fresh ids and no record key, checked on the bytes of the
    published file (a value left in a free page would not show in SQL); no temporary is left and
    the file is 0640."""

    default, restricted = tmp_path / "analyst.duckdb", tmp_path / "analyst_restricted.duckdb"
    source = build_warehouse(tmp_path / "veru.duckdb", fixed_records())
    about = {
        "published_at": dt.datetime(2025, 1, 12),
        "run_id": "attack",
        "events_from": dt.date(2024, 3, 1),
        "events_to": dt.date(2024, 11, 17),
        "persons": 27,
    }
    snapshot.publish(source, default, restricted, about)
    with duckdb.connect(str(source), read_only=True) as con:
        person_ids = {p for (p,) in con.sql("SELECT person_id FROM cohorts.persons").fetchall()}
        record_keys = {k for (k,) in con.sql("SELECT record_key FROM linkage.person_records").fetchall()}
    data, detail = default.read_bytes(), restricted.read_bytes()
    assert all(p.encode() in detail for p in person_ids)  # the scan finds them where they are
    assert [p for p in person_ids if p.encode() in data] == []
    assert [k for k in record_keys if k.encode() in data] == []
    assert not list(tmp_path.glob(".analyst*.tmp*"))
    assert default.stat().st_mode & 0o777 == 0o640
