"""Cohort tables built in SQL from the staged attributes and the linked person ids."""


import re

import dagster as dg

from dagster_project import warehouse
from dagster_project.defs.linkage.assets import PERSON_RECORDS
from dagster_project.resources import WarehouseResource

PERSON_SUMMARY = dg.AssetKey(["cohorts", "person_summary"])
SQL_FILE = "cohorts/person_summary.sql"


def column_descriptions(sql: str) -> dict[str, str]:
    """Column descriptions from the `--   name  description` block at the top of a SQL file."""
    return dict(re.findall(r"^--\s{3}(\w+)\s+(.+)$", sql, flags=re.MULTILINE))


@dg.asset(
    key=PERSON_SUMMARY,
    deps=[PERSON_RECORDS],
    group_name="cohorts",
    kinds={"duckdb", "sql"},
    description=(
        "One row per linked person: how many records they have in each feed and role, and "
        "their first and last event dates. No identifiers, no record keys."
    ),
)
def person_summary(context: dg.AssetExecutionContext, warehouse_db: WarehouseResource) -> dg.MaterializeResult:
    """Materialise `cohorts.person_summary` from `warehouse/cohorts/person_summary.sql`."""
    sql = warehouse.load_sql(SQL_FILE)
    with warehouse_db.connect() as con, warehouse.transaction(con):
        warehouse.run(con, "CREATE SCHEMA IF NOT EXISTS cohorts")
        warehouse.run(con, sql)
        counts = con.sql(
            "SELECT count(*), count(*) FILTER (WHERE feeds_present > 1), "
            "count(*) FILTER (WHERE police_victim > 0 AND (police_suspect + police_offender) > 0) "
            "FROM cohorts.person_summary"
        ).fetchall()[0]
    persons, multi_feed, victim_offenders = counts
    columns = column_descriptions(sql)
    return dg.MaterializeResult(
        metadata={
            "persons": dg.MetadataValue.int(persons),
            "persons_in_more_than_one_feed": dg.MetadataValue.int(multi_feed),
            "persons_both_victim_and_suspect_or_offender": dg.MetadataValue.int(victim_offenders),
            "dagster/column_schema": dg.TableSchema(
                columns=[dg.TableColumn(name, description=text) for name, text in columns.items()]
            ),
        }
    )
