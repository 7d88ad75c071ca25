"""Probabilistic linkage of pseudonymised records with Splink (DuckDB backend): the model,
training, prediction and clustering, stable person ids, evaluation against a ground truth.

Linkage sees tokens only: it never imports feeds, staging, the reference lookups, the
synthetic generator or the plaintext standardisation (a contract in `make lint`).
"""
