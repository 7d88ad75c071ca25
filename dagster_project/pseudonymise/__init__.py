"""Pseudonymisation at source: standardise identifiers, then encode them under a secret key."""
