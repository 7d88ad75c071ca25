"""Schema drift is refused, never altered silently; `python -m dagster_project.tools.migrate`
brings a warehouse of an older release to the declared tables, once; and what a real run writes
matches the declarations."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dagster_project import tables, warehouse
from dagster_project.feeds import FEEDS
from dagster_project.linkage.evaluate import (
    cluster_scores,
    pairwise_scores,
    scores_by_feed_pair,
    scores_by_group,
)
from dagster_project.linkage.run import link_records
from dagster_project.linkage.store import evaluation_table, write_links, write_run
from dagster_project.pseudonymise.keys import HashKey
from dagster_project.staging.run import stage_feed
from dagster_project.synthetic import SyntheticConfig, generate
from dagster_project.tools import migrate
from dagster_project.tools.migrate import declared_tables

# `quality.deliveries`, `quality.validation_results` and pairwise links as an older release left
# them: no fails_now, lines or blank_lines (before kept verdicts and the streaming reader), no
# judged (before small deliveries went unjudged), columns typed from their first rows (NULL when
# all missing, BIGINT when whole), and the links in the warehouse (before the split-file model).
OLD_RELEASE = """
CREATE SCHEMA quality;
CREATE TABLE quality.deliveries AS SELECT * FROM (VALUES
    ('police', 'police_2024-01-05.csv', DATE '2024-01-05', FALSE, 'ab12', 1200::BIGINT, 10::BIGINT,
     0::BIGINT, 10::BIGINT, 'accepted', NULL)
) t(feed, delivery_file, extract_date, pseudonymised_at_source, sha256, size_bytes, rows_read,
    rows_rejected, rows_accepted, status, reason);
CREATE TABLE quality.validation_results AS SELECT * FROM (VALUES
    ('police', 'police_2024-01-05.csv', TRUE, 10::BIGINT, 'expect_table_row_count_to_be_between', NULL,
     'warning', 'rows', TRUE, NULL::BIGINT, NULL::BIGINT, NULL::DOUBLE, 10::BIGINT, NULL, NULL,
     'police', 'run-1', TIMESTAMP '2024-01-06 10:00:00')
) t(suite_name, label, suite_success, evaluated_rows, expectation_type, "column", severity, description,
    success, element_count, unexpected_count, unexpected_percent, observed_value, exception, problem,
    feed, run_id, validated_at);
