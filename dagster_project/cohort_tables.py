"""The cohort tables: one registry, read by the assets that build them, their checks, the
analyst tier, the run report and the benchmarks.

Each is built by `sql/cohorts/<name>.sql` into `cohorts.<name>`, validated by
`expectations/cohorts_<name>.json` and published in both analyst tiers. `inputs` says what
each is built from: other cohort tables by name, and "linkage" (the linked person records and
the staged feeds) or "geography" (the reference lookups).
"""

from __future__ import annotations

from dataclasses import dataclass

LINKAGE = "linkage"
GEOGRAPHY = "geography"


@dataclass(frozen=True)
class CohortTable:
    name: str
    inputs: tuple[str, ...]
    # how the run report names the people it counts; None: not reported as a cohort
    report_label: str | None = None


# In publication order: events first (every other table of the default analyst tier is derived
# from the published events), then the person-level tables.
COHORT_TABLES_IN_ORDER: tuple[CohortTable, ...] = (
    CohortTable("events", (LINKAGE,)),
    CohortTable("persons", ("events", GEOGRAPHY)),
    CohortTable("person_summary", (LINKAGE,)),
    CohortTable("victims", ("events",), "victims (police victim records, A&E assault attendances)"),
    CohortTable("offenders", ("events",), "offenders and suspects (police, YOS)"),
    CohortTable("victim_offender_overlap", ("victims", "offenders"), "both victim and offender"),
    CohortTable("repeat_victims", ("events",), "repeat victims (3+ in 12 months)"),
    CohortTable("domestic_abuse", ("events",), "in domestic-abuse offences"),
    CohortTable("exploitation_risk", ("events",), "under 25 at risk of exploitation"),
    CohortTable("unreported_assaults", ("events",)),
)
COHORT_TABLES: tuple[str, ...] = tuple(t.name for t in COHORT_TABLES_IN_ORDER)
BY_NAME: dict[str, CohortTable] = {t.name: t for t in COHORT_TABLES_IN_ORDER}
# The person-level cohorts the report and the benchmarks count.
REPORTED: dict[str, str] = {t.name: t.report_label for t in COHORT_TABLES_IN_ORDER if t.report_label}
