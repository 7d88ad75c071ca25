"""Everything Dagster loads: `dagster asset materialize -m dagster_project.definitions --select '*'`.

Definitions are organised by domain (`defs/reference`, `defs/ingest`, `defs/linkage`,
`defs/cohorts`, `defs/publication`, `defs/quality`), each
exposing its own `defs`, merged here with the shared resources. Runs execute in one
process: DuckDB allows a single writing process per warehouse file, and on two cores
DuckDB's own threads already use the machine fully.
"""

import dagster as dg

from dagster_project.defs import cohorts, ingest, linkage, publication, quality, reference
from dagster_project.defs.jobs import pipeline_job
from dagster_project.resources import resources_for
from dagster_project.settings import Environment

defs = dg.Definitions.merge(
    reference.defs,
    ingest.defs,
    linkage.defs,
    cohorts.defs,
    publication.defs,
    quality.defs,
    dg.Definitions(
        jobs=[pipeline_job],
        resources=resources_for(Environment.from_env()),
        executor=dg.in_process_executor,
    ),
)
