"""Warehouse writes: atomic, and tolerant of the platform growing a column."""

import polars as pl
import pytest

from dagster_project import warehouse


def test_a_new_column_is_added_to_an_existing_table(tmp_path):
    db = tmp_path / "w.duckdb"
    with warehouse.connect(db) as con:
        warehouse.replace_partition(con, "quality.deliveries", pl.DataFrame({"feed": ["police"], "rows": [3]}), "feed", "police")
        newer = pl.DataFrame({"feed": ["health"], "rows": [4], "pseudonymised_at_source": [True]})
        with warehouse.transaction(con):
            warehouse.replace_partition(con, "quality.deliveries", newer, "feed", "health")
            warehouse.append(con, "quality.history", newer)
            warehouse.append(con, "quality.history", pl.DataFrame({"feed": ["yos"], "rows": [1], "note": ["x"]}))
        rows = con.sql("SELECT feed, rows, pseudonymised_at_source FROM quality.deliveries ORDER BY feed").fetchall()
        history = con.sql("SELECT feed, note FROM quality.history ORDER BY feed").fetchall()
    assert rows == [("health", 4, True), ("police", 3, None)]
    assert history == [("health", None), ("yos", "x")]


def test_a_changed_column_type_is_refused_and_nothing_is_written(tmp_path):
    db = tmp_path / "w.duckdb"
    with warehouse.connect(db) as con:
        warehouse.append(con, "quality.history", pl.DataFrame({"feed": ["police"], "rows": [3]}))
        with pytest.raises(warehouse.SchemaMismatchError, match="column rows is BIGINT"):
            with warehouse.transaction(con):
                warehouse.replace_table(con, "staging.x", pl.DataFrame({"a": [1]}))
                warehouse.append(con, "quality.history", pl.DataFrame({"feed": ["health"], "rows": ["four"]}))
        assert con.sql("SELECT count(*) FROM quality.history").fetchall() == [(1,)]
        assert not warehouse.table_exists(con, "staging.x")  # the whole transaction rolled back


def test_the_linkage_zone_file_is_private(tmp_path):
    zone = tmp_path / "zone.duckdb"
    with warehouse.connect(zone, private=True) as con:
        warehouse.replace_table(con, "tokens.t", pl.DataFrame({"a": ["x"]}))
    assert oct(zone.stat().st_mode & 0o777) == "0o600"
    zone.chmod(0o644)
    with warehouse.connect(zone, private=True):
        pass
    assert oct(zone.stat().st_mode & 0o777) == "0o600"
