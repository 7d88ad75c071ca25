"""Rules stated in two places agree: the population file's age bands, in Python
(`reference.AGE_BAND_LIMITS`) and in SQL (`sql/macros.sql`), for every age (null stays null);
the cohort registry and the reconciliation SQL that lists the cohort tables by hand."""

import duckdb
import polars as pl

from dagster_project import warehouse
from dagster_project.reference import AGE_BANDS, age_band, age_band_of


def test_python_polars_and_sql_give_every_age_the_same_band():
    ages = list(range(0, 131))
    con = duckdb.connect()
    warehouse.define_macros(con)
    sql = dict(con.sql("SELECT a, age_band(a) FROM range(0, 131) t(a)").fetchall())
    polars = pl.DataFrame({"age": ages}).select(age_band(pl.col("age"))).to_series().to_list()
    python = [age_band_of(a) for a in ages]
    assert python == polars == [sql[a] for a in ages]
    assert sorted(set(python), key=AGE_BANDS.index) == list(AGE_BANDS)
    assert (age_band_of(9), age_band_of(10), age_band_of(17), age_band_of(18), age_band_of(64), age_band_of(65)) == (
        "0-9",
        "10-14",
        "15-17",
        "18-24",
        "55-64",
        "65+",
    )


def test_a_missing_age_has_no_band():
    con = duckdb.connect()
    warehouse.define_macros(con)
    assert con.sql("SELECT age_band(NULL::INTEGER)").fetchall() == [(None,)]
    assert pl.DataFrame({"age": [None]}, schema={"age": pl.Int64}).select(age_band(pl.col("age"))).item() is None


def test_every_cohort_table_of_the_registry_is_checked_against_the_persons_table():
    """`persons_exist.sql` names the cohort tables by hand: it must name every one of the
    registry (`cohort_tables`) but persons itself."""
    import re

    from dagster_project.cohort_tables import COHORT_TABLES

    sql = warehouse.load_sql("quality/cohorts_reconciliation/persons_exist.sql")
    named = set(re.findall(r"FROM cohorts\.(\w+)\b", sql)) - {"persons"}
    assert named == set(COHORT_TABLES) - {"persons"}
