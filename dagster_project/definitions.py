"""Everything Dagster loads: `dagster asset materialize -m dagster_project.definitions --select '*'`.

Definitions are organised by domain (`defs/ingest`, `defs/linkage`, `defs/cohorts`), each
exposing its own `defs`, merged here with the shared resources. Runs execute in one
process: DuckDB allows a single writing process per warehouse file, and on two cores
DuckDB's own threads already use the machine fully.
"""

import dagster as dg

from dagster_project.defs import cohorts, ingest, linkage
from dagster_project.defs.jobs import pipeline_job
from dagster_project.resources import resources_from_environment

defs = dg.Definitions.merge(
    ingest.defs,
    linkage.defs,
    cohorts.defs,
    dg.Definitions(
        jobs=[pipeline_job],
        resources=resources_from_environment(),
        executor=dg.in_process_executor,
    ),
)
