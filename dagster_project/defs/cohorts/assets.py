"""Cohort tables, each built in SQL (`sql/cohorts/<name>.sql`) from the staged attributes
and the linked person ids. Their columns are documented in the SQL files' headers, which
become the assets' column schemas in Dagster."""

import re

import dagster as dg

from dagster_project import warehouse
from dagster_project.cohort_tables import COHORT_TABLES_IN_ORDER, LINKAGE, CohortTable
from dagster_project.cohort_tables import GEOGRAPHY as GEOGRAPHY_INPUT
from dagster_project.defs.ingest.assets import staging_key
from dagster_project.defs.linkage.assets import PERSON_RECORDS
from dagster_project.defs.reference.assets import GEOGRAPHY
from dagster_project.feeds import FEED_NAMES
from dagster_project.resources import WarehouseResource


def cohort_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["cohorts", name])


def column_descriptions(sql: str) -> dict[str, str]:
    """Column descriptions from the `--   name  description` block at the top of a SQL file."""
    return dict(re.findall(r"^--\s{3}(\w+)\s+(.+)$", sql, flags=re.MULTILINE))


def first_line(sql: str) -> str:
    """What the table holds: the SQL file's opening comment, after the table name."""
    return sql.splitlines()[0].lstrip("- ").split(":", 1)[-1].strip()


class UnreportedAssaultsConfig(dg.Config):
    window_days: int = 14
    """An A&E assault attendance counts as reported when police recorded the same person as a
    victim within this many days either side."""


def build_cohort_asset(name: str, deps: list[dg.AssetKey], config_class: type | None = None) -> dg.AssetsDefinition:
    sql_file = f"cohorts/{name}.sql"
    sql = warehouse.load_sql(sql_file)

    def _materialise(context: dg.AssetExecutionContext, warehouse_db: WarehouseResource, variables: dict):
        with warehouse_db.connect() as con:
            for variable, value in variables.items():
                warehouse.run(con, f"SET VARIABLE {variable} = {int(value)}")
            warehouse.define_macros(con)
            with warehouse.transaction(con):
                warehouse.run(con, "CREATE SCHEMA IF NOT EXISTS cohorts")
                warehouse.run(con, sql)
            rows = con.sql(f"SELECT count(*) FROM cohorts.{name}").fetchall()[0][0]
        context.log.info("cohorts.%s: %d rows", name, rows)
        return dg.MaterializeResult(
            metadata={
                "rows": dg.MetadataValue.int(rows),
                "sql": dg.MetadataValue.path(str(warehouse.sql_dir() / sql_file)),
                "dagster/column_schema": dg.TableSchema(
                    columns=[dg.TableColumn(c, description=d) for c, d in column_descriptions(sql).items()]
                ),
            }
        )

    common = dict(
        key=cohort_key(name),
        deps=deps,
        group_name="cohorts",
        kinds={"duckdb", "sql"},
        description=first_line(sql),
    )
    if config_class is UnreportedAssaultsConfig:

        @dg.asset(**common)
        def _asset(
            context: dg.AssetExecutionContext, config: UnreportedAssaultsConfig, warehouse_db: WarehouseResource
        ):
            return _materialise(context, warehouse_db, {"unreported_window_days": config.window_days})

    else:

        @dg.asset(**common)
        def _asset(context: dg.AssetExecutionContext, warehouse_db: WarehouseResource):
            return _materialise(context, warehouse_db, {})

    return _asset


def _inputs(table: CohortTable) -> list[dg.AssetKey]:
    """The asset keys a cohort table is built from (`cohort_tables`)."""
    keys: list[dg.AssetKey] = []
    for name in table.inputs:
        if name == LINKAGE:
            keys += [PERSON_RECORDS, *(staging_key(f) for f in FEED_NAMES)]
        elif name == GEOGRAPHY_INPUT:
            keys.append(GEOGRAPHY)
        else:
            keys.append(cohort_key(name))
    return keys


EVENTS = cohort_key("events")
CONFIG = {"unreported_assaults": UnreportedAssaultsConfig}
cohort_assets = [build_cohort_asset(t.name, _inputs(t), CONFIG.get(t.name)) for t in COHORT_TABLES_IN_ORDER]
