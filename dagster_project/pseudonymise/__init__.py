"""Pseudonymisation at source: standardise identifiers, then encode them under a secret key
(`keys`, `standardise`, `name_variants`, `encode`).

The lowest library layer: it imports only the base modules (`settings`), so an agency can
run it without the rest of the platform. Turning a whole delivery into its pseudonymised
form is staging's (`staging.pseudonymised`).
"""
