"""Privacy-safe validation results: counts, percentages and suite-defined names only.

A `SuiteResult` is built from the suite (expectation types, column names, descriptions, all
written by us) and from the numbers GX computed. It never holds a value read from the data,
so it can go to the warehouse, the Dagster event log and the dashboard as it is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dagster_project import warehouse
from dagster_project.clock import utcnow
from dagster_project.tables import VALIDATION_RESULTS

BLOCKING = "blocking"
WARNING = "warning"
SEVERITIES = (BLOCKING, WARNING)
# A warning's rate limit (`mostly` below 1) says nothing about a handful of rows: 3 missing
# postcodes in an 11-row delivery is 27%, and pure chance. Below this many rows such a rate
# is not judged. Blocking rate limits (a broken record key) are judged at any size.
MIN_ROWS_FOR_RATES = 30
UNKNOWN_FORMAT = "no known format"


@dataclass(frozen=True)
class ExpectationOutcome:
    """How one expectation of a suite fared on one frame.

    `unexpected_percent` follows GX: for value checks it is a share of the filled-in
    (non-null) values, for `expect_column_values_to_not_be_null` a share of all rows.
    `observed_value` is kept only when GX observed a number (e.g. the row count).
    `exception` names the exception type and the column, never the exception's message.
    """

    expectation_type: str
    column: str | None
    severity: str
    description: str
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    observed_value: float | int | None = None
    exception: str | None = None
    # Suite-defined names and wording used by `SuiteResult.summary()`; not part of the record.
    columns: tuple[str, ...] = ()
    missing_columns: tuple[str, ...] = ()
    renamed_columns: tuple[str, ...] = ()  # missing columns with a similarly named unexpected one
    expected_column_count: int | None = None
    unexpected_column_count: int | None = None
    # unexpected columns named only when every agreed column is present (so the header is a
    # header, not a data row) and the name is a plain lower-case identifier
    added_columns: tuple[str, ...] = ()
    format_label: str | None = None
    # for a failed format-change check: the format most filled-in values are in instead (a label
    # from `quality.formats`, never a value) and the share of filled-in values in it
    found_format: str | None = None
    found_percent: float | None = None
    mostly: float | None = None
    min_value: float | int | None = None  # numeric bounds it was judged against, if any
    max_value: float | int | None = None
    judged: bool = True  # False: a rate limit on too few rows to mean anything (counted as passed)

    def phrase(self) -> str:
        """This outcome's failure in a few plain words, e.g. '12.4% of dob not in dd/mm/yyyy'."""
        col = self.column or "the table"
        if self.exception is not None:
            return f"{col} could not be checked ({self.exception.split(' ', 1)[0]})"
        kind = self.expectation_type
        if kind == "expect_table_columns_to_match_set":
            if self.expected_column_count and len(self.missing_columns) == self.expected_column_count > 1:
                parts = [f"none of the {self.expected_column_count} agreed columns found"]
                if self.unexpected_column_count:
                    n = self.unexpected_column_count
                    parts.append(f"{n} unexpected column{'s' if n != 1 else ''}")
                return ", ".join(parts)
            parts = [
                f"column {name} missing"
                + (" (renamed? a column of a similar name is present)" if name in self.renamed_columns else "")
                for name in self.missing_columns
            ]
            if self.unexpected_column_count and not self.missing_columns:
                n = self.unexpected_column_count
                if self.added_columns and len(self.added_columns) == n:
                    parts.append(
                        f"added column{'s' if n != 1 else ''} {', '.join(self.added_columns)} (dropped, not stored)"
                    )
                else:
                    parts.append(
                        f"{n} added column{'s' if n != 1 else ''} (dropped, not stored; "
                        "header not shown as it is not a plain column name)"
                    )
            elif self.unexpected_column_count:
                n = self.unexpected_column_count
                parts.append(f"{n} unexpected column{'s' if n != 1 else ''}")
            return ", ".join(parts) or "columns do not match the agreed layout"
        if kind == "expect_table_row_count_to_be_between":
            if self.observed_value == 0:
                return "no rows (empty or header-only)"
            if self.min_value is not None and self.observed_value is not None and self.observed_value < self.min_value:
                return f"{_number(self.observed_value)} rows, fewer than the usual minimum of {_number(self.min_value)}"
            if self.max_value is not None and self.observed_value is not None and self.observed_value > self.max_value:
                return f"{_number(self.observed_value)} rows, more than the usual maximum of {_number(self.max_value)}"
            return f"row count {_number(self.observed_value)} out of range"
        if kind == "expect_column_values_to_be_unique":
            return f"{col} not unique ({_number(self.unexpected_count)} rows share a value)"
        if kind == "expect_compound_columns_to_be_unique":
            return f"({col}) not unique ({_number(self.unexpected_count)} rows share a value)"
        share = f"{_percent(self.unexpected_percent)} of {col}"
        limit = _limit(self.mostly)
        if self.found_format is not None:
            expected = self.format_label or "the agreed format"
            if self.found_format == UNKNOWN_FORMAT:
                return f"{share} not in {expected}, and in no format the platform knows (a format change?)"
            return (
                f"{col} is {self.found_format} in {_percent(self.found_percent)} of filled-in rows, "
                f"expected {expected} (a format change?)"
            )
        if kind == "expect_column_values_to_not_be_null":
            return f"{share} missing{limit}"
        if kind == "expect_column_values_to_match_regex":
            return f"{share} not in {self.format_label or 'the agreed format'}{limit}"
        if kind == "expect_column_values_to_be_in_set":
            return f"{share} not an allowed code{limit}"
        if kind == "expect_column_values_to_be_between" and col.endswith("__date"):
            return f"{_percent(self.unexpected_percent)} of {col.removesuffix('__date')} before 1900 or in the future{limit}"
        return self.description

    def to_record(self) -> dict[str, Any]:
        return {
            "expectation_type": self.expectation_type,
            "column": self.column,
            "severity": self.severity,
            "description": self.description,
            "success": self.success,
            "element_count": self.element_count,
            "unexpected_count": self.unexpected_count,
            "unexpected_percent": self.unexpected_percent,
            "observed_value": self.observed_value,
            "exception": self.exception,
            "judged": self.judged,
            "problem": None if self.success else self.phrase(),
        }


