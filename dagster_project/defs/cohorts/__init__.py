"""Cohorts domain: linked person-level tables for analysts."""
