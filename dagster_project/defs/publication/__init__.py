"""Publication domain: protected aggregates and the analyst snapshot."""

import dagster as dg

from dagster_project.defs.publication.assets import aggregates, analyst_snapshot

defs = dg.Definitions(assets=[aggregates, analyst_snapshot])
