"""Data-quality suites (Great Expectations 1.x) for the four feeds and the linkage output.

The suites live in `expectations/*.json`; `validate_frame` checks a Polars frame against one
and returns a privacy-safe `SuiteResult` (counts and suite-defined names only).
"""

from dagster_project.quality.results import ExpectationOutcome, SuiteResult
from dagster_project.quality.suites import (
    FEED_SUITE_NAMES,
    SUITE_NAMES,
    SuiteConfigError,
    expectations_dir,
    load_suite,
    validate_frame,
)

__all__ = [
    "FEED_SUITE_NAMES",
    "SUITE_NAMES",
    "ExpectationOutcome",
    "SuiteConfigError",
    "SuiteResult",
    "expectations_dir",
    "load_suite",
    "validate_frame",
]
