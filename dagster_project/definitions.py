"""Everything Dagster loads: `dagster asset materialize -m dagster_project.definitions --select '*'`.

Definitions are organised by domain (ingest, linkage, cohorts) and merged here with the
shared resources. Runs execute in one process: DuckDB allows a single writing process per
warehouse file, and on two cores DuckDB's own threads use the machine fully.
"""

from __future__ import annotations

import dagster as dg

from dagster_project.defs.cohorts.assets import person_summary
from dagster_project.defs.ingest.assets import staging_assets
from dagster_project.defs.ingest.schedules import build_weekly_schedule
from dagster_project.defs.ingest.sensors import build_landing_sensor
from dagster_project.defs.linkage.assets import person_records
from dagster_project.resources import resources_from_environment

pipeline_job = dg.define_asset_job(
    "veru_pipeline",
    selection=dg.AssetSelection.all(),
    description="Every asset: ingest all feeds, link, build cohorts.",
)

ingest = dg.Definitions(
    assets=staging_assets,
    sensors=[build_landing_sensor(pipeline_job)],
    schedules=[build_weekly_schedule(pipeline_job)],
)
linkage = dg.Definitions(assets=[person_records])
cohorts = dg.Definitions(assets=[person_summary])

defs = dg.Definitions.merge(
    ingest,
    linkage,
    cohorts,
    dg.Definitions(
        jobs=[pipeline_job],
        resources=resources_from_environment(),
        executor=dg.in_process_executor,
    ),
)
