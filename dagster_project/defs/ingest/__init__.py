"""Ingest domain: one staging asset per agency feed, the landing sensor and the schedule."""

import dagster as dg

from dagster_project.defs.ingest.assets import staging_assets
from dagster_project.defs.ingest.schedules import build_weekly_schedule
from dagster_project.defs.ingest.sensors import build_landing_sensor
from dagster_project.defs.jobs import pipeline_job

defs = dg.Definitions(
    assets=staging_assets,
    sensors=[build_landing_sensor(pipeline_job)],
    schedules=[build_weekly_schedule(pipeline_job)],
)
