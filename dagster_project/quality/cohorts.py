"""Quality suites for the analyst-facing cohort tables, and their consistency with cohorts.events.

Each table `cohorts.<table>` has a suite `expectations/cohorts_<table>.json`, validated on the
table exactly as `SELECT *` returns it. `validate_frame` hands GX every column as text, so the
suites are written for that form: booleans read `true`/`false`, dates `yyyy-mm-dd` (which
compare correctly as text) and numbers plain decimals (checked with regexes, never compared).

What a single table cannot show is checked on comparison frames, each built by one SQL query
and validated with `expectations/cohorts_reconciliation.json`. Every frame has the columns
`key` (a person_id or event_id), `expected` and `actual`: the two sides of a full outer join,
so a key present on one side only has a null on the other. Values are compared as text, several
at a time as a struct, e.g. `{'victimisations': 3, 'police_victimisations': 2, ...}`.

- `<table>_vs_events`: the cohort's rows recomputed directly from cohorts.events (who is in it
  and their counts and dates) beside the rows the cohort holds.
- `<table>_relations`: relations between a row's own numbers that GX cannot compare on text
  (e.g. victimisations = police_victimisations + ae_attendances); expected is all true.
- `persons_exist`: every person_id of every cohort table is in cohorts.persons exactly once.

Results hold counts and suite-defined names only (see `dagster_project.quality.results`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from dagster_project.quality.results import BLOCKING, ExpectationOutcome, SuiteResult
from dagster_project.quality.suites import load_suite, validate_frame

if TYPE_CHECKING:
    import great_expectations as gx

logger = logging.getLogger(__name__)

COHORT_TABLES: tuple[str, ...] = (
    "events",
    "persons",
    "person_summary",
    "victims",
    "offenders",
    "victim_offender_overlap",
    "repeat_victims",
    "domestic_abuse",
    "exploitation_risk",
    "unreported_assaults",
)
RECONCILIATION_SUITE = "cohorts_reconciliation"
COMPARISON_COLUMNS: tuple[str, ...] = ("key", "expected", "actual")

# The event filters the cohorts are defined by, as their headers describe them.
_VICTIMISATION = "((feed = 'police' AND role = 'VICTIM') OR feed = 'health')"
_OFFENDING = "((feed = 'police' AND role IN ('SUSPECT', 'OFFENDER')) OR feed = 'yos')"


def cohort_suite_name(table: str) -> str:
    """The suite for `cohorts.<table>`: `cohorts_<table>`."""
    if table not in COHORT_TABLES:
        raise ValueError(f"Not a cohort table: {table!r}. Known tables: {', '.join(COHORT_TABLES)}.")
    return f"cohorts_{table}"


def cohort_table_sql(table: str) -> str:
    """The query whose result the table's suite validates: the table as it stands."""
    cohort_suite_name(table)  # validates the name
    return f"SELECT * FROM cohorts.{table}"


def reconciliation_sqls() -> dict[str, str]:
    """One SELECT per consistency check, each giving (key, expected, actual), by check name."""
    return {name: sql for name, (sql, _reads) in _reconciliations().items()}


