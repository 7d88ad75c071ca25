"""Landing zone → validated, pseudonymised staging for one feed.

For each delivery of a feed, oldest first: read it (a file that cannot be read is
quarantined), validate it against the feed's Great Expectations suite (a delivery failing
a blocking expectation is quarantined), parse it (rows with a bad key are rejected with
their reason; malformed identifiers become missing and are counted). The latest version of
each record key wins. Identifiers are then standardised and encoded; only tokens and
non-identifying attributes leave this module.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dagster_project.feeds.delivery import (
    REJECT_SCHEMA,
    Delivery,
    DeliveryError,
    RawDelivery,
    discover,
    read_delivery,
)
from dagster_project.feeds.spec import PROBLEM_SCHEMA, FeedSpec, parse_delivery
from dagster_project.pseudonymise.encode import encode_identity
from dagster_project.pseudonymise.keys import HashKey

logger = logging.getLogger(__name__)

# Validator: (raw frame without row_number, suite name, label) -> SuiteResult-like object
# with `.success` (no blocking failure), `.summary()` and `.to_records()`.
Validator = Callable[..., object]

# Columns that reach the warehouse from every feed, besides the feed's own attributes.
COMMON_STAGING_COLUMNS = (
    "record_key",
    "source_feed",
    "delivery_file",
    "extract_date",
    "row_number",
    "event_date",
    "age_at_event",
    "ethnic_group",
)

DELIVERY_SCHEMA = {
    "feed": pl.String,
    "delivery_file": pl.String,
    "extract_date": pl.Date,
    "sha256": pl.String,
    "size_bytes": pl.Int64,
    "rows_read": pl.Int64,
    "rows_rejected": pl.Int64,
    "rows_accepted": pl.Int64,
    "status": pl.String,
    "reason": pl.String,
}


class PipelineStepError(RuntimeError):
    """An unexpected failure, reported without the exception text (which may quote data)."""


def safe_failure(feed: str, step: str, exc: BaseException) -> PipelineStepError:
    """Describe an unexpected exception by type and code location only, never its message.

    Library errors (Polars, DuckDB) often quote the offending cell, which here would be a
    name or NHS number; the location is enough to debug with the landing file in hand.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    where = next(
        (f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames) if "dagster_project" in f.filename),
        "unknown location",
    )
    return PipelineStepError(
        f"{feed}: {step} failed with {type(exc).__name__} at {where} "
        "(message withheld because it may contain identifiers)"
    )


@dataclass
class FeedIngest:
    """Everything one feed contributes to the warehouse for one run."""

    feed: str
    key_id: str
    staging: pl.DataFrame
    tokens: pl.DataFrame
    rejects: pl.DataFrame
    problems: pl.DataFrame
    deliveries: pl.DataFrame
    validations: list = field(default_factory=list)

    @property
    def quarantined(self) -> pl.DataFrame:
        return self.deliveries.filter(pl.col("status") == "quarantined")


def _delivery_row(d: Delivery, status: str, reason: str | None, **counts) -> dict:
    return {
        "feed": d.feed,
        "delivery_file": d.file_name,
        "extract_date": d.extract_date,
        "sha256": counts.get("sha256"),
        "size_bytes": counts.get("size_bytes"),
        "rows_read": counts.get("rows_read"),
        "rows_rejected": counts.get("rows_rejected"),
        "rows_accepted": counts.get("rows_accepted"),
        "status": status,
        "reason": reason,
    }


