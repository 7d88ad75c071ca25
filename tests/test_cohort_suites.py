"""The cohort table suites and the cross-table reconciliations (dagster_project.quality.cohorts).

The cohort tables under test are built by the real SQL in sql/cohorts/ from a handful of
hand-written staged records for six people, so the suites are checked against tables shaped
exactly as the pipeline shapes them. Each failure test breaks one thing and checks that the
check meant to notice it does.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dagster_project import warehouse
from dagster_project.quality import SuiteResult, expectations_dir, load_suite
from dagster_project.quality.cohorts import (
    COHORT_TABLES,
    COMPARISON_COLUMNS,
    RECONCILIATION_SUITE,
    cohort_suite_name,
    reconciliation_frames,
    reconciliation_sqls,
    validate_cohorts,
)

# The order the cohort assets materialise in (each SQL file reads the ones before it).
BUILD_ORDER = (
    "person_summary", "events", "persons", "victims", "offenders", "victim_offender_overlap",
    "repeat_victims", "domestic_abuse", "exploitation_risk", "unreported_assaults",
)  # fmt: skip

# Six people. P1: three police victimisations and an A&E attendance two days after one of them
# (a repeat and domestic-abuse victim). P2: the domestic-abuse suspect, later an offender, later
# an unreported A&E attendance (offender first). P3: 15, a rape victim, with a CSE concern and
# missing episodes, then a YOS outcome with an exploitation concern (victim first). P4: a police
# witness with no age, sex U and no home. P5: an A&E attendance only, no age or home.
# P6: a social care referral only.
STAGING_SQL = """
CREATE SCHEMA staging; CREATE SCHEMA linkage; CREATE SCHEMA reference;
CREATE TABLE staging.police AS SELECT * FROM (VALUES
    ('NL1', 'VICTIM',   DATE '2024-01-05', TIMESTAMP '2024-01-05 22:30', 'Violence with injury',    '43/000001/24', TRUE,  FALSE, 30,   'F', 'White', 'E01000001', 'E01000001'),
    ('NL2', 'SUSPECT',  DATE '2024-01-05', TIMESTAMP '2024-01-05 22:30', 'Violence with injury',    '43/000001/24', TRUE,  TRUE,  34,   'M', 'Asian', 'E01000001', 'E01000002'),
    ('NL3', 'VICTIM',   DATE '2024-03-10', TIMESTAMP '2024-03-10 14:00', 'Violence without injury', '43/000002/24', FALSE, FALSE, 30,   'F', 'White', 'E01000001', 'E01000001'),
    ('NL4', 'VICTIM',   DATE '2024-06-01', TIMESTAMP '2024-06-01 10:15', 'Stalking and harassment', '43/000003/24', FALSE, FALSE, 30,   'F', 'White', NULL,        'E01000001'),
    ('NL5', 'OFFENDER', DATE '2024-05-01', TIMESTAMP '2024-05-01 09:00', 'Robbery',                 '43/000004/24', FALSE, FALSE, 34,   'M', 'Asian', 'E01000002', 'E01000002'),
    ('NL6', 'VICTIM',   DATE '2024-02-14', TIMESTAMP '2024-02-14 16:00', 'Rape',                    '43/000005/24', FALSE, FALSE, 15,   'F', 'Black', 'E01000003', 'E01000003'),
    ('NL7', 'WITNESS',  DATE '2024-04-20', TIMESTAMP '2024-04-20 11:00', 'Public order',            '43/000006/24', FALSE, FALSE, NULL, 'U', NULL,    'E01000002', NULL)
) AS t(record_key, role, event_date, event_at, offence_group, occurrence_ref, domestic_abuse, knife_or_sharp,
       age_at_event, sex, ethnic_group, location_lsoa, home_lsoa);
