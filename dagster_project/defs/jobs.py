"""Jobs shared by the schedule and the sensor."""

import dagster as dg

pipeline_job = dg.define_asset_job(
    "veru_pipeline",
    selection=dg.AssetSelection.all(),
    description="Every asset: ingest all feeds, link, build cohorts.",
)
