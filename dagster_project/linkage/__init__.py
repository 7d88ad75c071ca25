"""Probabilistic linkage of pseudonymised records with Splink (DuckDB backend)."""
