"""Tiny warehouses for the analyst-tier tests: staged records of a few persons, linked by hand,
turned into the cohort tables by the real SQL (`sql/cohorts/*.sql`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project import warehouse
from dagster_project.cohort_tables import COHORT_TABLES

# Two councils of the tiny county: Alpha (two neighbourhoods) and Beta (one).
LSOAS = (
    ("E01000001", "Alpha 001A", "E06000001", "Alpha", 1),
    ("E01000002", "Alpha 001B", "E06000001", "Alpha", 6),
    ("E01000003", "Beta 001A", "E06000002", "Beta", 9),
)
HOMES = {"Alpha": "E01000001", "Beta": "E01000003"}
# What cohorts.events calls a record's kind, as (feed, role).
KINDS = {
    "police_victim": ("police", "VICTIM"),
    "police_suspect": ("police", "SUSPECT"),
    "police_witness": ("police", "WITNESS"),
    "health": ("health", None),
    "social_care": ("social_care", None),
    "yos": ("yos", None),
}
COHORT_ORDER = COHORT_TABLES  # the registry is in build order


@dataclass(frozen=True)
class Record:
    """One staged record of a person: what kind, when, and the person's attributes on it."""

    person: str
    kind: str
    date: dt.date | None
    hour: int = 12
    age: int | None = 30
    sex: str | None = "F"
    home: str | None = "E01000001"  # an LSOA code, or None for no known home
    flag: bool = False  # police: domestic abuse; social care: CSE concern; YOS: exploitation concern


def _ddl() -> str:
    common = (
        "record_key VARCHAR, event_date DATE, event_at TIMESTAMP, age_at_event INTEGER, sex VARCHAR, "
        "ethnic_group VARCHAR, home_lsoa VARCHAR"
    )
    return f"""
        CREATE SCHEMA staging; CREATE SCHEMA linkage; CREATE SCHEMA reference; CREATE SCHEMA cohorts;
        CREATE TABLE reference.lsoa (lsoa21cd VARCHAR, lsoa21nm VARCHAR, lad22cd VARCHAR, lad22nm VARCHAR, imd_decile INTEGER);
        CREATE TABLE linkage.person_records (source_feed VARCHAR, record_key VARCHAR, person_id VARCHAR);
        CREATE TABLE staging.police ({common}, role VARCHAR, offence_group VARCHAR, occurrence_ref VARCHAR,
                                     domestic_abuse BOOLEAN, knife_or_sharp BOOLEAN, location_lsoa VARCHAR);
        CREATE TABLE staging.health ({common}, assault_location_type VARCHAR, weapon VARCHAR, admitted BOOLEAN);
        CREATE TABLE staging.social_care ({common}, primary_need VARCHAR, cse_concern BOOLEAN, cce_concern BOOLEAN,
                                          missing_episodes INTEGER);
        CREATE TABLE staging.yos ({common}, offence_type VARCHAR, exploitation_concern BOOLEAN, outcome_type VARCHAR);
    """


def build_cohorts(con: duckdb.DuckDBPyConnection, records: list[Record]) -> None:
    """Stage `records`, link them by their `person`, and build every cohort table on `con`."""
    warehouse.run(con, _ddl())
    con.executemany("INSERT INTO reference.lsoa VALUES (?, ?, ?, ?, ?)", [list(row) for row in LSOAS])
    _stage(con, records)


def rebuild_cohorts(con: duckdb.DuckDBPyConnection, records: list[Record]) -> None:
    """Replace what `build_cohorts` staged on `con` with `records` and rebuild every cohort table.
    Record i keeps its record key, so a record's warehouse event id stays the same when the
    records differ only in their dates, hours, ages or homes."""
    for table in ("staging.police", "staging.health", "staging.social_care", "staging.yos", "linkage.person_records"):
        warehouse.run(con, f"DELETE FROM {table}")
    _stage(con, records)


