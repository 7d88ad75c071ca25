"""Quality domain: the feed-health dashboard (feed verdicts are checks on the staging assets)."""

import dagster as dg

from dagster_project.defs.quality.assets import dashboard

defs = dg.Definitions(assets=[dashboard])
