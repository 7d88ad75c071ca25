"""Cohorts domain: linked person-level tables for analysts."""

import dagster as dg

from dagster_project.defs.cohorts.assets import cohort_assets

defs = dg.Definitions(assets=cohort_assets)