def ingest_feed(
    spec: FeedSpec,
    landing_dir: Path,
    key: HashKey,
    validator: Validator | None = None,
) -> FeedIngest:
    """Read every delivery of `spec` in `landing_dir` and produce the feed's staging frames."""
    deliveries, unrecognised = discover(landing_dir, spec.name)
    for item in unrecognised:
        logger.warning("%s: ignoring %s: %s", spec.name, item.path.name, item.problem)

    accepted: list[pl.DataFrame] = []
    problems: list[pl.DataFrame] = []
    rejects: list[pl.DataFrame] = []
    log: list[dict] = []
    validations: list = []
    for delivery in deliveries:
        try:
            raw = read_delivery(delivery)
        except DeliveryError as exc:
            logger.error("%s", exc)
            log.append(_delivery_row(delivery, "quarantined", exc.problem))
            continue
        counts = {"sha256": raw.sha256, "size_bytes": raw.size_bytes}
        rows_read = raw.frame.height + raw.rejects.height

        if validator is not None:
            result = validator(raw.frame.drop("row_number"), spec.name, label=delivery.file_name)
            validations.append(result)
            if not result.success:
                reason = result.summary()
                logger.error("%s delivery %s quarantined: %s", spec.name, delivery.file_name, reason)
                log.append(_delivery_row(delivery, "quarantined", reason, rows_read=rows_read, **counts))
                continue
        try:
            parsed = parse_delivery(spec, raw)
        except DeliveryError as exc:
            logger.error("%s", exc)
            log.append(_delivery_row(delivery, "quarantined", exc.problem, rows_read=rows_read, **counts))
            continue
        except Exception as exc:  # noqa: BLE001 - re-raised without its (possibly identifying) text
            raise safe_failure(spec.name, f"parsing {delivery.file_name}", exc) from None

        tag = {"delivery_file": delivery.file_name}
        accepted.append(
            parsed.records.with_columns(
                delivery_file=pl.lit(delivery.file_name), extract_date=pl.lit(delivery.extract_date)
            )
        )
        problems.append(parsed.problems.with_columns(**{k: pl.lit(v) for k, v in tag.items()}))
        rejects.append(parsed.rejects.with_columns(**{k: pl.lit(v) for k, v in tag.items()}))
        for note in raw.notes:
            logger.warning("%s delivery %s: %s", spec.name, delivery.file_name, note)
        status_reason = "; ".join(raw.notes) or None
        log.append(
            _delivery_row(
                delivery,
                "accepted",
                status_reason,
                rows_read=rows_read,
                rows_rejected=parsed.rejects.height,
                rows_accepted=parsed.records.height,
                **counts,
            )
        )
        if parsed.rejects.height:
            logger.warning(
                "%s delivery %s: %d row(s) rejected (see quality.rejects)",
                spec.name,
                delivery.file_name,
                parsed.rejects.height,
            )

    try:
        return _finish(spec, key, accepted, problems, rejects, log, validations)
    except PipelineStepError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise safe_failure(spec.name, "pseudonymisation", exc) from None


def _empty_records(spec: FeedSpec) -> pl.DataFrame:
    """A zero-row frame with exactly the columns and types a parsed delivery has."""
    frame = pl.DataFrame(
        [pl.Series("row_number", [], dtype=pl.Int64)]
        + [pl.Series(c, [], dtype=pl.String) for c in spec.columns]
    )
    empty = RawDelivery(
        delivery=Delivery(spec.name, Path(f"{spec.name}_empty.csv"), dt.date.min),
        header=list(spec.columns),
        frame=frame,
        rejects=pl.DataFrame(schema=REJECT_SCHEMA),
        sha256="",
        size_bytes=0,
    )
    return parse_delivery(spec, empty).records.with_columns(
        delivery_file=pl.lit(None, dtype=pl.String), extract_date=pl.lit(None, dtype=pl.Date)
    )


def _finish(
    spec: FeedSpec,
    key: HashKey,
    accepted: list[pl.DataFrame],
    problems: list[pl.DataFrame],
    rejects: list[pl.DataFrame],
    log: list[dict],
    validations: list,
) -> FeedIngest:
    records = pl.concat([_empty_records(spec), *accepted], how="diagonal_relaxed")
    # Latest delivery wins; within a delivery keys are unique (duplicates were rejected).
    records = (
        records.sort(["extract_date", "row_number"])
        .unique(subset="record_key", keep="last", maintain_order=True)
        .with_columns(source_feed=pl.lit(spec.name))
    )
    kept = records.select("record_key", "delivery_file", "row_number")

    staging_columns = list(dict.fromkeys([*COMMON_STAGING_COLUMNS, *spec.attribute_targets]))
    tokens = pl.concat(
        [
            records.select("source_feed", "record_key", pl.lit(key.key_id).alias("key_id"), "sex"),
            encode_identity(records, key),
        ],
        how="horizontal",
    )
    problem_frame = pl.concat(
        [pl.DataFrame(schema={**PROBLEM_SCHEMA, "delivery_file": pl.String}), *problems]
    ).join(kept, on=["record_key", "delivery_file", "row_number"], how="semi")
    reject_frame = pl.concat(
        [pl.DataFrame(schema={**REJECT_SCHEMA, "delivery_file": pl.String}), *rejects]
    )
    feed = pl.lit(spec.name).alias("feed")
    return FeedIngest(
        feed=spec.name,
        key_id=key.key_id,
        staging=records.select(staging_columns),
        tokens=tokens,
        rejects=reject_frame.select(feed, "delivery_file", "row_number", "line_number", "reason"),
        problems=problem_frame.select(feed, "delivery_file", "row_number", "record_key", "field", "problem"),
        deliveries=pl.DataFrame(log, schema=DELIVERY_SCHEMA, orient="row"),
        validations=validations,
    )
