"""Linked data platform for violence and exploitation reduction."""
