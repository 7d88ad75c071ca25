"""Linkage domain: Splink across all feeds → `linkage.person_records`."""
