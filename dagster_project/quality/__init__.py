"""Data quality: Great Expectations 1.x suites (`expectations/*.json` in the package) run on
Polars frames (`validate_frame`, giving a privacy-safe `SuiteResult`: counts and suite-defined
names only), feed health, the cohort checks and the quality dashboard.

Quality observes what the layers below produce: it may import `feeds` and the base modules,
never staging, linkage, publication, the Dagster layer or the tools; callers hand it the
frames and parameters it judges (`make lint`).
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
