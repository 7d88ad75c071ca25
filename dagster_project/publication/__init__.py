"""Publication: the analyst snapshot in two tiers (`snapshot`, `anonymise`) and aggregate
figures under statistical disclosure control (`aggregates`, `disclosure`, `audit`).

`protect` adds totals to a one- or two-way count table and suppresses small counts and the
cells that would give them away (`suppress` + `publish` when the status is needed, as the
audit does). Tables published together are audited together, as an attacker would combine
them, and protected further until every small count is safe (`audit`).

The last library layer of the data flow: it reads the cohort tables and may import
`pseudonymise` and the base modules; never staging, quality, linkage, the Dagster layer or
the tools (`make lint`).
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
