"""Publication of aggregate figures: statistical disclosure control for count tables.

`protect` adds totals to a one- or two-way count table and suppresses small counts and the
cells that would give them away (`suppress` + `publish` when the status is needed, as the
audit does); see `dagster_project.publication.disclosure` for the method. Tables published
together are audited together, as an attacker would combine them, and protected further until
every small count is safe: `dagster_project.publication.audit`.
"""

from dagster_project.publication.disclosure import (
    PRIMARY,
    SECONDARY,
    SuppressedTable,
    protect,
    publish,
    suppress,
)

__all__ = ["PRIMARY", "SECONDARY", "SuppressedTable", "protect", "publish", "suppress"]
