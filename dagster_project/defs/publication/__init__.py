"""Publication domain: protected aggregates and the analyst snapshot."""

import dagster as dg

from dagster_project.defs.publication.aggregate_assets import aggregates
from dagster_project.defs.publication.snapshot_assets import analyst_snapshot

defs = dg.Definitions(assets=[aggregates, analyst_snapshot])
