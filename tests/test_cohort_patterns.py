"""The cohort tables reproduce the patterns built into the synthetic data.

Every expected figure here is computed from the raw landing files and the generator's ground
truth (true person ids, true dates of birth), never from the cohort SQL; the cohort tables are
then compared with it.
"""

import csv
import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from conftest import materialise_everything
from dagster_project import warehouse
from dagster_project.pseudonymise.keys import write_new_key
from dagster_project.synthetic import SyntheticConfig, generate

pytestmark = pytest.mark.slow

VIOLENCE_OR_SEXUAL = {"Homicide", "Violence with injury", "Violence without injury", "Stalking and harassment",
                      "Rape", "Other sexual offences"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root: Path = tmp_path_factory.mktemp("patterns")
    generate(SyntheticConfig(landing=root / "landing", truth=root / "truth", reference=root / "reference",
                             people=4000, seed=31, progress=False))
    write_new_key(root / "key")
    result = materialise_everything(warehouse=root / "w.duckdb", zone=root / "z.duckdb", landing=root / "landing",
                                    key_file=root / "key", models=root / "models")
    assert result.success
    return root


def latest_rows(root: Path, feed: str, key: str) -> list[dict]:
    """Every record's latest version, straight from the delivery files."""
    rows: dict[str, dict] = {}
    for path in sorted((root / "landing" / feed).glob(f"{feed}_*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                rows[row[key]] = row
    return list(rows.values())


def truth(root: Path) -> tuple[dict, dict]:
    person_of = {}
    with (root / "truth" / "ground_truth.csv").open() as fh:
        for row in csv.DictReader(fh):
            person_of[(row["source_feed"], row["record_key"])] = row["person_id"]
    persons = {}
    with (root / "truth" / "persons.csv").open() as fh:
        for row in csv.DictReader(fh):
            persons[row["person_id"]] = row
    return person_of, persons


def query(root: Path, sql: str):
    with warehouse.connect(root / "w.duckdb", read_only=True) as con:
        return con.sql(sql).fetchall()


def band(age: int) -> str:
    for upper, label in ((10, "0-9"), (15, "10-14"), (18, "15-17"), (25, "18-24"), (35, "25-34"), (45, "35-44"),
                         (55, "45-54"), (65, "55-64")):
        if age < upper:
            return label
    return "65+"


def test_victims_peak_between_15_and_34(world):
    person_of, persons = truth(world)
    expected: dict[str, int] = {}
    for row in latest_rows(world, "police", "nominal_link_id"):
        if row["role"] != "VICTIM":
            continue
        born = dt.date.fromisoformat(persons[person_of[("police", row["nominal_link_id"])]]["dob"])
        when = dt.date.fromisoformat(row["occurrence_datetime"][:10])
        age = when.year - born.year - ((when.month, when.day) < (born.month, born.day))
        expected[band(age)] = expected.get(band(age), 0) + 1
    found = dict(query(world, "SELECT age_band, count(*) FROM cohorts.events "
                              "WHERE feed = 'police' AND role = 'VICTIM' AND age_band IS NOT NULL GROUP BY 1"))
    total_expected, total_found = sum(expected.values()), sum(found.values())
    assert max(expected, key=expected.get) in ("18-24", "25-34")
    assert max(found, key=found.get) in ("18-24", "25-34")
    share_15_34 = sum(found.get(b, 0) for b in ("15-17", "18-24", "25-34")) / total_found
    assert share_15_34 > 0.5
    for label, n in expected.items():  # the cohort's age profile matches the truth's
        assert abs(found.get(label, 0) / total_found - n / total_expected) < 0.03, label


def test_about_four_in_ten_violent_and_sexual_offences_are_domestic_abuse(world):
    occurrences: dict[str, bool] = {}
    for row in latest_rows(world, "police", "nominal_link_id"):
        if row["offence_group"] in VIOLENCE_OR_SEXUAL:
            occurrences[row["occurrence_ref"]] = occurrences.get(row["occurrence_ref"], False) or row["domestic_abuse"] == "Y"
    expected = sum(occurrences.values()) / len(occurrences)
    (found,) = query(world, "SELECT avg(da::INT) FROM (SELECT occurrence_id, bool_or(domestic_abuse) AS da "
                            "FROM cohorts.events WHERE feed = 'police' AND violence_or_sexual GROUP BY 1)")[0]
    assert abs(expected - 0.40) < 0.03
    assert abs(found - expected) < 0.005


def test_offences_peak_in_may_and_summer(world):
    by_month = dict(query(world, "SELECT event_month, count(*) FROM cohorts.events "
                                 "WHERE feed = 'police' AND role = 'VICTIM' GROUP BY 1"))
    expected: dict[int, int] = {}
    for row in latest_rows(world, "police", "nominal_link_id"):
        if row["role"] == "VICTIM":
            month = int(row["occurrence_datetime"][5:7])
            expected[month] = expected.get(month, 0) + 1
    assert by_month == expected  # every victim record is in the events table, in its month
    summer = sum(by_month[m] for m in (5, 6, 7, 8)) / 4
    winter = sum(by_month[m] for m in (11, 12, 1, 2)) / 4
    assert summer > 1.1 * winter


def test_most_emergency_department_assaults_are_unknown_to_police(world):
    person_of, _ = truth(world)
    police_victim_days: dict[str, list[dt.date]] = {}
    for row in latest_rows(world, "police", "nominal_link_id"):
        if row["role"] == "VICTIM":
            police_victim_days.setdefault(person_of[("police", row["nominal_link_id"])], []).append(
                dt.date.fromisoformat(row["occurrence_datetime"][:10]))
    attendances = latest_rows(world, "health", "attendance_id")
    unreported = 0
    for row in attendances:
        day = dt.date.fromisoformat(row["arrival_datetime"][:10])
        days = police_victim_days.get(person_of[("health", row["attendance_id"])], [])
        unreported += not any(abs((d - day).days) <= 14 for d in days)
    expected = unreported / len(attendances)
    (found, n) = query(world, "SELECT avg((NOT reported_to_police)::INT), count(*) FROM cohorts.unreported_assaults")[0]
    assert n == len(attendances)
    assert expected > 0.5
    assert abs(found - expected) < 0.03  # linkage errors move it a little, never far


def test_the_exploitation_cohort_holds_the_children_flagged_in_the_truth(world):
    person_of, persons = truth(world)
    flagged = {p for p, row in persons.items() if row["exploitation_risk_cse"] == "Y" or row["exploitation_risk_cce"] == "Y"}
    with warehouse.connect(world / "w.duckdb", read_only=True) as con:
        records = warehouse.read_table(con, "linkage.person_records")
        cohort = set(con.sql("SELECT person_id FROM cohorts.exploitation_risk").pl().get_column("person_id"))
    true_of = pl.DataFrame(
        [{"source_feed": f, "record_key": k, "true_id": p} for (f, k), p in person_of.items()]
    ).join(records, on=["source_feed", "record_key"])
    found = set(true_of.filter(pl.col("person_id").is_in(list(cohort))).get_column("true_id"))
    assert flagged, "the synthetic population has children at risk of exploitation"
    assert len(flagged & found) / len(flagged) >= 0.95
