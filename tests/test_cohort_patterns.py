"""The cohort tables reproduce the patterns built into the synthetic data.

Every expected figure is computed by `dagster_project.synthetic.patterns.expected` from the
raw landing files and the generator's ground truth (true person ids, true dates of birth),
never from the warehouse; the cohort tables are then compared with it.
"""

from pathlib import Path

import pytest

from conftest import materialise_everything
from dagster_project import warehouse
from dagster_project.pseudonymise.keys import write_new_key
from dagster_project.reference import AGE_BANDS
from dagster_project.synthetic import SyntheticConfig, generate
from dagster_project.synthetic import patterns

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root: Path = tmp_path_factory.mktemp("patterns")
    generate(SyntheticConfig(landing=root / "landing", truth=root / "truth", reference=root / "reference",
                             people=4000, seed=31, progress=False))
    write_new_key(root / "key")
    result = materialise_everything(warehouse=root / "w.duckdb", zone=root / "z.duckdb", landing=root / "landing",
                                    key_file=root / "key", models=root / "models")
    assert result.success
    with warehouse.connect(root / "w.duckdb", read_only=True) as con:
        cohorts = patterns.found(con)
        flagged = patterns.flagged_children_found(con, root / "truth")
    return patterns.expected(root / "landing", root / "truth"), cohorts, flagged


def test_victims_peak_between_15_and_34(world):
    truth, cohorts, _ = world
    assert truth.peak_age_band in ("18-24", "25-34")
    assert cohorts.peak_age_band in ("18-24", "25-34")
    assert cohorts.age_share(("15-17", "18-24", "25-34")) > 0.5
    for band in AGE_BANDS:  # the cohort's age profile matches the truth's, band by band
        assert abs(cohorts.age_share((band,)) - truth.age_share((band,))) < 0.03, band


def test_about_four_in_ten_violent_and_sexual_offences_are_domestic_abuse(world):
    truth, cohorts, _ = world
    assert abs(truth.domestic_abuse_share - 0.40) < 0.03
    assert abs(cohorts.domestic_abuse_share - truth.domestic_abuse_share) < 0.005


def test_offences_peak_in_may_and_summer(world):
    truth, cohorts, _ = world
    assert cohorts.victims_by_month == truth.victims_by_month  # every victim record, in its month
    assert cohorts.summer_to_winter > 1.1


def test_most_emergency_department_assaults_are_unknown_to_police(world):
    truth, cohorts, _ = world
    assert cohorts.attendances == truth.attendances
    assert truth.unreported_share > 0.5
    assert abs(cohorts.unreported_share - truth.unreported_share) < 0.03  # linkage errors move it a little


def test_the_exploitation_cohort_holds_the_children_flagged_in_the_truth(world):
    _, _, (flagged, held) = world
    assert flagged, "the synthetic population has children at risk of exploitation"
    assert held / flagged >= 0.95


def test_the_cohort_side_reads_the_tables_as_they_stand(tmp_path):
    """`found` measures what the tables hold: a cohort with no domestic-abuse flag shows 0%."""
    import duckdb

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA cohorts")
    con.execute("CREATE TABLE cohorts.events AS SELECT * FROM (VALUES "
                "(1, 'police', 'VICTIM', TRUE, FALSE, '25-34', 6), (2, 'police', 'VICTIM', TRUE, FALSE, '18-24', 7)) "
                "AS t(occurrence_id, feed, role, violence_or_sexual, domestic_abuse, age_band, event_month)")
    con.execute("CREATE TABLE cohorts.unreported_assaults AS SELECT FALSE AS reported_to_police")
    found = patterns.found(con)
    assert found.domestic_abuse_share == 0.0
    assert found.victims_by_month == {6: 1, 7: 1} and found.peak_age_band in ("18-24", "25-34")
    assert found.unreported_share == 1.0
