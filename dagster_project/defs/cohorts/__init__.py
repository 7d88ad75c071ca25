"""Cohorts domain: linked person-level tables for analysts."""

import dagster as dg

from dagster_project.defs.cohorts.assets import person_summary

defs = dg.Definitions(assets=[person_summary])
