"""The population file's age bands, stated once in Python (`reference.AGE_BAND_LIMITS`) and
once in SQL (`sql/macros.sql`), agree for every age, and null stays null."""

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
        "0-9", "10-14", "15-17", "18-24", "55-64", "65+")


def test_a_missing_age_has_no_band():
    con = duckdb.connect()
    warehouse.define_macros(con)
    assert con.sql("SELECT age_band(NULL::INTEGER)").fetchall() == [(None,)]
    assert pl.DataFrame({"age": [None]}, schema={"age": pl.Int64}).select(age_band(pl.col("age"))).item() is None
