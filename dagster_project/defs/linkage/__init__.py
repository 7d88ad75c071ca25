"""Linkage domain: Splink across all feeds → `linkage.person_records`."""

import dagster as dg

from dagster_project.defs.linkage.assets import person_records

defs = dg.Definitions(assets=[person_records])
