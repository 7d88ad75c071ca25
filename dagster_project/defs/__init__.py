"""Dagster definitions, one package per domain (ingest, linkage, cohorts)."""