def _stage(con: duckdb.DuckDBPyConnection, records: list[Record]) -> None:
    for i, r in enumerate(records):
        feed, role = KINDS[r.kind]
        key = record_key(i, feed)
        at = dt.datetime.combine(r.date, dt.time(r.hour)) if r.date else None
        common = [key, r.date, at, r.age, r.sex, "White", r.home]
        if feed == "police":
            con.execute(
                "INSERT INTO staging.police VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                common + [role, "Violence with injury", f"OCC{i:06d}", r.flag, False, None],
            )
        elif feed == "health":
            con.execute(
                "INSERT INTO staging.health VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", common + ["Street", "None", False]
            )
        elif feed == "social_care":
            con.execute(
                "INSERT INTO staging.social_care VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                common + ["Abuse or neglect", r.flag, False, 0],
            )
        else:
            con.execute(
                "INSERT INTO staging.yos VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                common + ["Violence against the person", r.flag, "Referral order"],
            )
        con.execute("INSERT INTO linkage.person_records VALUES (?, ?, ?)", [feed, key, r.person])
    warehouse.define_macros(con)
    warehouse.run(con, "SET VARIABLE unreported_window_days = 14")
    for table in COHORT_ORDER:
        warehouse.run(con, warehouse.load_sql(f"cohorts/{table}.sql"))


def record_key(index: int, feed: str) -> str:
    """The staged record key of the `index`-th record (of `feed`) given to `build_cohorts`."""
    return f"{feed[:2].upper()}{index:06d}"


def event_ids(records: list[Record]) -> list[int]:
    """The warehouse event id (cohorts.events.event_id) `build_cohorts` gives each record: events
    are numbered by feed, then record key."""
    keys = [(KINDS[r.kind][0], record_key(i, KINDS[r.kind][0])) for i, r in enumerate(records)]
    order = {key: n for n, key in enumerate(sorted(keys), start=1)}
    return [order[key] for key in keys]


def build_warehouse(path: Path, records: list[Record]) -> Path:
    """A warehouse file at `path` holding the cohort tables of `records`."""
    with duckdb.connect(str(path)) as con:
        build_cohorts(con, records)
    return path


def fixed_records() -> list[Record]:
    """A small county with two planted outliers.

    - 12 women aged 25-34 in Alpha, each a police victim in March 2024 at 21:00; six of them also
      attended A&E in March 2024. One of the twelve (P-A-00) attended A&E again in November 2024:
      the only such attendance of her group in that month, quarter and year (the planted event).
    - 8 men aged 18-24 in Beta, each a police suspect in May 2024.
    - 6 girls aged 15-17 in Alpha, each referred to social care in June 2024, two of them also
      with a YOS outcome in July 2024 (a kind only two of the group hold).
    - One man aged 70 in Beta, a police victim in May 2024 (the planted unique person).
    """
    records = []
    for i in range(12):
        person = f"P-A-{i:02d}"
        records.append(Record(person, "police_victim", dt.date(2024, 3, 1 + i), hour=21, age=28, sex="F"))
        if i < 6:
            records.append(Record(person, "health", dt.date(2024, 3, 2 + i), hour=22, age=28, sex="F"))
    records.append(Record("P-A-00", "health", dt.date(2024, 11, 17), hour=3, age=28, sex="F"))
    for i in range(8):
        records.append(
            Record(
                f"P-B-{i:02d}", "police_suspect", dt.date(2024, 5, 3 + i), hour=14, age=20, sex="M", home=HOMES["Beta"]
            )
        )
    for i in range(6):
        person = f"P-C-{i:02d}"
        records.append(
            Record(person, "social_care", dt.date(2024, 6, 4 + i), age=16, sex="F", flag=True, home="E01000002")
        )
        if i < 2:
            records.append(Record(person, "yos", dt.date(2024, 7, 4 + i), age=16, sex="F", home="E01000002"))
    records.append(Record("P-OLD", "police_victim", dt.date(2024, 5, 20), hour=10, age=70, sex="M", home=HOMES["Beta"]))
    return records
