"""Dagster definitions, one package per domain (reference, ingest, linkage, cohorts,
publication, quality), merged in `dagster_project.definitions`.

The Dagster layer turns library results into assets, checks, metadata, a sensor and a
schedule; the work itself lives in the libraries (`staging`, `linkage`, `publication`,
`quality`). It may import the libraries and `resources`; no library imports it.
"""