CREATE SCHEMA linkage;
CREATE TABLE linkage.links (record_id_l VARCHAR, record_id_r VARCHAR, match_weight DOUBLE, match_probability DOUBLE);
"""


@pytest.fixture
def old_warehouse(tmp_path) -> Path:
    path = tmp_path / "veru.duckdb"
    con = duckdb.connect(str(path))
    con.execute(OLD_RELEASE)
    con.close()
    return path


def schema_and_rows(path: Path) -> dict:
    """Every table's columns with types, and its rows: what a migration could change."""
    with warehouse.connect(path, read_only=True) as con:
        names = [f"{s}.{t}" for s, t in con.sql("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()]
        return {name: (warehouse.table_columns(con, name), sorted(map(str, warehouse.run(con, f"FROM {name}"))))
                for name in sorted(names)}  # fmt: skip


def test_a_drifted_table_is_refused_naming_table_column_and_what_to_do(old_warehouse):
    frame = tables.DELIVERIES.from_rows([{"feed": "police", "delivery_file": "police_2024-07-05.csv"}])
    with warehouse.connect(old_warehouse) as con:
        with pytest.raises(warehouse.SchemaDriftError) as caught:
            warehouse.replace_partition(con, tables.DELIVERIES, frame, "feed", "police")
        with pytest.raises(warehouse.SchemaDriftError, match="column exception is NULL, declared VARCHAR"):
            warehouse.read_declared(con, tables.VALIDATION_RESULTS)
        with pytest.raises(warehouse.SchemaDriftError, match="holds linkage.links, which belong in the linkage zone"):
            warehouse.refuse_misplaced(con, tables.WAREHOUSE, [tables.LINKS])
        assert "fails_now" not in warehouse.table_columns(con, "quality.deliveries")  # nothing altered
    message = str(caught.value)
    assert f"quality.deliveries in {old_warehouse} differs from its declaration" in message
    assert "column fails_now is missing (declared BOOLEAN)" in message and "column lines is missing" in message
    assert f"run `python -m dagster_project.tools.migrate --warehouse {old_warehouse}`" in message
    assert "police_2024" not in message and "ab12" not in message  # names the columns, never the data


def test_the_migrate_tool_brings_an_old_warehouse_to_the_declarations_once(old_warehouse, caplog):
    caplog.set_level(logging.INFO, logger=migrate.__name__)
    assert migrate.main(["--warehouse", str(old_warehouse), "--dry-run"]) == 0
    assert "would make" in caplog.text and "added column fails_now (BOOLEAN)" in caplog.text
    with warehouse.connect(old_warehouse, read_only=True) as con:
        assert "fails_now" not in warehouse.table_columns(con, "quality.deliveries")  # a dry run changes nothing

    caplog.clear()
    assert migrate.main(["--warehouse", str(old_warehouse)]) == 0
    for done in ("quality.deliveries: added column fails_now (BOOLEAN)",
                 "quality.deliveries: set fails_now to False in the rows an older release wrote",
                 "quality.validation_results: changed column observed_value from BIGINT to DOUBLE",
                 "quality.validation_results: changed column exception from NULL to VARCHAR",
                 "quality.validation_results: set judged to True in the rows an older release wrote",
                 "linkage.links: dropped: it belongs in the linkage zone only"):  # fmt: skip
        assert done in caplog.text
    with warehouse.connect(old_warehouse) as con:
        for table in (tables.DELIVERIES, tables.VALIDATION_RESULTS):
            assert warehouse.drift(con, table) == []
        deliveries = warehouse.read_declared(con, tables.DELIVERIES).row(0, named=True)
        results = warehouse.read_declared(con, tables.VALIDATION_RESULTS).row(0, named=True)
        assert not warehouse.table_exists(con, "linkage.links")
        # and the platform writes into it again
        warehouse.append(con, tables.DELIVERY_HISTORY, tables.DELIVERY_HISTORY.empty())
    assert (deliveries["fails_now"], deliveries["lines"], deliveries["rows_read"]) == (False, None, 10)
    assert (results["judged"], results["observed_value"], results["exception"]) == (True, 10.0, None)

    before = schema_and_rows(old_warehouse)
    caplog.clear()
    assert migrate.main(["--warehouse", str(old_warehouse)]) == 0
    assert "every declared table matches its declaration; nothing to do" in caplog.text
    assert schema_and_rows(old_warehouse) == before


def test_the_migrate_tool_changes_nothing_when_a_change_could_lose_data(old_warehouse, caplog):
    with warehouse.connect(old_warehouse) as con:
        warehouse.run(con, "ALTER TABLE quality.deliveries ALTER COLUMN size_bytes TYPE VARCHAR")
        warehouse.run(con, "ALTER TABLE quality.deliveries ADD COLUMN note VARCHAR")
    before = schema_and_rows(old_warehouse)
    assert migrate.main(["--warehouse", str(old_warehouse)]) == 1
    assert (
        "quality.deliveries: column size_bytes is VARCHAR, declared BIGINT; converting it could lose data"
        in caplog.text
    )
    assert "quality.deliveries: column note is not declared" in caplog.text
    assert "Nothing was changed." in caplog.text
    assert schema_and_rows(old_warehouse) == before


# ---------------------------------------------------------------------------------------
# What a real run writes, through the real write paths, matches every declaration
# ---------------------------------------------------------------------------------------


def test_every_declared_table_a_real_run_writes_matches_its_declaration(tmp_path):
    root = tmp_path
    config = SyntheticConfig(landing=root / "landing", truth=root / "truth", reference=root / "reference",
                             people=300, seed=11, deliveries=2, progress=False)  # fmt: skip
    generate(config)
    (config.landing / "yos" / "yos_2025-01-06.csv").write_text("not,the,agreed,header\n1,2,3,4\n")  # quarantined
    key = HashKey(bytes(range(32)), source="test")
    paths = {tables.WAREHOUSE: root / "veru.duckdb", tables.LINKAGE_ZONE: root / "zone.duckdb"}
    for spec in FEEDS.values():
        stage_feed(
            spec, landing_root=config.landing, key=key, as_of=dt.date(2025, 1, 12), run_id="run-1",
            connect_warehouse=lambda: warehouse.connect(paths[tables.WAREHOUSE], private=True),
            connect_linkage_zone=lambda: warehouse.connect(paths[tables.LINKAGE_ZONE], private=True),
            quarantine_dir=root / "quarantine", dashboard_dir=root / "site", max_delivery_bytes=1 << 30,
        )  # fmt: skip
    with warehouse.connect(paths[tables.LINKAGE_ZONE], private=True) as con:
        tokens = pl.concat([warehouse.read_declared(con, tables.tokens(feed)) for feed in FEEDS])
        result = link_records(tokens, model_dir=root / "models", reports=True, private_reports_dir=root / "reports")
        write_links(con, result)
    truth = pl.read_csv(config.truth / "ground_truth.csv", infer_schema=False)
    persons = pl.read_csv(config.truth / "persons.csv", infer_schema=False)
    with warehouse.connect(paths[tables.WAREHOUSE], private=True) as con:
        write_run(con, result, "run-1", dt.datetime(2025, 1, 12, 6))
        records = result.person_records
        scores = evaluation_table(
            pairwise_scores(records, truth), cluster_scores(records, truth), scores_by_feed_pair(records, truth),
            scores_by_group(records, truth, persons, "ethnic_group"), "run-1", dt.datetime(2025, 1, 12, 6),
        )  # fmt: skip
        warehouse.append(con, tables.LINKAGE_EVALUATION, scores)

    for zone, path in paths.items():
        with warehouse.connect(path, read_only=True) as con:
            for table in declared_tables():
                if table.zone == zone:
                    assert warehouse.table_exists(con, table.name), table.name
                    assert warehouse.drift(con, table) == [], table.name
                    assert warehouse.read_declared(con, table).height or table.name in EMPTY_IN_A_CLEAN_WORLD
    assert (
        migrate.main(["--warehouse", str(paths[tables.WAREHOUSE]), "--linkage-zone", str(paths[tables.LINKAGE_ZONE])])
        == 0
    )


# Tables a small healthy world may leave empty (no contradiction to split, no earlier run).
EMPTY_IN_A_CLEAN_WORLD = {"linkage.person_lineage", "linkage.clerical_review"} | {
    tables.rejects(feed).name for feed in FEEDS
}
