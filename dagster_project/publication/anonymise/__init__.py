"""The default analyst tier: person-level cohorts whose quasi-identifiers are coarsened until every
group an attacker can single a neighbour out by holds at least k persons, and the measurement of it.

Who the attacker is. Someone who knows a person in the data from outside it: a neighbour knows
where they live, their sex and roughly their age, and perhaps that they went to A&E, were
assaulted or were arrested around some date. An adversarial test of the single snapshot
published before the tiers found 56% of persons unique on home LSOA, sex and age band, and 96%
of events on those and the date: knowing "my neighbour went to A&E on date X" gave a person id
and every linked record.

Where each part lives
---------------------
- `tier`: what the default tier is made of: k, the generalisation levels, its tables, and the
  columns it may (`EVENT_COLUMNS`) and may never (`DETAIL_COLUMNS`) hold.
- `recode`: building it (`build_default_tier`): what the default tier does, step by step.
- `derivation`: checking that every table follows from the published events
  (`derivation_problems`).
- `figures`: measuring k-anonymity on any snapshot (`measure`, `breaches`).
- `cli`: the command line (`python -m dagster_project.publication.anonymise`).

What it does not protect: an attacker who knows several of a person's events, or the A&E
setting or offence as well, can still single many out (the figures say how many); k-anonymity
does not stop attribute disclosure (all k persons of a group may share a flag); the protected
aggregates published beside the tier are counted from exact dates (the attendances reported to
police by council, victimisations by month) and audited among themselves, not against these
tables; and the restricted tier keeps every detail. Those are for named analysts and the file
permissions.
"""

from dagster_project.publication.anonymise.cli import main
from dagster_project.publication.anonymise.derivation import Underivable, derivation_problems
from dagster_project.publication.anonymise.figures import (
    FIGURES,
    Figure,
    FigureSpec,
    breaches,
    figure_sqls,
    figures_markdown,
    figures_metadata,
    is_default_tier,
    measure,
    measure_file,
)
from dagster_project.publication.anonymise.recode import (
    AnonymisationError,
    Recoding,
    build_default_tier,
    published_span,
    write_default_tables,
)
from dagster_project.publication.anonymise.tier import (
    DEFAULT_TABLES,
    DERIVED_TABLES,
    DETAIL_COLUMNS,
    EVENT_COLUMNS,
    EVENT_LEVELS,
    PADDED_EVENT_LEVELS,
    PADDED_PERSON_LEVELS,
    PERSON_LEVELS,
    PUBLISHED_SPANS,
    TABLE_KEYS,
    K,
)

__all__ = [
    "DEFAULT_TABLES",
    "DERIVED_TABLES",
    "DETAIL_COLUMNS",
    "EVENT_COLUMNS",
    "EVENT_LEVELS",
    "FIGURES",
    "K",
    "PADDED_EVENT_LEVELS",
    "PADDED_PERSON_LEVELS",
    "PERSON_LEVELS",
    "PUBLISHED_SPANS",
    "TABLE_KEYS",
    "AnonymisationError",
    "Figure",
    "FigureSpec",
    "Recoding",
    "Underivable",
    "breaches",
    "build_default_tier",
    "derivation_problems",
    "figure_sqls",
    "figures_markdown",
    "figures_metadata",
    "is_default_tier",
    "main",
    "measure",
    "measure_file",
    "published_span",
    "write_default_tables",
]
