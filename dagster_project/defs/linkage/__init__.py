"""Linkage domain: Splink across all feeds → `linkage.person_records`, and its evaluation
against a synthetic ground truth (skipped where none is configured, `VERU_TRUTH_DIR`)."""

import dagster as dg

from dagster_project.defs.linkage.assets import person_records
from dagster_project.defs.linkage.evaluation import linkage_evaluation, quality_targets

defs = dg.Definitions(assets=[person_records, linkage_evaluation], asset_checks=[quality_targets])
