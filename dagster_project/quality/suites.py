"""Load the data-quality suites in `expectations/` and validate Polars frames against them.

Each suite is Great Expectations 1.x ExpectationSuite JSON. Every expectation's `meta` carries a
`severity` ("blocking": the delivery cannot be trusted; "warning": degraded but usable) and a
plain-words `description` for the dashboard.

Results are privacy-safe by construction: GX is asked for counts only (no unexpected values, no
unexpected rows, no index lists), and outcomes are then built only from numbers and from names
written in the suite. Exception text from GX is reduced to the exception's type.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
import logging
import math
import numbers
import re
import uuid
import warnings
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import great_expectations as gx
import numpy as np
import polars as pl
from great_expectations.expectations.expectation_configuration import (
    ExpectationConfiguration,
)

from dagster_project.quality import formats
from dagster_project.quality.gx_runtime import VALIDATION_LOCK, exception_type_name, gx_runtime
from dagster_project.quality.results import (
    BLOCKING,
    MIN_ROWS_FOR_RATES,
    SEVERITIES,
    ExpectationOutcome,
    SuiteResult,
)
from dagster_project.settings import EXPECTATIONS_DIR_VAR, Environment

logger = logging.getLogger(__name__)

FEED_SUITE_NAMES: tuple[str, ...] = ("police", "social_care", "health", "yos")
SUITE_NAMES: tuple[str, ...] = (*FEED_SUITE_NAMES, "person_records")

_PACKAGED_EXPECTATIONS = "expectations"  # the suites shipped in the package
_SUITE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_GX_SEVERITY = {BLOCKING: "critical", "warning": "warning"}

# Counts only. BASIC gives element/unexpected counts and percentages; partial_unexpected_count=0
# and exclude_unexpected_values=True keep GX from putting any value in `partial_unexpected_list`;
# include_unexpected_rows=False and return_unexpected_index_query=False keep rows and queries out.
RESULT_FORMAT: dict[str, Any] = {
    "result_format": "BASIC",
    "partial_unexpected_count": 0,
    "exclude_unexpected_values": True,
    "include_unexpected_rows": False,
    "return_unexpected_index_query": False,
}

_ID_NAMESPACE = uuid.UUID("5f0c1f4e-2b1a-4c47-9a53-7d1f3c9e0b61")


class SuiteConfigError(ValueError):
    """A suite file is missing, unreadable or not a valid suite."""


def expectations_dir() -> Path:
    """The directory holding the suites: `VERU_EXPECTATIONS_DIR` (`settings.Environment`), else
    the suites shipped in the package (`dagster_project/expectations/`)."""
    override = Environment.from_env().expectations_dir
    return override if override is not None else Path(str(resources.files("dagster_project") / _PACKAGED_EXPECTATIONS))


def suite_path(name: str) -> Path:
    if not isinstance(name, str) or not _SUITE_NAME.match(name):
        raise SuiteConfigError(f"Suite names are lower-case words joined by underscores. Supplied value {name!r}.")
    return expectations_dir() / f"{name}.json"


def load_suite(name: str) -> gx.ExpectationSuite:
    """Read `expectations/<name>.json` into a GX ExpectationSuite, checking every expectation.

    Raises `SuiteConfigError` naming the file if it is missing, is not JSON, or holds an
    expectation GX cannot build or one without a valid `severity` and `description`.
    """
    path = suite_path(name)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SuiteConfigError(
            f"Expectation suite {name!r} not found: {path} does not exist "
            f"(the directory can be set with {EXPECTATIONS_DIR_VAR})."
        ) from None
    except OSError as exc:
        raise SuiteConfigError(f"Expectation suite file {path} cannot be read: {exc}") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SuiteConfigError(f"Expectation suite file {path} is not valid JSON: {exc}") from exc
    return _suite_from_document(document, name, path)


def derived_suite(
    base: str,
    name: str,
    *,
    drop_columns: Iterable[str],
    columns: list[str],
    extra: list[dict[str, Any]],
) -> gx.ExpectationSuite:
    """A suite derived from `expectations/<base>.json` for a changed layout of the same data.

    Expectations on `drop_columns` (name every derived column too) are left out, the exact column set becomes `columns`, and
    `extra` expectations (same JSON shape as a suite file's) are added. Used for deliveries an
    agency pseudonymised itself: their identifier columns are replaced by tokens.
    """
    path = suite_path(base)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SuiteConfigError(f"Expectation suite file {path} cannot be read: {exc}") from exc
    dropped = set(drop_columns)
    kept = []
    for raw in document.get("expectations") or []:
        kwargs = raw.get("kwargs") or {}
        if raw.get("type") == "expect_table_columns_to_match_set":
            raw = {**raw, "kwargs": {**kwargs, "column_set": list(columns)}}
        elif kwargs.get("column") in dropped or dropped & set(kwargs.get("column_list") or []):
            continue
        kept.append(raw)
    return _suite_from_document({**document, "name": name, "expectations": kept + list(extra)}, name, path)


def _suite_from_document(document: Any, name: str, path: Path) -> gx.ExpectationSuite:
    if not isinstance(document, Mapping):
        raise SuiteConfigError(f"{path}: a suite is a JSON object, found {type(document).__name__}.")
    if document.get("name") != name:
        raise SuiteConfigError(f"{path}: suite name must be {name!r}, found {document.get('name')!r}.")
    raw_expectations = document.get("expectations")
    if not isinstance(raw_expectations, list) or not raw_expectations:
        raise SuiteConfigError(f"{path}: 'expectations' must be a non-empty list.")

    expectations = []
    for index, raw in enumerate(raw_expectations):
        where = f"{path}: expectation {index}"
        if not isinstance(raw, Mapping):
            raise SuiteConfigError(f"{where} is not a JSON object.")
        where = f"{where} ({raw.get('type')!r})"
        meta = raw.get("meta")
        if not isinstance(meta, Mapping):
            raise SuiteConfigError(f"{where} has no 'meta' object.")
        severity = meta.get("severity")
        if severity not in SEVERITIES:
            raise SuiteConfigError(f"{where}: meta.severity must be one of {SEVERITIES}. Supplied value {severity!r}.")
        if not isinstance(meta.get("description"), str) or not meta["description"].strip():
            raise SuiteConfigError(f"{where}: meta.description must be a non-empty string.")
        gx_severity = raw.get("severity", _GX_SEVERITY[severity])
        if gx_severity != _GX_SEVERITY[severity]:
            raise SuiteConfigError(
                f"{where}: severity {gx_severity!r} contradicts meta.severity {severity!r} "
                f"(expected {_GX_SEVERITY[severity]!r})."
            )
        try:
            configuration = ExpectationConfiguration(
                type=raw.get("type"),
                kwargs=dict(raw.get("kwargs") or {}),
                meta=dict(meta),
                notes=raw.get("notes"),
                description=raw.get("description"),
                severity=gx_severity,
                id=raw.get("id"),
            )
            expectations.append(configuration.to_domain_obj())
        except Exception as exc:  # GX raises several types for a bad configuration
            raise SuiteConfigError(f"{where} is not a valid GX expectation: {exc}") from exc

    try:
        return gx.ExpectationSuite(
            name=name,
            expectations=expectations,
            suite_parameters=document.get("suite_parameters") or {},
            meta=dict(document.get("meta") or {}),
            notes=document.get("notes"),
        )
    except Exception as exc:
        raise SuiteConfigError(f"{path} is not a valid GX expectation suite: {exc}") from exc


def default_parameters(today: dt.date | None = None) -> dict[str, Any]:
    """Values for the suites' `$PARAMETER`s when the caller has no better ones.

    end_of_today: the first instant after `today` (dates up to and including today pass);
    min_usual_rows / max_usual_rows: the usual delivery size from the feed's history (see
    `usual_row_range`); with no history any size is usual.
    """
    today = today or dt.date.today()
    return {
        "end_of_today": f"{(today + dt.timedelta(days=1)).isoformat()}T00:00:00",
        "min_usual_rows": 0,
        "max_usual_rows": None,
    }


def usual_row_range(
    history: list[int], *, window: int = 4, low: float = 0.5, high: float = 3.0, min_history: int = 2, slack: int = 10
) -> tuple[int, int | None]:
    """(min, max) rows a delivery should have, from the row counts of the feed's earlier
    accepted deliveries (oldest first): `low` to `high` times the median of the last `window`,
    widened for small feeds to the median ± (3 × its square root + `slack`): ordinary Poisson
    variation, so that a feed of a dozen records a delivery can halve or double by chance.
    A single earlier delivery is too thin a history (a first extract often covers a part
    period): with fewer than `min_history`, any size is usual, (0, None)."""
    recent = [n for n in history if n is not None][-window:]
    if len(recent) < min_history:
        return 0, None
    median = float(np.median(recent))
    noise = 3 * math.sqrt(median) + slack
    return (
        max(0, int(math.floor(min(low * median, median - noise)))),
        int(math.ceil(max(high * median, median + noise))),
    )


def validate_frame(
    df: pl.DataFrame,
    suite_name: str,
    *,
    label: str,
    suite: gx.ExpectationSuite | None = None,
    parameters: Mapping[str, Any] | None = None,
    keep_types: bool = False,
    derived_columns: Sequence[str] = (),
) -> SuiteResult:
    """Validate the whole frame as one batch against suite `suite_name`.

    `label` names the delivery in the results (e.g. the landing file name); it must not be data.
    `parameters` fill the suite's `$PARAMETER`s (over `default_parameters()`).
    `derived_columns` are columns the caller added to the delivery's own (a feed's dates parsed
    for the range checks, `staging.ingest.validate_delivery`); they join the suite's agreed
    column set. Columns are handed to GX as text (the suites check raw
    strings) unless `keep_types`, for frames of measurements (numbers compared as numbers).
    A frame with missing columns or no rows gives a failed result, never an exception; so does
    any error inside GX, reported by its type alone. Only a broken suite file raises.
    """
    suite = suite if suite is not None else load_suite(suite_name)
    derived = list(derived_columns)
    expectations = list(suite.expectations)
    for index, expectation in enumerate(expectations):
        expectation.id = str(uuid.uuid5(_ID_NAMESPACE, f"{suite_name}:{index}"))
        if derived and expectation.expectation_type == "expect_table_columns_to_match_set":
            agreed = list(expectation.column_set or [])
            expectation.column_set = agreed + [c for c in derived if c not in agreed]
    values = {**default_parameters(), **(parameters or {})}
    order = {expectation.id: index for index, expectation in enumerate(expectations)}

    evaluated_rows = df.height
    try:
        frame = df.to_pandas() if keep_types else _as_text_pandas(df)
        runtime = gx_runtime()
        with VALIDATION_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            batch = runtime.batch_definition.get_batch(batch_parameters={"dataframe": frame})
            validation = batch.validate(suite, result_format=dict(RESULT_FORMAT), expectation_parameters=values)
        gx_results = list(validation.results)
    except Exception as exc:  # noqa: BLE001 - any GX failure; never let its message (which may quote data) escape
        error = _exception_label(exc)
        logger.warning("suite %s on %s could not run: %s", suite_name, label, error)
        return SuiteResult.from_outcomes(suite_name, label, evaluated_rows, [_not_run(suite_name, error)])

    outcomes: list[ExpectationOutcome | None] = [None] * len(expectations)
    for gx_result in gx_results:
        index = order.get(gx_result.expectation_config.id)
        if index is not None:
            outcomes[index] = _outcome(expectations[index], gx_result)
    for index, outcome in enumerate(outcomes):
        if outcome is None:  # GX returned no result for it: count it as failed
            outcomes[index] = _outcome(expectations[index], None)

    for index, outcome in enumerate(outcomes):
        meta = expectations[index].meta or {}
        if not outcome.success and meta.get("kind") == "format_change" and outcome.column in df.columns:
            found, percent = formats.describe(
                df.get_column(outcome.column), expectations[index].configuration.kwargs.get("value_set")
            )
            outcomes[index] = dataclasses.replace(outcome, found_format=found, found_percent=percent)
    result = dataclasses.replace(
        SuiteResult.from_outcomes(suite_name, label, evaluated_rows, outcomes), gx_result=validation
    )
    log = logger.info if result.success and not result.warning_failures else logger.warning
    log(
        "suite %s on %s: %d rows, %d blocking and %d warning failures",
        suite_name,
        label,
        evaluated_rows,
        result.blocking_failures,
        result.warning_failures,
    )
    return result


def _as_text_pandas(df: pl.DataFrame):
    """The frame as pandas with every column as text, as the suites expect raw strings
    (derived dates stay dates, for range checks)."""
    non_text = [name for name, dtype in df.schema.items() if dtype != pl.String and not dtype.is_temporal()]
    if non_text:
        df = df.with_columns(pl.col(non_text).cast(pl.String))
    return df.to_pandas()


def _outcome(expectation: Any, gx_result: Any | None) -> ExpectationOutcome:
    kwargs = expectation.configuration.kwargs
    meta = expectation.meta or {}
    columns = tuple(kwargs.get("column_list") or ([kwargs["column"]] if "column" in kwargs else []))
    column = ", ".join(columns) or None
    base = {
        "expectation_type": expectation.expectation_type,
        "column": column,
        "columns": columns,
        "severity": meta.get("severity", BLOCKING),
        "description": meta.get("description", ""),
        "format_label": meta.get("format"),
        "mostly": _number(kwargs.get("mostly")),
    }
    if gx_result is None:
        return ExpectationOutcome(success=False, exception="NotEvaluated", **base)

    error = exception_type_name(gx_result.exception_info)
    if error is not None:
        return ExpectationOutcome(success=False, exception=_on_column(error, column), **base)

    result = gx_result.result or {}
    extra: dict[str, Any] = {}
    if expectation.expectation_type == "expect_table_columns_to_match_set":
        extra = _column_mismatch(kwargs.get("column_set") or [], result)
    element_count = _integer(result.get("element_count"))
    mostly = base["mostly"]
    min_filled = meta.get("min_filled")
    missing_count = _integer(result.get("missing_count")) or 0
    if isinstance(min_filled, int) and element_count is not None and element_count - missing_count < min_filled:
        return ExpectationOutcome(
            success=True,
            judged=False,
            element_count=element_count,
            unexpected_count=_integer(result.get("unexpected_count")),
            unexpected_percent=_number(result.get("unexpected_percent")),
            **base,
            **extra,
        )
    if (
        base["severity"] != BLOCKING
        and mostly is not None
        and mostly < 1
        and element_count is not None
        and element_count < MIN_ROWS_FOR_RATES
    ):
        return ExpectationOutcome(
            success=True,
            judged=False,
            element_count=element_count,
            unexpected_count=_integer(result.get("unexpected_count")),
            unexpected_percent=_number(result.get("unexpected_percent")),
            **base,
            **extra,
        )
    return ExpectationOutcome(
        success=bool(gx_result.success),
        element_count=element_count,
        unexpected_count=_integer(result.get("unexpected_count")),
        unexpected_percent=_number(result.get("unexpected_percent")),
        observed_value=_number(result.get("observed_value")),
        min_value=_bound(gx_result, "min_value"),
        max_value=_bound(gx_result, "max_value"),
        **base,
        **extra,
    )


def _bound(gx_result: Any, name: str) -> float | int | None:
    """A numeric min/max the expectation was judged against (suite parameters resolved)."""
    try:
        value = gx_result.expectation_config.kwargs.get(name)
    except AttributeError:
        return None
    return _number(value) if isinstance(value, numbers.Number) and not isinstance(value, bool) else None


def _column_mismatch(column_set: list[str], result: Mapping) -> dict[str, Any]:
    """Missing columns by their suite name; unexpected columns only counted.

    An unexpected column name comes from the file's header, and a file delivered without a
    header has a data row there, so those names are never repeated. A missing column is
    flagged as probably renamed when an unexpected name is close to it (`post_code`,
    `PostCode`, `postcode_2` for `postcode`), without saying which.
    """
    details = result.get("details")
    mismatched = details.get("mismatched") if isinstance(details, Mapping) else None
    if not isinstance(mismatched, Mapping):
        return {}
    reported_missing = mismatched.get("missing") or []
    missing = tuple(name for name in column_set if name in reported_missing)
    unexpected = mismatched.get("unexpected")
    unexpected = unexpected if isinstance(unexpected, list) else None
    plain = [u for u in unexpected or [] if isinstance(u, str) and _PLAIN_COLUMN.match(u)]
    return {
        "missing_columns": missing,
        "renamed_columns": tuple(name for name in missing if any(_similar(name, u) for u in unexpected or [])),
        "expected_column_count": len(column_set),
        "unexpected_column_count": len(unexpected) if unexpected is not None else None,
        "added_columns": tuple(sorted(plain)[:5]) if not missing and len(plain) == len(unexpected or []) <= 5 else (),
    }


# A header that can be repeated in a message: a short lower-case identifier, like the agreed ones.
_PLAIN_COLUMN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _squash(name: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _similar(expected: str, found: object) -> bool:
    a, b = _squash(expected), _squash(found)
    return bool(a and b) and (a == b or difflib.SequenceMatcher(None, a, b).ratio() >= 0.8)


def _not_run(suite_name: str, error: str) -> ExpectationOutcome:
    return ExpectationOutcome(
        expectation_type="validation_run",
        column=None,
        severity=BLOCKING,
        description=f"The {suite_name} suite ran on the delivery.",
        success=False,
        exception=error,
    )


def _exception_label(exc: BaseException) -> str:
    """The exception's class name only; its message may quote the data."""
    return type(exc).__name__


def _on_column(error: str, column: str | None) -> str:
    return f"{error} on column {column}" if column else error


def _integer(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def _number(value: Any) -> float | int | None:
    """`value` if it is a real number (not a bool, string or list), else None."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return None
    number = value.item() if isinstance(value, np.generic) else value
    if isinstance(number, float) and math.isnan(number):
        return None
    return number
