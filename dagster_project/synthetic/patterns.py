"""The patterns a synthetic population holds, measured two independent ways.

`expected(...)` reads only what the generator wrote: the landing deliveries (the latest
version of each record, as the source systems sent it) and the ground truth (true person ids
and dates of birth). It never opens the warehouse, so it shares no code or SQL with the
cohorts. `found(...)` reads the same figures from the cohort tables. Comparing the two is
how the tests (tests/test_cohort_patterns.py) and `make bench --sections cohorts` show
that the linked cohorts reproduce what was built into the data: the needs assessment's
victim age peak, the domestic-abuse share, the summer peak, the share of A&E assaults
police never hear of, and the children flagged at risk of exploitation.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.reference import age_band_of

# Home Office "violence against the person" and "sexual offences" groups, as the police feed
# names them (FEEDS.md).
VIOLENCE_OR_SEXUAL = frozenset({
    "Homicide", "Violence with injury", "Violence without injury", "Stalking and harassment",
    "Rape", "Other sexual offences",
})  # fmt: skip
SUMMER, WINTER = (5, 6, 7, 8), (11, 12, 1, 2)


@dataclass(frozen=True)
class Patterns:
    """One population's figures, from either side."""

    victim_age_bands: dict[str, int]  # police victim records by age band at the offence
    domestic_abuse_share: float  # share of violence/sexual occurrences flagged domestic abuse
    victims_by_month: dict[int, int]  # police victim records by month of the offence
    attendances: int  # A&E assault attendances
    unreported_share: float  # share with no police victim record of the person within the window

    @property
    def peak_age_band(self) -> str:
        return max(self.victim_age_bands, key=self.victim_age_bands.__getitem__)

    def age_share(self, bands: tuple[str, ...]) -> float:
        return sum(self.victim_age_bands.get(b, 0) for b in bands) / sum(self.victim_age_bands.values())

    @property
    def summer_to_winter(self) -> float:
        """Mean monthly victim records May-August over November-February."""
        summer = sum(self.victims_by_month.get(m, 0) for m in SUMMER)
        winter = sum(self.victims_by_month.get(m, 0) for m in WINTER)
        return summer / winter if winter else float("inf")


age_band = age_band_of  # the population file's bands (reference.AGE_BAND_LIMITS)


def latest_rows(landing: Path, feed: str, key: str) -> list[dict[str, str]]:
    """Every record's latest version, straight from the plaintext delivery files (date order)."""
    rows: dict[str, dict[str, str]] = {}
    for path in sorted((landing / feed).glob(f"{feed}_*.csv")):
        if path.name.endswith(".pseudo.csv"):
            raise ValueError(f"{path}: the patterns are measured on plaintext deliveries only")
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                rows[row[key]] = row
    return list(rows.values())


def read_truth(truth: Path) -> tuple[dict[tuple[str, str], str], dict[str, dict[str, str]]]:
    """(true person of each (feed, record key), each true person's attributes)."""
    with (truth / "ground_truth.csv").open(newline="") as fh:
        person_of = {(r["source_feed"], r["record_key"]): r["person_id"] for r in csv.DictReader(fh)}
    with (truth / "persons.csv").open(newline="") as fh:
        persons = {r["person_id"]: r for r in csv.DictReader(fh)}
    return person_of, persons


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def expected(landing: Path, truth: Path, window_days: int = 14) -> Patterns:
    """The figures as built: from the delivery files and the ground truth only."""
    person_of, persons = read_truth(truth)
    police = latest_rows(landing, "police", "nominal_link_id")
    victims = [r for r in police if r["role"] == "VICTIM"]

    bands: dict[str, int] = {}
    months: dict[int, int] = {}
    victim_days: dict[str, list[dt.date]] = {}
    for row in victims:
        when = dt.date.fromisoformat(row["occurrence_datetime"][:10])
        person = person_of[("police", row["nominal_link_id"])]
        band = age_band(_age(dt.date.fromisoformat(persons[person]["dob"]), when))
        bands[band] = bands.get(band, 0) + 1
        months[when.month] = months.get(when.month, 0) + 1
        victim_days.setdefault(person, []).append(when)

    occurrences: dict[str, bool] = {}
    for row in police:
        if row["offence_group"] in VIOLENCE_OR_SEXUAL:
            ref = row["occurrence_ref"]
            occurrences[ref] = occurrences.get(ref, False) or row["domestic_abuse"] == "Y"

    attendances = latest_rows(landing, "health", "attendance_id")
    unreported = 0
    for row in attendances:
        day = dt.date.fromisoformat(row["arrival_datetime"][:10])
        days = victim_days.get(person_of[("health", row["attendance_id"])], [])
        unreported += not any(abs((d - day).days) <= window_days for d in days)

    return Patterns(
        victim_age_bands=bands,
        domestic_abuse_share=sum(occurrences.values()) / len(occurrences),
        victims_by_month=months,
        attendances=len(attendances),
        unreported_share=unreported / len(attendances),
    )


def found(con: duckdb.DuckDBPyConnection) -> Patterns:
    """The same figures from the cohort tables (warehouse or analyst snapshot)."""

    def rows(sql: str) -> list[tuple]:
        return con.sql(sql).fetchall()

    police_victims = "FROM cohorts.events WHERE feed = 'police' AND role = 'VICTIM'"
    (da_share,) = rows(
        "SELECT avg(da::INT) FROM (SELECT occurrence_id, bool_or(domestic_abuse) AS da "
        "FROM cohorts.events WHERE feed = 'police' AND violence_or_sexual GROUP BY 1)"
    )[0]
    attendances, unreported = rows(
        "SELECT count(*), avg((NOT reported_to_police)::INT) FROM cohorts.unreported_assaults"
    )[0]
    return Patterns(
        victim_age_bands=dict(rows(f"SELECT age_band, count(*) {police_victims} AND age_band IS NOT NULL GROUP BY 1")),
        domestic_abuse_share=float(da_share),
        victims_by_month=dict(rows(f"SELECT event_month, count(*) {police_victims} GROUP BY 1")),
        attendances=attendances,
        unreported_share=float(unreported),
    )


def flagged_children_found(con: duckdb.DuckDBPyConnection, truth: Path) -> tuple[int, int]:
    """(true persons flagged at risk of exploitation, how many of them the cohort holds).

    A true person is held when any of their records links to a person in
    `cohorts.exploitation_risk` (read through `linkage.person_records`, so the engineers'
    warehouse, not the snapshot).
    """
    person_of, persons = read_truth(truth)
    flagged = {
        p for p, row in persons.items() if row["exploitation_risk_cse"] == "Y" or row["exploitation_risk_cce"] == "Y"
    }
    in_cohort = {
        (feed, key)
        for feed, key in con.sql(
            "SELECT source_feed, record_key FROM linkage.person_records "
            "WHERE person_id IN (SELECT person_id FROM cohorts.exploitation_risk)"
        ).fetchall()
    }
    held = {p for record, p in person_of.items() if record in in_cohort}
    return len(flagged), len(flagged & held)
