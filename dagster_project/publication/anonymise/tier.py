"""What the default tier is made of: k, the levels persons and events are generalised along, its
tables, and the columns its events may hold (`EVENT_COLUMNS`) and no table of it may
(`DETAIL_COLUMNS`). `_run_file` runs one of its SQL files (`sql/analyst/<name>.sql`)."""

from __future__ import annotations

import duckdb

from dagster_project import warehouse
from dagster_project.cohort_tables import COHORT_TABLES

K = 5
PERSON_LEVELS: tuple[str, ...] = ("council", "county", "suppressed")
EVENT_LEVELS: tuple[str, ...] = ("month_and_time", "month", "quarter", "year", "none")
# Levels whose groups below k are padded with the smallest finer group under them. Events: the
# month (so publishing the time of day costs no event its month) and the last level (where there
# is nowhere coarser to go). Persons: none. At their last level a group below k holds only thin
# kinds, so its persons are withheld; padding would only pull a whole council group down to
# the suppressed level for persons who are then withheld all the same.
PADDED_PERSON_LEVELS: frozenset[int] = frozenset()
PADDED_EVENT_LEVELS = frozenset({1, 4})

# The person-level tables of the default tier, in the order they are built; each is
# `sql/analyst/tables/<name>.sql` and is published as `cohorts.<name>`.
DEFAULT_TABLES: tuple[str, ...] = COHORT_TABLES
# Every table but the events is derived from the published events alone (published_spans.sql).
DERIVED_TABLES: tuple[str, ...] = DEFAULT_TABLES[1:]
PUBLISHED_SPANS = "published_spans"
# The column naming a row of each derived table (what a difference is reported by).
TABLE_KEYS: dict[str, str] = {table: "person_id" for table in DERIVED_TABLES} | {"unreported_assaults": "event_id"}

# The columns of the default tier's events, the one table written from the warehouse. Each is
# what the source record says, the period the recoding published, or the person's published
# group; none is worked out from an exact date, hour, age or place. A column added to
# tables/events.sql must be added here, with the reason it says nothing the tier removes,
# or the k_anonymity check refuses the publication.
EVENT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "person_id",  # drawn afresh in random order
    "feed",
    "role",  # the kind of record (part of the event's group)
    # the published period: parts of event_period only, the time of day only with a month
    "event_period",
    "event_period_level",
    "event_year",
    "event_quarter",
    "event_month",
    "time_of_day",
    # what the record says (not measured as quasi-identifiers: see FIGURES for what they single out)
    "category",
    "domestic_abuse",
    "sexual_offence",
    "violence_or_sexual",
    "knife",
    "weapon",
    "admitted",
    "cse_concern",
    "cce_concern",
    "exploitation_concern",
    "missing_episodes",
    "outcome_type",
    "age_band",
    "sex",
    "home_area_level",
    "council",  # the person's published group
)

# Columns of the restricted tier that must never appear in a default-tier table: exact dates
# and times, ages, places finer than the published area, ethnicity, and gaps in days.
DETAIL_COLUMNS = frozenset(
    {
        "event_date",
        "event_at",
        "event_hour",
        "event_weekday",
        "night_time_economy",
        "age_at_event",
        "latest_age",
        "age_at_first",
        "age_at_first_contact",
        "age_at_first_flag",
        "home_lsoa",
        "neighbourhood",
        "imd_decile",
        "event_lsoa",
        "event_lsoa_is_home",
        "occurrence_id",
        "ethnic_group",
        "first_event_date",
        "last_event_date",
        "first_victimisation",
        "last_victimisation",
        "first_offending",
        "last_offending",
        "gap_days",
        "first_flagged",
        "first_window_start",
        "first_da_event",
        "last_da_event",
        "days_to_police_record",
    }
)


def _run_file(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple]:
    return warehouse.run(con, warehouse.load_sql(f"analyst/{name}.sql"))


def define_tier_macros(con: duckdb.DuckDBPyConnection) -> None:
    """The shared macros (`sql/macros.sql`: the victimisation and offending rules, age bands)
    and the default tier's own (`sql/analyst/macros.sql`), for this connection."""
    warehouse.define_macros(con)
    _run_file(con, "macros")
