"""Warehouse writes: atomic, and through each table's declaration (tests/test_tables.py)."""

import polars as pl
import pytest

from dagster_project import tables, warehouse


def test_a_changed_column_type_is_refused_and_nothing_is_written(tmp_path):
    db = tmp_path / "w.duckdb"
    runs = tables.LINKAGE_RUNS
    with warehouse.connect(db) as con:
        warehouse.append(con, runs, runs.from_rows([{"run_id": "r1", "records": 3}]))
        with (
            pytest.raises(warehouse.SchemaMismatchError, match="column records is String, declared Int64"),
            warehouse.transaction(con),
        ):
            warehouse.replace_table(con, "reference.x", pl.DataFrame({"a": [1]}))
            warehouse.append(con, runs, runs.from_rows([{"run_id": "r2"}]).with_columns(records=pl.lit("four")))
        assert con.sql("SELECT count(*) FROM linkage.runs").fetchall() == [(1,)]
        assert not warehouse.table_exists(con, "reference.x")  # the whole transaction rolled back


def test_the_linkage_zone_file_is_private(tmp_path):
    zone = tmp_path / "zone.duckdb"
    with warehouse.connect(zone, private=True) as con:
        warehouse.replace_table(con, "reference.t", pl.DataFrame({"a": ["x"]}))
    assert oct(zone.stat().st_mode & 0o777) == "0o600"
    zone.chmod(0o644)
    with warehouse.connect(zone, private=True):
        pass
    assert oct(zone.stat().st_mode & 0o777) == "0o600"