CREATE TABLE staging.health AS SELECT * FROM (VALUES
    ('ED1', DATE '2024-03-12', TIMESTAMP '2024-03-12 01:30', 'Street',            'Knife or blade', TRUE,  30,   'F', 'White', 'E01000001'),
    ('ED2', DATE '2024-08-01', TIMESTAMP '2024-08-01 23:00', 'Licensed premises', 'None',           FALSE, 34,   'M', 'Asian', 'E01000002'),
    ('ED3', DATE '2024-09-09', TIMESTAMP '2024-09-09 18:45', 'Home',              'Unknown',        FALSE, NULL, 'M', NULL,    NULL)
) AS t(record_key, event_date, event_at, assault_location_type, weapon, admitted, age_at_event, sex, ethnic_group, home_lsoa);
CREATE TABLE staging.social_care AS SELECT * FROM (VALUES
    ('BED-R0000001', DATE '2024-02-01', TIMESTAMP '2024-02-01 00:00', 'N1', TRUE,  FALSE, 2, 15, 'F', 'Black', 'E01000003'),
    ('LUT-R0000002', DATE '2024-05-05', TIMESTAMP '2024-05-05 00:00', 'N4', FALSE, FALSE, 0, 8,  'M', 'Mixed', 'E01000004')
) AS t(record_key, event_date, event_at, primary_need, cse_concern, cce_concern, missing_episodes, age_at_event, sex, ethnic_group, home_lsoa);
CREATE TABLE staging.yos AS SELECT * FROM (VALUES
    ('YOS00000001', DATE '2024-07-01', TIMESTAMP '2024-07-01 00:00', 'Violence against the person', TRUE, 'Referral Order', 15, 'F', 'Black', 'E01000003')
) AS t(record_key, event_date, event_at, offence_type, exploitation_concern, outcome_type, age_at_event, sex, ethnic_group, home_lsoa);
CREATE TABLE linkage.person_records AS SELECT * FROM (VALUES
    ('police', 'NL1', 'P000000001'), ('police', 'NL3', 'P000000001'), ('police', 'NL4', 'P000000001'),
    ('health', 'ED1', 'P000000001'),
    ('police', 'NL2', 'P000000002'), ('police', 'NL5', 'P000000002'), ('health', 'ED2', 'P000000002'),
    ('police', 'NL6', 'P000000003'), ('social_care', 'BED-R0000001', 'P000000003'), ('yos', 'YOS00000001', 'P000000003'),
    ('police', 'NL7', 'P000000004'),
    ('health', 'ED3', 'P000000005'),
    ('social_care', 'LUT-R0000002', 'P000000006')
) AS t(source_feed, record_key, person_id);
CREATE TABLE reference.lsoa AS SELECT * FROM (VALUES
    ('E01000001', 'Luton 001A',                'E06000032', 'Luton',                2),
    ('E01000002', 'Bedford 002B',              'E06000055', 'Bedford',              5),
    ('E01000003', 'Central Bedfordshire 003C', 'E06000056', 'Central Bedfordshire', 8),
    ('E01000004', 'Luton 004D',                'E06000032', 'Luton',                1)
) AS t(lsoa21cd, lsoa21nm, lad22cd, lad22nm, imd_decile);
"""


def build_warehouse(path: Path) -> Path:
    """A warehouse file whose cohorts.* tables the real cohort SQL built from STAGING_SQL."""
    con = duckdb.connect(str(path))
    try:
        con.execute(STAGING_SQL)
        warehouse.run(con, "CREATE SCHEMA cohorts")
        warehouse.run(con, "SET VARIABLE unreported_window_days = 14")
        warehouse.define_macros(con)
        for table in BUILD_ORDER:
            warehouse.run(con, warehouse.load_sql(f"cohorts/{table}.sql"))
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("cohorts") / "warehouse.duckdb")


@pytest.fixture
def db(built: Path, tmp_path: Path) -> Path:
    """A private copy of the built warehouse that a test may break."""
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(built.read_bytes())
    return copy


def validate(path: Path, *breakage: str, tables: tuple[str, ...] = COHORT_TABLES) -> dict[str, SuiteResult]:
    """Apply the SQL statements in `breakage`, then validate; results by table or check name."""
    with warehouse.connect(path) as con:
        for statement in breakage:
            warehouse.run(con, statement)
        results = validate_cohorts(con, label="tiny", tables=tables)
    return {result.label.removeprefix("tiny: "): result for result in results}


def blocking_failures(result: SuiteResult) -> list[tuple[str, str | None]]:
    return [(o.expectation_type, o.column) for o in result.failures if o.severity == "blocking"]


# ---------------------------------------------------------------------------------------
# The suite files
# ---------------------------------------------------------------------------------------

COHORT_SUITES = sorted(path.stem for path in expectations_dir().glob("cohorts_*.json"))


def test_there_is_one_suite_per_cohort_table_and_one_for_the_reconciliations():
    assert sorted([*(cohort_suite_name(t) for t in COHORT_TABLES), RECONCILIATION_SUITE]) == COHORT_SUITES


@pytest.mark.parametrize("name", COHORT_SUITES)
def test_every_cohort_suite_loads_and_every_expectation_has_severity_and_description(name):
    suite = load_suite(name)  # raises on a missing severity or description, or a bad expectation
    document = json.loads((expectations_dir() / f"{name}.json").read_text(encoding="utf-8"))
    assert len(suite.expectations) == len(document["expectations"]) > 0
    for expectation in document["expectations"]:
        assert expectation["meta"]["severity"] in ("blocking", "warning")
        assert expectation["meta"]["description"].strip()


@pytest.mark.parametrize("table", COHORT_TABLES)
def test_each_table_suite_pins_the_columns_the_sql_header_documents(built, table):
    documented = list(
        dict.fromkeys(
            line.split()[1]
            for line in warehouse.load_sql(f"cohorts/{table}.sql").splitlines()
            if line.startswith("--   ")
        )
    )
    document = json.loads((expectations_dir() / f"cohorts_{table}.json").read_text(encoding="utf-8"))
    first = document["expectations"][0]
    assert first["type"] == "expect_table_columns_to_match_set"
    assert first["kwargs"]["exact_match"] is True
    assert first["meta"]["severity"] == "blocking"
    with warehouse.connect(built, read_only=True) as con:
        built_columns = [row[0] for row in con.sql(f"DESCRIBE cohorts.{table}").fetchall()]
    assert sorted(first["kwargs"]["column_set"]) == sorted(documented) == sorted(built_columns)


# ---------------------------------------------------------------------------------------
# A consistent set of cohort tables
# ---------------------------------------------------------------------------------------


def test_the_tiny_warehouse_fills_every_cohort(built):
    with warehouse.connect(built, read_only=True) as con:
        counts = {t: con.sql(f"SELECT count(*) FROM cohorts.{t}").fetchall()[0][0] for t in COHORT_TABLES}
    assert all(counts.values()), counts
    assert counts["events"] == 13 and counts["persons"] == 6


@pytest.fixture(scope="module")
def consistent(built) -> dict[str, SuiteResult]:
    with warehouse.connect(built, read_only=True) as con:
        results = validate_cohorts(con, label="tiny")
    return {result.label.removeprefix("tiny: "): result for result in results}


def test_a_consistent_set_of_cohorts_passes_with_no_failures_at_all(consistent):
    results = consistent
    expected_labels = {f"cohorts.{t}" for t in COHORT_TABLES} | set(reconciliation_sqls())
    assert set(results) == expected_labels
    for label, result in results.items():
        assert result.success and result.warning_failures == 0, f"{label}: {result.summary()}"


def test_reconciliation_frames_are_key_expected_actual_text_and_agree_on_consistent_tables(built):
    with warehouse.connect(built, read_only=True) as con:
        frames = reconciliation_frames(con)
    assert list(frames) == list(reconciliation_sqls())
    for name, frame in frames.items():
        assert frame.columns == list(COMPARISON_COLUMNS), name
        assert all(dtype == pl.String for dtype in frame.dtypes), name
        assert frame.height > 0, name
        assert frame.filter(pl.col("expected") != pl.col("actual")).is_empty(), name
        assert frame.null_count().row(0) == (0, 0, 0), name
    # One row per A&E attendance; the repeat victim and both overlap people are found.
    assert frames["unreported_assaults_vs_events"].height == 3
    assert frames["repeat_victims_vs_events"]["key"].to_list() == ["P000000001"]
    assert sorted(frames["victim_offender_overlap_vs_events"]["key"]) == ["P000000002", "P000000003"]


# ---------------------------------------------------------------------------------------
# The failures the checks exist for: a duplicate, a count out of step, an orphan
# ---------------------------------------------------------------------------------------


def test_a_duplicated_person_in_victims_is_a_blocking_failure(db):
    results = validate(
        db,
        "INSERT INTO cohorts.victims SELECT * FROM cohorts.victims WHERE person_id = 'P000000001'",
        tables=("victims", "offenders"),
    )
    assert not results["cohorts.victims"].success
    assert ("expect_column_values_to_be_unique", "person_id") in blocking_failures(results["cohorts.victims"])
    assert ("expect_column_values_to_be_unique", "key") in blocking_failures(results["victims_vs_events"])
    assert results["cohorts.offenders"].success


def test_a_victims_count_that_disagrees_with_the_events_fails_the_reconciliation(db):
    # Still consistent within the row (victimisations = police + A&E), so only events can tell.
    results = validate(
        db,
        "UPDATE cohorts.victims SET victimisations = victimisations + 1, "
        "police_victimisations = police_victimisations + 1 WHERE person_id = 'P000000001'",
        tables=("victims",),
    )
    assert results["cohorts.victims"].success and results["victims_relations"].success
    reconciliation = results["victims_vs_events"]
    assert not reconciliation.success
    assert blocking_failures(reconciliation) == [("expect_column_pair_values_to_be_equal", None)]
    equal = next(o for o in reconciliation.outcomes if o.expectation_type == "expect_column_pair_values_to_be_equal")
    assert equal.unexpected_count == 1


def test_an_orphan_person_in_a_cohort_fails(db):
    results = validate(
        db,
        "INSERT INTO cohorts.offenders VALUES "
        "('P000000099', 1, 0, 0, 0, 0, 0, DATE '2024-02-02', DATE '2024-02-02', 40)",
        tables=("offenders",),
    )
    assert results["cohorts.offenders"].success  # the row itself is well formed
    exist = results["persons_exist"]
    assert blocking_failures(exist) == [("expect_column_pair_values_to_be_equal", None)]
    assert next(o for o in exist.failures).unexpected_count == 1
    # and the events do not put that person among the offenders either
    assert ("expect_column_values_to_not_be_null", "expected") in blocking_failures(results["offenders_vs_events"])


# ---------------------------------------------------------------------------------------
# Every other kind of breakage is noticed by the check meant for it
# ---------------------------------------------------------------------------------------

BREAKAGES = {
    "a stale cohort (an event added after persons was built)": (
        "INSERT INTO cohorts.events (event_id, person_id, feed, role, event_date) "
        "VALUES (99, 'P000000006', 'social_care', 'REFERRAL', DATE '2024-10-01')",
        "persons_vs_events",
        ("expect_column_pair_values_to_be_equal", None),
    ),
    "a persons row without events": (
        "DELETE FROM cohorts.events WHERE person_id = 'P000000006'",
        "persons_vs_events",
        ("expect_column_values_to_not_be_null", "expected"),
    ),
    "person_summary out of step with the events": (
        "UPDATE cohorts.person_summary SET police_witness = 2 WHERE person_id = 'P000000004'",
        "person_summary_vs_events",
        ("expect_column_pair_values_to_be_equal", None),
    ),
    "a health event missing from unreported_assaults": (
        "DELETE FROM cohorts.unreported_assaults WHERE reported_to_police",
        "unreported_assaults_vs_events",
        ("expect_column_values_to_not_be_null", "actual"),
    ),
    "a police event in unreported_assaults": (
        "INSERT INTO cohorts.unreported_assaults (event_id, person_id, reported_to_police) "
        "SELECT event_id, person_id, FALSE FROM cohorts.events WHERE feed = 'police' LIMIT 1",
        "unreported_assaults_vs_events",
        ("expect_column_values_to_not_be_null", "expected"),
    ),
    "a reported flag the events do not support": (
        "UPDATE cohorts.unreported_assaults SET reported_to_police = FALSE, days_to_police_record = NULL",
        "unreported_assaults_vs_events",
        ("expect_column_pair_values_to_be_equal", None),
    ),
    "days to the police record outside the window": (
        "UPDATE cohorts.unreported_assaults SET days_to_police_record = 20 WHERE reported_to_police",
        "unreported_assaults_relations",
        ("expect_column_pair_values_to_be_equal", None),
    ),
    "a repeat victim missing": (
        "DELETE FROM cohorts.repeat_victims",
        "repeat_victims_vs_events",
        ("expect_column_values_to_not_be_null", "actual"),
    ),
    "the wrong first window": (
        "UPDATE cohorts.repeat_victims SET first_window_start = DATE '2024-03-10'",
        "repeat_victims_vs_events",
        ("expect_column_pair_values_to_be_equal", None),
    ),
    "an exploitation flag the events do not support": (
        "UPDATE cohorts.exploitation_risk SET cce_concern = TRUE",
        "exploitation_risk_vs_events",
        ("expect_column_pair_values_to_be_equal", None),
    ),
    "domestic-abuse counts out of step": (
        "UPDATE cohorts.domestic_abuse SET as_victim = 2 WHERE da_role = 'victim'",
        "domestic_abuse_vs_events",
        ("expect_column_pair_values_to_be_equal", None),
    ),
    "victim counts that do not add up": (
        "UPDATE cohorts.victims SET ae_attendances = ae_attendances + 1 WHERE person_id = 'P000000001'",
        "victims_relations",
        ("expect_column_pair_values_to_be_equal", None),
    ),
    "a gap that is not the days between the first dates": (
        "UPDATE cohorts.victim_offender_overlap SET gap_days = gap_days + 1",
        "victim_offender_overlap_relations",
        ("expect_column_pair_values_to_be_equal", None),
    ),
    "fewer than three victimisations in a window": (
        "UPDATE cohorts.repeat_victims SET most_in_12_months = 2",
        "cohorts.repeat_victims",
        ("expect_column_values_to_match_regex", "most_in_12_months"),
    ),
    "a sequence that contradicts the gap": (
        "UPDATE cohorts.victim_offender_overlap SET sequence = 'victim_first' WHERE sequence = 'offender_first'",
        "cohorts.victim_offender_overlap",
        ("expect_column_values_to_match_regex", "gap_days"),
    ),
    "a da_role that contradicts the counts": (
        "UPDATE cohorts.domestic_abuse SET da_role = 'both' WHERE da_role = 'victim'",
        "cohorts.domestic_abuse",
        ("expect_column_values_to_match_regex", "as_perpetrator"),
    ),
    "a missing exploitation flag": (
        "UPDATE cohorts.exploitation_risk SET cse_concern = NULL",
        "cohorts.exploitation_risk",
        ("expect_column_values_to_not_be_null", "cse_concern"),
    ),
    "a reported attendance without its days": (
        "UPDATE cohorts.unreported_assaults SET days_to_police_record = NULL",
        "cohorts.unreported_assaults",
        ("expect_column_values_to_not_be_null", "days_to_police_record"),
    ),
    "a last date before the first": (
        "UPDATE cohorts.offenders SET last_offending = first_offending - 1",
        "cohorts.offenders",
        ("expect_column_pair_values_a_to_be_greater_than_b", None),
    ),
    "a renamed column": (
        "ALTER TABLE cohorts.persons RENAME COLUMN council TO local_authority",
        "cohorts.persons",
        ("expect_table_columns_to_match_set", None),
    ),
    "an age band that does not hold the latest age": (
        "UPDATE cohorts.persons SET age_band = '65+' WHERE latest_age = 30",
        "persons_relations",
        ("expect_column_pair_values_to_be_equal", None),
    ),
    "a latest age from an older event": (
        "UPDATE cohorts.persons SET latest_age = 70, age_band = '65+' WHERE latest_age = 30",
        "persons_vs_events",
        ("expect_column_pair_values_to_be_equal", None),
    ),
    "an offender's age at first from a later record": (
        "UPDATE cohorts.offenders SET age_at_first = age_at_first + 1 WHERE age_at_first IS NOT NULL",
        "offenders_vs_events",
        ("expect_column_pair_values_to_be_equal", None),
    ),
    "days to the police record with the wrong sign": (
        "UPDATE cohorts.unreported_assaults SET days_to_police_record = -days_to_police_record "
        "WHERE days_to_police_record <> 0",
        "unreported_assaults_vs_events",
        ("expect_column_pair_values_to_be_equal", None),
    ),
    "a missing event_id": (
        "UPDATE cohorts.events SET event_id = NULL WHERE feed = 'yos'",
        "cohorts.events",
        ("expect_column_values_to_not_be_null", "event_id"),
    ),
}


@pytest.mark.parametrize("what", BREAKAGES)
def test_a_breakage_is_a_blocking_failure_of_the_check_meant_for_it(db, what):
    statement, check, failure = BREAKAGES[what]
    table = check.removeprefix("cohorts.").removesuffix("_vs_events").removesuffix("_relations")
    results = validate(db, statement, tables=(table,))
    assert set(results) >= {f"cohorts.{table}", "persons_exist"}
    assert not results[check].success
    assert failure in blocking_failures(results[check]), results[check].summary()


def test_an_implausible_value_is_a_warning_not_blocking(db):
    results = validate(
        db, "UPDATE cohorts.events SET event_hour = 24, age_at_event = 130 WHERE feed = 'police'", tables=("events",)
    )
    events = results["cohorts.events"]
    assert events.success and events.warning_failures >= 2
    assert {o.column for o in events.failures} >= {"event_hour", "age_at_event"}


def test_a_missing_table_gives_a_failed_result_and_the_rest_still_run(db):
    results = validate(db, "DROP TABLE cohorts.offenders", tables=("offenders", "victims"))
    offenders = results["cohorts.offenders"]
    assert not offenders.success
    assert [(o.expectation_type, o.exception) for o in offenders.outcomes] == [("frame_read", "CatalogException")]
    assert not results["offenders_vs_events"].success and not results["persons_exist"].success
    assert results["cohorts.victims"].success and results["victims_vs_events"].success


def test_results_and_logs_hold_no_person_ids_dates_or_other_data(db, caplog):
    caplog.set_level("DEBUG")
    results = validate(
        db,
        "INSERT INTO cohorts.victims SELECT * FROM cohorts.victims",
        "UPDATE cohorts.offenders SET person_id = 'P000000099', last_offending = DATE '1999-12-31'",
        tables=("victims", "offenders"),
    )
    assert not all(r.success for r in results.values())
    text = json.dumps([record for r in results.values() for record in r.to_records()], default=str)
    text += " ".join(r.summary() for r in results.values()) + caplog.text
    for value in ("P0000000", "2024-", "1999-12-31", "E0100000", "Luton 001A", "Bedford 002B"):
        assert value not in text
