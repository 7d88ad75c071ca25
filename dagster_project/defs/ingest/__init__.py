"""Ingest domain: one staging asset per agency feed, the landing sensor and the schedule."""
