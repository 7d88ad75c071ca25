"""One home for tables (issue 11): every table the platform writes is declared once
(`dagster_project/tables.py`), made from its declaration, and a frame that differs from it is
refused naming the table and the column, never a value."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from dagster_project import tables, warehouse
from dagster_project.tools.migrate import declared_tables

DECLARED = declared_tables()
SECRET = "Bloggs-1970-01-01"  # a value no error may quote


def value(dtype: pl.DataType, i: int) -> object:
    """A value of `dtype`, different for each `i`."""
    if dtype == pl.String():
        return f"{SECRET}-{i}"
    if dtype in (pl.Int64(), pl.Int32()):
        return 10 + i
    if dtype == pl.Float64():
        return 0.25 + i
    if dtype == pl.Boolean():
        return i % 2 == 0
    if dtype == pl.Date():
        return dt.date(2024, 1, 1 + i)
    if dtype == pl.Datetime("us"):
        return dt.datetime(2024, 1, 1 + i, 10, 30, 15, 250)
    if dtype == pl.Binary():
        return bytes([i, 255 - i])
    if dtype == pl.List(pl.String()):
        return [f"t{i}", f"u{i}"]
    raise AssertionError(f"no sample value for {dtype}")


def sample(table: tables.Table, n: int = 2) -> pl.DataFrame:
    """`n` filled rows of `table` and one row of nulls."""
    rows = [{column: value(dtype, i) for column, dtype in table.columns} for i in range(n)]
    return table.from_rows([*rows, {}])


def test_every_table_is_declared_once_and_in_a_declared_schema():
    names = [t.name for t in DECLARED]
    assert len(names) == len(set(names))
    assert {name.split(".")[0] for name in names} == set(tables.DECLARED_SCHEMAS)
    assert {t.name for t in DECLARED if t.zone == tables.LINKAGE_ZONE} == {
        "linkage.links", "tokens.police", "tokens.social_care", "tokens.health", "tokens.yos",
    }  # fmt: skip


@pytest.mark.parametrize("table", DECLARED, ids=lambda t: t.name)
def test_every_declared_table_round_trips_through_each_write_path(tmp_path, table):
    frame = sample(table)
    column, first = table.column_names[0], frame.row(0)[0]
    with warehouse.connect(tmp_path / "w.duckdb", private=True) as con:
        warehouse.replace_table(con, table, frame)
        assert list(warehouse.table_columns(con, table.name)) == table.column_names
        assert warehouse.drift(con, table) == []
        assert_frame_equal(warehouse.read_declared(con, table), frame)

        warehouse.append(con, table, frame)
        assert_frame_equal(warehouse.read_declared(con, table), pl.concat([frame, frame]))

        warehouse.replace_partition(con, table, frame.head(1), column, first)
        kept = pl.concat([frame, frame]).filter(pl.col(column).is_null() | (pl.col(column) != first))
        assert_frame_equal(warehouse.read_declared(con, table), pl.concat([kept, frame.head(1)]))
        assert warehouse.drift(con, table) == []


def test_an_empty_frame_of_a_table_creates_it_with_the_declared_types(tmp_path):
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        warehouse.append(con, tables.VALIDATION_RESULTS, tables.VALIDATION_RESULTS.empty())
        types = warehouse.table_columns(con, tables.VALIDATION_RESULTS.name)
    # an inferred frame once made these NULL (all missing) and BIGINT (whole numbers only)
    assert (types["exception"], types["problem"], types["observed_value"]) == ("VARCHAR", "VARCHAR", "DOUBLE")


PERTURBATIONS = {
    "extra": (lambda f: f.with_columns(pl.lit(SECRET).alias("note")), "note", "is not declared"),
    "missing": (lambda f: f.drop("fails_now"), "fails_now", "is missing (declared Boolean)"),
    "retyped": (
        lambda f: f.with_columns(pl.col("rows_read").cast(pl.String)),
        "rows_read",
        "is String, declared Int64",
    ),
}


@pytest.mark.parametrize("write", ["append", "replace_partition", "replace_table"])
@pytest.mark.parametrize("kind", list(PERTURBATIONS))
def test_a_frame_with_an_extra_missing_or_retyped_column_is_refused_naming_table_and_column(tmp_path, write, kind):
    perturb, column, what = PERTURBATIONS[kind]
    frame = perturb(sample(tables.DELIVERIES))
    calls = {
        "append": lambda con: warehouse.append(con, tables.DELIVERIES, frame),
        "replace_partition": lambda con: warehouse.replace_partition(con, tables.DELIVERIES, frame, "feed", "police"),
        "replace_table": lambda con: warehouse.replace_table(con, tables.DELIVERIES, frame),
    }
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        with pytest.raises(warehouse.SchemaMismatchError) as caught:
            calls[write](con)
        assert not warehouse.table_exists(con, tables.DELIVERIES.name)
    message = str(caught.value)
    assert "quality.deliveries" in message and f"column {column} {what}" in message
    assert SECRET not in message


def test_a_value_that_does_not_fit_its_column_is_refused_without_quoting_it():
    with pytest.raises(warehouse.SchemaMismatchError, match="column rows_read is not Int64") as caught:
        tables.DELIVERIES.from_rows([{"feed": "police", "rows_read": SECRET}])
    assert SECRET not in str(caught.value)
    with pytest.raises(warehouse.SchemaMismatchError, match=r"quality.deliveries: column\(s\) rows not declared"):
        tables.DELIVERIES.from_rows([{"feed": "police", "rows": 3}])


def test_a_declared_schema_cannot_be_written_by_name_alone(tmp_path):
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        with pytest.raises(warehouse.SchemaMismatchError, match="quality.history: its tables are declared"):
            warehouse.replace_table(con, "quality.history", pl.DataFrame({"a": [1]}))
        warehouse.replace_table(con, "aggregates.counts", pl.DataFrame({"a": [1]}))  # not a declared schema


# ---------------------------------------------------------------------------------------
# Property: any frame matching a declaration is accepted; any one-column change is refused
# ---------------------------------------------------------------------------------------

OTHER_TYPES = (pl.String(), pl.Int64(), pl.Int32(), pl.Float64(), pl.Boolean(), pl.Date(), pl.Datetime("us"),
               pl.Datetime("ns"), pl.Binary(), pl.List(pl.String()), pl.List(pl.Int64()))  # fmt: skip
# Any text a UTF-8 column can hold: no NUL, no lone surrogate (polars cannot encode one, and no
# decoded delivery or DuckDB result carries one).
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=5)
ROW_VALUE = {
    pl.String(): TEXT,
    pl.Int64(): st.integers(-(2**63), 2**63 - 1),
    pl.Int32(): st.integers(-(2**31), 2**31 - 1),
    pl.Float64(): st.floats(allow_nan=False),
    pl.Boolean(): st.booleans(),
    pl.Date(): st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)),
    pl.Datetime("us"): st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2099, 12, 31)),
    pl.Binary(): st.binary(max_size=4),
    pl.List(pl.String()): st.lists(TEXT, max_size=2),
}


@st.composite
def matching(draw) -> tuple[tables.Table, pl.DataFrame]:
    """A declared table and a frame of its columns and types (any order, any values, nulls)."""
    table = draw(st.sampled_from(DECLARED))
    rows = draw(st.lists(
        st.fixed_dictionaries({c: st.none() | ROW_VALUE[t] for c, t in table.columns}), max_size=3,
    ))  # fmt: skip
    order = draw(st.permutations(table.column_names))
    return table, table.from_rows(rows).select(order)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matching())
def test_any_frame_matching_its_declaration_is_accepted(case):
    table, frame = case
    con = duckdb.connect()
    try:
        warehouse.append(con, table, frame)
        warehouse.append(con, table, frame)
        assert warehouse.drift(con, table) == []
        assert_frame_equal(warehouse.read_declared(con, table), pl.concat([frame, frame]).select(table.column_names))
    finally:
        con.close()


@settings(max_examples=150, deadline=None)
@given(matching(), st.data())
def test_any_single_column_change_is_refused_naming_table_and_column(case, data):
    table, frame = case
    column = data.draw(st.sampled_from(table.column_names))
    kind = data.draw(st.sampled_from(["drop", "rename", "add", "retype"]))
    if kind == "drop":
        changed, named = frame.drop(column), column
    elif kind == "rename":
        changed, named = frame.rename({column: column + "_x"}), column
    elif kind == "add":
        changed, named = frame.with_columns(pl.lit(None, pl.String).alias(column + "_x")), column + "_x"
    else:
        dtype = data.draw(st.sampled_from([t for t in OTHER_TYPES if t != table.schema[column]]))
        changed, named = frame.with_columns(pl.lit(None, dtype).alias(column)), column
    with pytest.raises(warehouse.SchemaMismatchError) as caught:
        table.check(changed)
    assert f"Cannot write {table.name}: " in str(caught.value)
    assert f"column {named} " in str(caught.value)


def test_any_single_column_change_is_refused_by_the_warehouse_too(tmp_path: Path):
    """The property above checks the gate; this checks every write path uses it."""
    table = tables.FEED_STATUS
    changed = sample(table).with_columns(pl.col("latest_rows").cast(pl.Float64))
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        warehouse.append(con, table, sample(table))
        for write in (
            lambda: warehouse.append(con, table, changed),
            lambda: warehouse.replace_partition(con, table, changed, "feed", "police"),
            lambda: warehouse.replace_table(con, table, changed),
        ):
            with pytest.raises(warehouse.SchemaMismatchError, match="column latest_rows is Float64, declared Int64"):
                write()
        assert warehouse.read_declared(con, table).height == 3
