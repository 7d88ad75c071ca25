"""Reference domain: the geography lookups (neighbourhood → council → deprivation, residents)."""

import dagster as dg

from dagster_project.defs.reference.assets import reference_geography

defs = dg.Definitions(assets=[reference_geography])
