"""The publication tables (`aggregates.*`), disclosure-controlled before they are kept."""

import dagster as dg

from dagster_project import warehouse
from dagster_project.defs.cohorts.assets import cohort_key
from dagster_project.defs.reference.assets import GEOGRAPHY
from dagster_project.publication.aggregates import PUBLICATIONS, THRESHOLD, build, line_violations
from dagster_project.resources import WarehouseResource

AGGREGATES = dg.AssetKey(["publication", "aggregates"])


@dg.asset(
    key=AGGREGATES,
    deps=[*(cohort_key(n) for n in ("victims", "persons", "events", "unreported_assaults", "exploitation_risk")), GEOGRAPHY],
    group_name="publication",
    kinds={"duckdb", "polars"},
    description=(
        f"Count tables for publication (`aggregates.*`): victims by council, age band, sex, "
        f"neighbourhood, deprivation decile and ethnic group; victimisations by month, weekday and "
        f"hour; unreported assaults and exploitation risk by council. Cells below {THRESHOLD} are "
        "suppressed, with complementary cells so none can be recovered from the totals; rates per "
        "1,000 residents where residents are known."
    ),
    check_specs=[
        dg.AssetCheckSpec("disclosure_control", asset=AGGREGATES,
                          description=f"No published cell below {THRESHOLD}; no line with a single suppressed cell."),
    ],
)
def aggregates(context: dg.AssetExecutionContext, warehouse_db: WarehouseResource) -> dg.MaterializeResult:
    """Build and protect every publication table; write them in one transaction."""
    with warehouse_db.connect() as con:
        warehouse.define_macros(con)
        tables = {p: build(con, p) for p in PUBLICATIONS}
        with warehouse.transaction(con):
            for publication, table in tables.items():
                warehouse.replace_table(con, f"aggregates.{publication.name}", table)
    problems = {p.name: line_violations(t, p.dims) for p, t in tables.items()}
    failed = {name: found for name, found in problems.items() if found}
    summary = "\n".join(
        f"| {p.name} | {p.unit} | {t.height} | {int(t.get_column('suppressed').sum())} |" for p, t in tables.items()
    )
    return dg.MaterializeResult(
        metadata={
            "tables": dg.MetadataValue.md("| table | counts | cells | suppressed |\n| --- | --- | --- | --- |\n" + summary),
            "suppressed_cells": dg.MetadataValue.int(sum(int(t.get_column("suppressed").sum()) for t in tables.values())),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="disclosure_control",
                asset_key=AGGREGATES,
                passed=not failed,
                description="; ".join(f"{n}: {v[0]}" for n, v in failed.items()) or "every table protected",
            )
        ],
    )