@dataclass(frozen=True)
class SuiteResult:
    """The verdict of one suite on one frame: `success` is True when every blocking expectation passed."""

    suite_name: str
    label: str
    success: bool
    blocking_failures: int
    warning_failures: int
    evaluated_rows: int
    outcomes: list[ExpectationOutcome] = field(default_factory=list)
    # GX's own result (counts only), for its Data Docs page; never written to the warehouse.
    gx_result: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def from_outcomes(
        cls, suite_name: str, label: str, evaluated_rows: int, outcomes: list[ExpectationOutcome]
    ) -> SuiteResult:
        blocking = sum(1 for o in outcomes if not o.success and o.severity == BLOCKING)
        warning = sum(1 for o in outcomes if not o.success and o.severity != BLOCKING)
        return cls(
            suite_name=suite_name,
            label=label,
            success=blocking == 0,
            blocking_failures=blocking,
            warning_failures=warning,
            evaluated_rows=evaluated_rows,
            outcomes=list(outcomes),
        )

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    def to_records(self) -> list[dict[str, Any]]:
        """One flat row per expectation, for a warehouse table (the caller adds run id and time)."""
        head = {
            "suite_name": self.suite_name,
            "label": self.label,
            "suite_success": self.success,
            "evaluated_rows": self.evaluated_rows,
        }
        return [{**head, **o.to_record()} for o in self.outcomes]

    def summary(self) -> str:
        """One line naming each failing expectation, blocking first.

        e.g. "blocking: column nhs_number missing; warning: 12.4% of dob not in dd/mm/yyyy"
        """
        if not self.failures:
            return f"{self.suite_name} {self.label}: all {len(self.outcomes)} expectations passed"
        missing = {
            name
            for o in self.failures
            if o.expectation_type == "expect_table_columns_to_match_set"
            for name in o.missing_columns
        }
        # a warning that repeats a failed blocking check of the same kind on the same column adds nothing
        blocked = {(o.expectation_type, o.column) for o in self.failures if o.severity == BLOCKING}
        parts = []
        for severity in SEVERITIES:
            phrases = [
                o.phrase()
                for o in self.failures
                if (o.severity == BLOCKING) == (severity == BLOCKING)
                and not (o.severity != BLOCKING and (o.expectation_type, o.column) in blocked)
                # A missing column already says why every check on it could not run.
                and not (o.exception is not None and missing.intersection(c.removesuffix("__date") for c in o.columns))
            ]
            phrases = list(dict.fromkeys(phrases))
            if phrases:
                parts.append(f"{severity}: " + "; ".join(phrases))
        return "; ".join(parts)


def _number(value: float | int | None) -> str:
    if value is None:
        return "?"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _percent(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "?%"
    if 0 < value < 0.1:
        return "<0.1%"
    return f"{value:.1f}%"


def _limit(mostly: float | None) -> str:
    if mostly is None or mostly >= 1:
        return ""
    return f" (limit {_percent((1 - mostly) * 100)})"


def record_validations(con, results: Iterable[SuiteResult], *, feed: str, run_id: str) -> int:
    """Append `results` to `quality.validation_results`, each expectation a row tagged with
    `feed` (a feed name, or 'cohorts', 'linkage', ...), the run and the time. Call inside a
    transaction to group it with other writes. Returns the rows written."""
    now = utcnow()
    rows = [
        {**record, "feed": feed, "run_id": run_id, "validated_at": now}
        for result in results
        for record in result.to_records()
    ]
    if not rows:
        return 0
    warehouse.append(con, VALIDATION_RESULTS, VALIDATION_RESULTS.from_rows(rows))
    return len(rows)
