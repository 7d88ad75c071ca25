"""Publication of aggregate figures: statistical disclosure control for count tables.

`protect` adds totals to a one- or two-way count table and suppresses small counts and the
cells that would give them away; see `dagster_project.publication.disclosure` for the method.
"""

from dagster_project.publication.disclosure import PRIMARY, SECONDARY, protect

__all__ = ["PRIMARY", "SECONDARY", "protect"]