def reconciliation_frames(con: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    """Every comparison frame of `reconciliation_sqls`, read from the warehouse on `con`."""
    return {name: con.sql(sql).pl() for name, sql in reconciliation_sqls().items()}


def validate_cohorts(
    con: duckdb.DuckDBPyConnection, *, label: str, tables: Iterable[str] = COHORT_TABLES
) -> list[SuiteResult]:
    """Validate every cohort table against its suite, then every comparison frame.

    `label` names the warehouse or run in the results (e.g. "demo"); each result's label adds
    the table or check, e.g. "demo: cohorts.victims" or "demo: victims_vs_events". `tables`
    limits the run to those tables' suites and the comparisons that read any of them (e.g.
    after one cohort is rebuilt). A table or frame that cannot be read gives a failed result
    naming the exception type, never an exception, so one broken table does not hide the
    verdict on the others.
    """
    chosen = set(tables)
    for table in chosen:
        cohort_suite_name(table)  # validates the name
    results = [
        _validate_sql(con, cohort_table_sql(table), cohort_suite_name(table), f"{label}: cohorts.{table}")
        for table in COHORT_TABLES
        if table in chosen
    ]
    suite = load_suite(RECONCILIATION_SUITE)
    results += [
        _validate_sql(con, sql, RECONCILIATION_SUITE, f"{label}: {name}", suite=suite)
        for name, (sql, reads) in _reconciliations().items()
        if chosen & reads
    ]
    return results


def _validate_sql(
    con: duckdb.DuckDBPyConnection, sql: str, suite_name: str, label: str, suite: gx.ExpectationSuite | None = None
) -> SuiteResult:
    """Read the frame `sql` selects and validate it; a query that fails is a failed result."""
    suite = suite if suite is not None else load_suite(suite_name)
    try:
        frame = con.sql(sql).pl()
    except duckdb.Error as exc:  # the message may quote data: keep the type only
        error = type(exc).__name__
        logger.warning("suite %s on %s: the frame could not be read (%s)", suite_name, label, error)
        outcome = ExpectationOutcome(
            expectation_type="frame_read",
            column=None,
            severity=BLOCKING,
            description=f"The frame for {label} could be read from the warehouse.",
            success=False,
            exception=error,
        )
        return SuiteResult.from_outcomes(suite_name, label, 0, [outcome])
    return validate_frame(frame, suite_name, label=label, suite=suite)


# ---------------------------------------------------------------------------------------
# SQL for the comparison frames
# ---------------------------------------------------------------------------------------


def _struct(fields: Mapping[str, str]) -> str:
    """A row's named values as one text, e.g. {'records': 3, 'first_event_date': 2024-01-05}.

    Each value is cast to text first, so BIGINT and INTEGER (or a count and a stored count)
    print alike.
    """
    members = ", ".join(f"'{name}': ({expr})::VARCHAR" for name, expr in fields.items())
    return f"{{{members}}}::VARCHAR"


def _comparison_sql(expected: str, actual: str) -> str:
    """Full outer join of two (key, value) queries into (key, expected, actual)."""
    return f"""
WITH expected AS ({expected}),
     actual AS ({actual})
SELECT coalesce(e.key, a.key) AS key, e.value AS expected, a.value AS actual
FROM expected AS e
FULL OUTER JOIN actual AS a ON a.key = e.key"""


def _same_columns(columns: list[str]) -> dict[str, str]:
    return {column: column for column in columns}


def _table_side(table: str, columns: list[str]) -> str:
    """The cohort table's own values of `columns`, per person, for `_comparison_sql`."""
    return f"SELECT person_id AS key, {_struct(_same_columns(columns))} AS value FROM cohorts.{table}"


def _persons_vs_events() -> tuple[str, str]:
    fields = {
        "records": "count(*)",
        "feed_count": "count(DISTINCT feed)",
        "feeds_present": "string_agg(DISTINCT feed, ',' ORDER BY feed)",
        "first_event_date": "min(event_date)",
        "last_event_date": "max(event_date)",
        # Latest by date, then by event id; the band follows the age.
        "latest_age": "arg_max(age_at_event, (event_date, event_id)) FILTER (WHERE age_at_event IS NOT NULL)",
        # a record with no date counts as the oldest
        "home_lsoa": "arg_max(home_lsoa, (coalesce(event_date, DATE '0001-01-01'), event_id))"
                     " FILTER (WHERE home_lsoa IS NOT NULL)",
    }
    expected = f"SELECT person_id AS key, {_struct(fields)} AS value FROM cohorts.events GROUP BY person_id"
    actual = _table_side("persons", list(fields))
    return expected, actual


def _person_summary_vs_events() -> tuple[str, str]:
    counts = {
        "police_victim": "feed = 'police' AND role = 'VICTIM'",
        "police_suspect": "feed = 'police' AND role = 'SUSPECT'",
        "police_offender": "feed = 'police' AND role = 'OFFENDER'",
        "police_witness": "feed = 'police' AND role = 'WITNESS'",
        "ae_attendances": "feed = 'health'",
        "social_care_referrals": "feed = 'social_care'",
        "yos_outcomes": "feed = 'yos'",
    }
    fields = {name: f"count(*) FILTER (WHERE {condition})" for name, condition in counts.items()}
    fields |= {
        "feeds_present": "count(DISTINCT feed)",
        "first_event_date": "min(event_date)",
        "last_event_date": "max(event_date)",
    }
    expected = f"SELECT person_id AS key, {_struct(fields)} AS value FROM cohorts.events GROUP BY person_id"
    actual = _table_side("person_summary", list(fields))
    return expected, actual


def _victims_vs_events() -> tuple[str, str]:
    fields = {
        "victimisations": "count(*)",
        "police_victimisations": "count(*) FILTER (WHERE feed = 'police')",
        "ae_attendances": "count(*) FILTER (WHERE feed = 'health')",
        "domestic_abuse": "count(*) FILTER (WHERE domestic_abuse)",
        "sexual_offences": "count(*) FILTER (WHERE sexual_offence)",
        "violence_or_sexual": "count(*) FILTER (WHERE violence_or_sexual)",
        "knife": "count(*) FILTER (WHERE knife)",
        "night_time_economy": "count(*) FILTER (WHERE night_time_economy)",
        "first_victimisation": "min(event_date)",
        "last_victimisation": "max(event_date)",
    }
    expected = f"""
SELECT person_id AS key, {_struct(fields)} AS value
FROM cohorts.events
WHERE {_VICTIMISATION}
GROUP BY person_id"""
    actual = _table_side("victims", list(fields))
    return expected, actual


def _offenders_vs_events() -> tuple[str, str]:
    fields = {
        "police_suspect": "count(*) FILTER (WHERE feed = 'police' AND role = 'SUSPECT')",
        "police_offender": "count(*) FILTER (WHERE feed = 'police' AND role = 'OFFENDER')",
        "yos_outcomes": "count(*) FILTER (WHERE feed = 'yos')",
        "domestic_abuse": "count(*) FILTER (WHERE domestic_abuse)",
        "sexual_offences": "count(*) FILTER (WHERE sexual_offence)",
        "knife": "count(*) FILTER (WHERE knife)",
        "first_offending": "min(event_date)",
        "last_offending": "max(event_date)",
        "age_at_first": "arg_min(age_at_event, (event_date, event_id)) FILTER (WHERE age_at_event IS NOT NULL)",
    }
    expected = f"""
SELECT person_id AS key, {_struct(fields)} AS value
FROM cohorts.events
WHERE {_OFFENDING}
GROUP BY person_id"""
    actual = _table_side("offenders", list(fields))
    return expected, actual


def _overlap_vs_events() -> tuple[str, str]:
    """Persons with at least one victimisation and one offending event, and which came first."""
    columns = ["victimisations", "offending", "first_victimisation", "first_offending", "sequence", "gap_days"]
    gap = "date_diff('day', first_victimisation, first_offending)"
    value = _struct({
        **_same_columns(columns[:4]),
        "sequence": f"CASE sign({gap}) WHEN 1 THEN 'victim_first' WHEN -1 THEN 'offender_first' ELSE 'same_day' END",
        "gap_days": gap,
    })
    expected = f"""
WITH per_person AS (
    SELECT person_id,
           count(*) FILTER (WHERE {_VICTIMISATION}) AS victimisations,
           count(*) FILTER (WHERE {_OFFENDING}) AS offending,
           min(event_date) FILTER (WHERE {_VICTIMISATION}) AS first_victimisation,
           min(event_date) FILTER (WHERE {_OFFENDING}) AS first_offending
    FROM cohorts.events
    GROUP BY person_id
)
SELECT person_id AS key, {value} AS value
FROM per_person
WHERE victimisations > 0 AND offending > 0"""
    actual = _table_side("victim_offender_overlap", columns)
    return expected, actual


_REPEAT_COLUMNS = ["most_in_12_months", "first_window_start", "victimisations", "domestic_abuse"]


def _repeat_victims_vs_events() -> tuple[str, str]:
    """Victimisations counted per 365-day window by a self-join (the cohort uses a window function)."""
    expected = f"""
WITH victimisation AS (
    SELECT event_id, person_id, event_date, domestic_abuse FROM cohorts.events WHERE {_VICTIMISATION}
),
windows AS (
    SELECT a.person_id, a.event_date, count(*) AS in_window
    FROM victimisation AS a
    JOIN victimisation AS b
      ON b.person_id = a.person_id AND b.event_date BETWEEN a.event_date AND a.event_date + 364
    GROUP BY a.event_id, a.person_id, a.event_date
),
per_person AS (
    SELECT person_id, max(in_window) AS most_in_12_months,
           min(event_date) FILTER (WHERE in_window >= 3) AS first_window_start
    FROM windows
    GROUP BY person_id
),
totals AS (
    SELECT person_id, count(*) AS victimisations, count(*) FILTER (WHERE domestic_abuse) AS domestic_abuse
    FROM victimisation
    GROUP BY person_id
)
SELECT person_id AS key, {_struct(_same_columns(_REPEAT_COLUMNS))} AS value
FROM per_person JOIN totals USING (person_id)
WHERE most_in_12_months >= 3"""
    actual = _table_side("repeat_victims", _REPEAT_COLUMNS)
    return expected, actual


def _domestic_abuse_vs_events() -> tuple[str, str]:
    columns = ["da_role", "as_victim", "as_perpetrator", "first_da_event", "last_da_event"]
    value = _struct({
        "da_role": "CASE WHEN as_victim > 0 AND as_perpetrator > 0 THEN 'both' "
                   "WHEN as_victim > 0 THEN 'victim' ELSE 'perpetrator' END",
        **_same_columns(columns[1:]),
    })
    expected = f"""
WITH per_person AS (
    SELECT person_id,
           count(*) FILTER (WHERE role = 'VICTIM') AS as_victim,
           count(*) FILTER (WHERE role IN ('SUSPECT', 'OFFENDER')) AS as_perpetrator,
           min(event_date) AS first_da_event,
           max(event_date) AS last_da_event
    FROM cohorts.events
    WHERE feed = 'police' AND domestic_abuse AND role IN ('VICTIM', 'SUSPECT', 'OFFENDER')
    GROUP BY person_id
)
SELECT person_id AS key, {value} AS value
FROM per_person"""
    actual = _table_side("domestic_abuse", columns)
    return expected, actual


def _exploitation_risk_vs_events() -> tuple[str, str]:
    """Who qualifies (a flag at an age under 25), their flags, and their contacts in every feed."""
    flags = {
        "cse_concern": "cse_concern",
        "cce_concern": "cce_concern",
        "yos_exploitation_concern": "feed = 'yos' AND exploitation_concern",
        "missing_from_home": "missing_episodes > 0",
        "sexual_offence_victim_u18": "feed = 'police' AND role = 'VICTIM' AND sexual_offence AND age_at_event < 18",
    }
    contacts = {
        "police_victim": "e.feed = 'police' AND e.role = 'VICTIM'",
        "police_suspect_offender": "e.feed = 'police' AND e.role IN ('SUSPECT', 'OFFENDER')",
        "ae_attendances": "e.feed = 'health'",
        "ae_knife_attendances": "e.feed = 'health' AND e.knife",
        "ae_after_flag": "e.feed = 'health' AND e.event_date >= q.first_flagged",
        "social_care_referrals": "e.feed = 'social_care'",
        "yos_outcomes": "e.feed = 'yos'",
    }
    columns = [*flags, "first_flagged", "age_at_first_flag", *contacts]
    flag_values = ",\n           ".join(f"coalesce(bool_or({condition}), FALSE) AS {name}" for name, condition in flags.items())
    qualifies = " OR ".join(f"({condition})" for condition in flags.values())
    contact_counts = ",\n           ".join(f"count(*) FILTER (WHERE {condition}) AS {name}" for name, condition in contacts.items())
    expected = f"""
WITH qualifying AS (
    SELECT person_id,
           {flag_values},
           min(event_date) AS first_flagged,
           arg_min(age_at_event, (event_date, event_id)) AS age_at_first_flag
    FROM cohorts.events
    WHERE age_at_event < 25 AND ({qualifies})
    GROUP BY person_id
),
with_contacts AS (
    SELECT q.*,
           {contact_counts}
    FROM qualifying AS q
    JOIN cohorts.events AS e USING (person_id)
    GROUP BY ALL
)
SELECT person_id AS key, {_struct(_same_columns(columns))} AS value
FROM with_contacts"""
    actual = _table_side("exploitation_risk", columns)
    return expected, actual


def _unreported_assaults_vs_events() -> tuple[str, str]:
    """Exactly one row per A&E attendance, with its own attributes and whether police recorded
    the person as a victim within the window the table says it used (`window_days`).

    With one police record as far before the attendance as another is after it, the earlier wins.
    """
    fields = _same_columns(
        ["person_id", "event_date", "event_hour", "night_time_economy", "weapon", "admitted",
         "age_band", "sex", "ethnic_group", "home_lsoa"]
    )
    expected_value = _struct({
        **fields,
        "setting": "category",
        "reported_to_police": "nearest.event_id IS NOT NULL",
        "days_to_police_record": "nearest.days",
    })
    actual_value = _struct({
        **fields,
        "setting": "setting",
        "reported_to_police": "reported_to_police",
        "days_to_police_record": "days_to_police_record",
    })
    expected = f"""
WITH attendance AS (
    SELECT * FROM cohorts.events WHERE feed = 'health'
),
nearest AS (
    SELECT a.event_id,
           arg_min(date_diff('day', a.event_date, p.event_date),
                   (abs(date_diff('day', a.event_date, p.event_date)), date_diff('day', a.event_date, p.event_date))) AS days
    FROM attendance AS a
    JOIN cohorts.events AS p ON p.person_id = a.person_id AND p.feed = 'police' AND p.role = 'VICTIM'
    WHERE abs(date_diff('day', a.event_date, p.event_date))
          <= (SELECT max(window_days) FROM cohorts.unreported_assaults)
    GROUP BY a.event_id
)
SELECT attendance.event_id::VARCHAR AS key, {expected_value} AS value
FROM attendance
LEFT JOIN nearest USING (event_id)"""
    actual = f"SELECT event_id::VARCHAR AS key, {actual_value} AS value FROM cohorts.unreported_assaults"
    return expected, actual


_VS_EVENTS: dict[str, tuple[str, str]] = {
    "persons": _persons_vs_events(),
    "person_summary": _person_summary_vs_events(),
    "victims": _victims_vs_events(),
    "offenders": _offenders_vs_events(),
    "victim_offender_overlap": _overlap_vs_events(),
    "repeat_victims": _repeat_victims_vs_events(),
    "domestic_abuse": _domestic_abuse_vs_events(),
    "exploitation_risk": _exploitation_risk_vs_events(),
    "unreported_assaults": _unreported_assaults_vs_events(),
}

# Relations between a row's own numbers, by table: (key column, {relation name: SQL condition}).
_RELATIONS: dict[str, tuple[str, dict[str, str]]] = {
    "persons": ("person_id", {
        "records_cover_feeds": "records >= feed_count",
        "age_band_known_with_age": "(latest_age IS NULL) = (age_band IS NULL)",
        "age_band_holds_latest_age": "latest_age IS NULL OR latest_age"
                                     " >= TRY_CAST(split_part(replace(age_band, '+', ''), '-', 1) AS INTEGER)"
                                     " AND (age_band = '65+' OR latest_age"
                                     " <= TRY_CAST(split_part(age_band, '-', 2) AS INTEGER))",
    }),
    "person_summary": ("person_id", {
        "records_cover_feeds": "police_victim + police_suspect + police_offender + police_witness"
                               " + ae_attendances + social_care_referrals + yos_outcomes >= feeds_present",
    }),
    "victims": ("person_id", {
        "victimisations_add_up": "victimisations = police_victimisations + ae_attendances",
        "domestic_abuse_within_police": "domestic_abuse <= police_victimisations",
        "violence_or_sexual_within_police": "violence_or_sexual <= police_victimisations",
        "sexual_offences_within_violence_or_sexual": "sexual_offences <= violence_or_sexual",
        "knife_within_victimisations": "knife <= victimisations",
        "night_time_within_victimisations": "night_time_economy <= victimisations",
    }),
    "offenders": ("person_id", {
        "offends_at_least_once": "police_suspect + police_offender + yos_outcomes >= 1",
        "domestic_abuse_within_police": "domestic_abuse <= police_suspect + police_offender",
        "sexual_offences_within_police": "sexual_offences <= police_suspect + police_offender",
        "knife_within_offending": "knife <= police_suspect + police_offender + yos_outcomes",
    }),
    "victim_offender_overlap": ("person_id", {
        "gap_is_days_between_firsts": "gap_days = date_diff('day', first_victimisation, first_offending)",
    }),
    "repeat_victims": ("person_id", {
        "window_within_victimisations": "most_in_12_months <= victimisations",
        "domestic_abuse_within_victimisations": "domestic_abuse <= victimisations",
    }),
    "exploitation_risk": ("person_id", {
        "has_a_flag": "cse_concern OR cce_concern OR yos_exploitation_concern OR missing_from_home"
                      " OR sexual_offence_victim_u18",
        "knife_within_attendances": "ae_knife_attendances <= ae_attendances",
        "after_flag_within_attendances": "ae_after_flag <= ae_attendances",
    }),
    "unreported_assaults": ("event_id", {
        "days_within_window": "days_to_police_record IS NULL OR abs(days_to_police_record) <= window_days",
    }),
}


def _reconciliations() -> dict[str, tuple[str, set[str]]]:
    """Each check's SQL and the cohort tables it reads."""
    checks = {
        f"{table}_vs_events": (_comparison_sql(expected, actual), {table, "events"})
        for table, (expected, actual) in _VS_EVENTS.items()
    }
    checks |= {
        f"{table}_relations": (_relations_sql(table, key, relations), {table})
        for table, (key, relations) in _RELATIONS.items()
    }
    checks["persons_exist"] = (_persons_exist_sql(), set(COHORT_TABLES))
    return checks


def _relations_sql(table: str, key: str, relations: Mapping[str, str]) -> str:
    """(key, expected, actual) with expected every relation true and actual what the row gives.

    A relation on a missing value comes out NULL, not true, and so fails.
    """
    expected = _struct({name: "TRUE" for name in relations})
    actual = _struct(relations)
    return f"""
SELECT {key}::VARCHAR AS key, {expected} AS expected, {actual} AS actual
FROM cohorts.{table}"""


def _persons_exist_sql() -> str:
    """One row per (cohort table, person_id): the person's rows in cohorts.persons, expected 1."""
    tables = [table for table in COHORT_TABLES if table != "persons"]
    ids = "\n    UNION\n    ".join(f"SELECT '{table}' AS cohort, person_id FROM cohorts.{table}" for table in tables)
    return f"""
WITH ids AS (
    {ids}
)
SELECT i.cohort || ':' || i.person_id AS key, '1' AS expected, count(p.person_id)::VARCHAR AS actual
FROM ids AS i
LEFT JOIN cohorts.persons AS p ON p.person_id = i.person_id
GROUP BY i.cohort, i.person_id"""
