"""Preparing one delivery: the suite's verdict and, for plaintext, pseudonymisation.

`prepare_plaintext` is the one way a plaintext delivery is judged and pseudonymised: the
platform's ingest (`staging.ingest`) and the agency command (`veru-pseudonymise`,
`staging.agency`) both call it with the same parameters (`validation_parameters`), so an agency
and the platform judge a file alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Protocol

import polars as pl

from dagster_project.feeds.delivery import READER_COLUMNS, DeliveryError, RawDelivery
from dagster_project.feeds.spec import CHECKED_DATE_SUFFIX, FeedSpec, check_columns, with_checked_dates
from dagster_project.pseudonymise.encode import ENCODING_VERSION
from dagster_project.pseudonymise.keys import HashKey
from dagster_project.quality.results import SuiteResult
from dagster_project.quality.suites import default_parameters, usual_row_range
from dagster_project.staging import pseudonymised as pseudo


class Validator(Protocol):
    """`quality.suites.validate_frame`, or a stand-in with its signature."""

    def __call__(
        self,
        df: pl.DataFrame,
        suite_name: str,
        *,
        label: str,
        suite: object = None,
        parameters: Mapping[str, object] | None = None,
        derived_columns: Sequence[str] = (),
    ) -> SuiteResult: ...


class Quarantine(Exception):
    """This delivery cannot be used; `reason` says why in words, `result` the suite's verdict
    when the suite refused it."""

    def __init__(self, reason: str, rows_read: int | None = None, result: SuiteResult | None = None):
        super().__init__(reason)
        self.reason, self.rows_read, self.result = reason, rows_read, result


def validation_parameters(today: dt.date, history: Sequence[int] = ()) -> dict:
    """The suites' parameters for a delivery judged on `today`, after earlier accepted
    deliveries of `history` rows (oldest first): the platform and the agency command both
    judge a delivery with these."""
    low, high = usual_row_range(list(history))
    return {**default_parameters(today), "min_usual_rows": low, "max_usual_rows": high}


def validate_delivery(
    spec: FeedSpec,
    frame: pl.DataFrame,
    *,
    label: str,
    validator: Validator,
    parameters: Mapping[str, object] | None = None,
    pseudonymised: bool = False,
) -> SuiteResult:
    """Run the feed's suite (or, for a delivery an agency pseudonymised, its token suite) on
    the delivery's text columns, with the feed's checked dates parsed for the range checks
    (`feeds.spec.with_checked_dates`)."""
    frame = frame.drop([c for c in READER_COLUMNS if c in frame.columns])
    dated = with_checked_dates(spec, frame)
    derived = [c for c in dated.columns if c.endswith(CHECKED_DATE_SUFFIX) and c not in frame.columns]
    if pseudonymised:
        return validator(
            dated,
            f"{spec.name}_pseudonymised",
            label=label,
            suite=pseudo.suite(spec),
            parameters=parameters,
            derived_columns=derived,
        )
    return validator(dated, spec.name, label=label, parameters=parameters, derived_columns=derived)


def prepare_plaintext(
    spec: FeedSpec,
    raw: RawDelivery,
    key: HashKey,
    *,
    validator: Validator | None,
    parameters: Mapping[str, object] | None = None,
    accept_failing: bool = False,
) -> tuple[pl.DataFrame, SuiteResult | None]:
    """A plaintext delivery checked and pseudonymised: (the pseudonymised frame, the suite's
    result, None without a validator). The platform's ingest and the agency command
    (`veru-pseudonymise`) both call this, so they judge a file the same way.

    Raises Quarantine when the suite refuses it (a blocking failure, unless `accept_failing`:
    a delivery accepted before is served whatever its checks say now) or its agreed columns
    are missing.
    """
    result = None
    if validator is not None:
        result = validate_delivery(
            spec, raw.frame, label=raw.delivery.file_name, validator=validator, parameters=parameters
        )
        if not result.success and not accept_failing:
            raise Quarantine(result.summary(), raw.rows_read, result)
    try:
        check_columns(spec, raw, list(spec.columns))
    except DeliveryError as exc:
        raise Quarantine(exc.problem, raw.rows_read, result) from None
    return pseudo.pseudonymise_delivery(spec, raw, key), result


def prepare_pseudonymised(spec: FeedSpec, raw: RawDelivery, key: HashKey) -> pl.DataFrame:
    """A delivery an agency pseudonymised, as a staged-ready frame; raises Quarantine when it
    cannot be used at all (agreed columns missing; tokens made under another key or encoding
    version)."""
    try:
        check_columns(spec, raw, pseudo.file_columns(spec))
    except DeliveryError as exc:
        raise Quarantine(f"not a pseudonymised {spec.name} delivery: {exc.problem}", raw.rows_read) from None
    accepted = raw.frame.filter(pl.col("reject_reason").is_null())
    for column, expected, what in (
        ("key_id", key.key_id, "key id"),
        ("encoding_version", ENCODING_VERSION, "encoding version"),
    ):
        found = sorted(v for v in accepted.get_column(column).unique().to_list() if v is not None)
        if found and found != [expected]:
            raise Quarantine(
                f"made with {what} {', '.join(found)}, but the platform's current {what} is {expected}: "
                "the agency must re-run veru-pseudonymise with the current key and version",
                raw.rows_read,
            )
    frame = pseudo.from_text(spec, raw.frame)
    if raw.rejects.height:  # lines of the pseudonymised file itself that could not be read
        unreadable = raw.rejects.select(
            "row_number",
            "line_number",
            pl.format("in the pseudonymised file: {}", "reason").alias("reject_reason"),
        )
        frame = pl.concat([frame, unreadable], how="diagonal_relaxed").select(frame.columns).cast(frame.schema)
    return frame
