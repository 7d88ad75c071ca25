"""Rebuilding a GX validation result from counts and suite-defined names only, so that no value
from the data can reach a Data Docs page."""

from __future__ import annotations

import copy
import numbers
from collections.abc import Mapping
from typing import Any

from great_expectations.core import (
    ExpectationSuiteValidationResult,
    ExpectationValidationResult,
)

from dagster_project.quality.gx_runtime import exception_type_name

# Result keys that are counts or rates of the whole column, never values from it.
_COUNT_KEYS = (
    "element_count",
    "missing_count",
    "missing_percent",
    "unexpected_count",
    "unexpected_percent",
    "unexpected_percent_total",
    "unexpected_percent_nonmissing",
)
_COLUMN_SET_TYPES = ("expect_table_columns_to_match_set",)
_WITHHELD_TRACEBACK = "(traceback withheld from this page: it may quote the data)"


def privacy_safe_result(result: ExpectationSuiteValidationResult) -> ExpectationSuiteValidationResult:
    """A copy of `result` that holds no data value.

    Kept: suite name, success, statistics, suite parameters, each expectation's configuration
    (written in the suite), its success, and its counts and rates. Dropped: unexpected values,
    rows, indices and queries; non-numeric observed values (a min, a set of distinct values or a
    header can be data); `details`; exception messages and tracebacks (only the exception's type
    remains); and the run metadata except the GX version and the run name and time. In
    particular the batch spec, batch markers (including the data fingerprint) and batch
    definition are left out, as they can describe or embed the dataframe.
    """
    results = [_safe_expectation_result(evr) for evr in result.results]
    return ExpectationSuiteValidationResult(
        success=bool(result.success),
        results=results,
        suite_name=str(result.suite_name),
        suite_parameters=copy.deepcopy(dict(result.suite_parameters or {})),
        statistics=_numbers_only(result.statistics or {}),
        meta=_safe_meta(result.meta or {}),
        batch_id=None,
    )


def _safe_expectation_result(evr: ExpectationValidationResult) -> ExpectationValidationResult:
    config = copy.deepcopy(evr.expectation_config)
    raw = evr.result if isinstance(evr.result, Mapping) else {}
    safe: dict[str, Any] = {key: raw[key] for key in _COUNT_KEYS if _is_number(raw.get(key))}
    if _is_number(raw.get("observed_value")):
        safe["observed_value"] = raw["observed_value"]
    if config is not None and config.type in _COLUMN_SET_TYPES:
        safe.update(_safe_column_set(config.kwargs.get("column_set") or [], raw))

    error = exception_type_name(evr.exception_info)
    exception_info = {
        "raised_exception": error is not None,
        "exception_message": error,
        "exception_traceback": _WITHHELD_TRACEBACK if error is not None else None,
    }
    return ExpectationValidationResult(
        success=bool(evr.success),
        expectation_config=config,
        result=safe,
        meta={},
        exception_info=exception_info,
    )


def _safe_column_set(column_set: list[str], raw: Mapping[str, Any]) -> dict[str, Any]:
    """Observed and missing columns by their names in the suite; unexpected columns left out.

    An unexpected column name comes from the file's header, and a file delivered without a
    header has a data row there.
    """
    observed = raw.get("observed_value")
    observed_names = {str(name) for name in observed} if isinstance(observed, list) else set()
    details = raw.get("details")
    mismatched = details.get("mismatched") if isinstance(details, Mapping) else None
    reported_missing = (mismatched or {}).get("missing") if isinstance(mismatched, Mapping) else None
    missing = [name for name in column_set if name in (reported_missing or [])]
    out: dict[str, Any] = {"observed_value": [name for name in column_set if name in observed_names]}
    if missing:
        out["details"] = {"mismatched": {"missing": missing}}
    return out


def _safe_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    safe: dict[str, Any] = {}
    version = meta.get("great_expectations_version")
    if isinstance(version, str):
        safe["great_expectations_version"] = version
    run_name = run_time = None
    run_id = meta.get("run_id")
    if run_id is not None:
        if isinstance(run_id, Mapping):
            run_name, run_time = run_id.get("run_name"), run_id.get("run_time")
        else:
            run_name = getattr(run_id, "run_name", None)
            run_time = getattr(run_id, "run_time", None)
    if run_time is None:
        markers = meta.get("batch_markers")
        if isinstance(markers, Mapping):
            run_time = markers.get("ge_load_time")
    if run_name is not None or run_time is not None:
        safe["run_id"] = {
            "run_name": str(run_name) if run_name is not None else None,
            "run_time": run_time.isoformat()
            if hasattr(run_time, "isoformat")
            else (str(run_time) if run_time is not None else None),
        }
    return safe


def _numbers_only(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {str(key): value for key, value in mapping.items() if _is_number(value)}


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
