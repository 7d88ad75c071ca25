"""Linkage domain: Splink across all feeds → `linkage.person_records`, and, where a synthetic
ground truth is configured (`VERU_TRUTH_DIR`), its evaluation."""

import dagster as dg

from dagster_project.defs.linkage.assets import person_records
from dagster_project.defs.linkage.evaluation import linkage_evaluation
from dagster_project.settings import Environment

_assets = [person_records]
if Environment.from_env().truth_dir is not None:
    _assets.append(linkage_evaluation)

defs = dg.Definitions(assets=_assets)
