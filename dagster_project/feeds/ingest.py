"""Landing zone → validated, pseudonymised staging for one feed.

For each delivery of a feed, oldest first:

1. read it (a file that cannot be read is quarantined);
2. validate it against the feed's Great Expectations suite (a delivery failing a blocking
   expectation is quarantined) — plaintext deliveries against `expectations/<feed>.json`,
   deliveries pseudonymised by an agency against the same suite without its identifier
   expectations, plus token formats; the latter must also carry the platform's key id and
   encoding version, or they are quarantined (tokens of two keys are never mixed);
3. a plaintext delivery is pseudonymised (`pseudonymise.pseudonymised`): identifiers
   standardised and encoded, plaintext dropped; rows with a bad key are kept aside with
   their reason and malformed identifiers become missing and are counted;
4. the pseudonymised delivery is staged: attributes parsed, tokens kept.

The latest version of each record key wins. Only tokens and non-identifying attributes
leave this module.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dagster_project.feeds.delivery import REJECT_SCHEMA, Delivery, DeliveryError, RawDelivery, discover, read_delivery
from dagster_project.feeds.spec import PROBLEM_SCHEMA, FeedSpec, check_columns, stage_delivery
from dagster_project.pseudonymise import pseudonymised as pseudo
from dagster_project.pseudonymise.encode import ENCODING_VERSION, TOKEN_SCHEMA
from dagster_project.pseudonymise.keys import HashKey

logger = logging.getLogger(__name__)

# Validator: (frame of strings, suite name, label=..., suite=...) -> SuiteResult-like object
# with `.success` (no blocking failure), `.warning_failures`, `.summary()`, `.to_records()`.
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
    "home_lsoa",
)
TOKEN_META_COLUMNS = ("source_feed", "record_key", "key_id", "encoding_version", "sex")

DELIVERY_SCHEMA = {
    "feed": pl.String,
    "delivery_file": pl.String,
    "extract_date": pl.Date,
    "pseudonymised_at_source": pl.Boolean,
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


class Quarantine(Exception):
    """This delivery cannot be used; `reason` says why in words."""

    def __init__(self, reason: str, rows_read: int | None = None):
        super().__init__(reason)
        self.reason, self.rows_read = reason, rows_read


def _pseudonymised_from_plaintext(
    spec: FeedSpec, raw: RawDelivery, key: HashKey, validator: Validator | None, validations: list,
    parameters: dict,
) -> pl.DataFrame:
    rows_read = raw.frame.height + raw.rejects.height
    if validator is not None:
        result = validator(
            raw.frame.drop("row_number"), spec.name,
            label=raw.delivery.file_name, parameters=parameters,
        )
        validations.append(result)
        if not result.success:
            raise Quarantine(result.summary(), rows_read)
    try:
        check_columns(spec, raw, list(spec.columns))
    except DeliveryError as exc:
        raise Quarantine(exc.problem, rows_read) from None
    return pseudo.pseudonymise_delivery(spec, raw, key)


def _pseudonymised_from_agency(
    spec: FeedSpec, raw: RawDelivery, key: HashKey, validator: Validator | None, validations: list,
    parameters: dict,
) -> pl.DataFrame:
    rows_read = raw.frame.height
    try:
        check_columns(spec, raw, pseudo.file_columns(spec))
    except DeliveryError as exc:
        raise Quarantine(f"not a pseudonymised {spec.name} delivery: {exc.problem}", rows_read) from None
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
                rows_read,
            )
    if validator is not None:
        result = validator(
            accepted.drop("row_number"),
            f"{spec.name}_pseudonymised",
            label=raw.delivery.file_name,
            suite=pseudo.suite(spec),
            parameters=parameters,
        )
        validations.append(result)
        if not result.success:
            raise Quarantine(result.summary(), rows_read)
    return pseudo.from_text(spec, raw.frame)


def _delivery_row(d: Delivery, status: str, reason: str | None, **counts) -> dict:
    return {
        "feed": d.feed,
        "delivery_file": d.file_name,
        "extract_date": d.extract_date,
        "pseudonymised_at_source": d.pseudonymised,
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
    postcode_lsoa: pl.DataFrame | None = None,
    today: dt.date | None = None,
) -> FeedIngest:
    """Read every delivery of `spec` in `landing_dir` and produce the feed's staging frames.

    postcode_lsoa: (pc_tok, lsoa21cd), the postcode lookup keyed by token (made under the
    same key): gives each record its home neighbourhood without any plaintext postcode.
    today: the date future dates are judged against (default: the real today).

    A delivery byte-identical to an earlier one of the feed (the same file sent twice) is not
    loaded again: its status is `duplicate`. Each delivery's size is judged against the feed's
    earlier accepted deliveries (`quality.suites.usual_row_range`).
    """
    from dagster_project.quality.suites import default_parameters, usual_row_range

    base_parameters = default_parameters(today)
    history: list[int] = []  # rows read from each accepted delivery, oldest first
    seen: dict[str, str] = {}  # sha256 -> the delivery file that first brought it
    deliveries, unrecognised = discover(landing_dir, spec.name)
    for item in unrecognised:
        logger.warning("%s: ignoring %s: %s", spec.name, item.path.name, item.problem)

    staged: list[tuple[Delivery, object]] = []
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
        if raw.sha256 in seen:
            reason = f"byte-identical to {seen[raw.sha256]} (the same file delivered twice); not loaded again"
            logger.warning("%s delivery %s: %s", spec.name, delivery.file_name, reason)
            log.append(_delivery_row(delivery, "duplicate", reason, rows_read=raw.frame.height + raw.rejects.height, **counts))
            continue
        seen[raw.sha256] = delivery.file_name
        low, high = usual_row_range(history)
        parameters = {**base_parameters, "min_usual_rows": low, "max_usual_rows": high}
        prepare = _pseudonymised_from_agency if delivery.pseudonymised else _pseudonymised_from_plaintext
        try:
            pseudonymised = prepare(spec, raw, key, validator, validations, parameters)
            parsed = stage_delivery(spec, pseudonymised)
        except Quarantine as exc:
            reason = "; ".join([*raw.notes, exc.reason])  # e.g. "the header looks separated by semicolons" first
            logger.error("%s delivery %s quarantined: %s", spec.name, delivery.file_name, reason)
            log.append(_delivery_row(delivery, "quarantined", reason, rows_read=exc.rows_read, **counts))
            continue
        except Exception as exc:  # noqa: BLE001 - re-raised without its (possibly identifying) text
            raise safe_failure(spec.name, f"processing {delivery.file_name}", exc) from None

        staged.append((delivery, parsed))
        history.append(parsed.records.height + parsed.rejects.height)
        for note in raw.notes:
            logger.warning("%s delivery %s: %s", spec.name, delivery.file_name, note)
        if parsed.rejects.height:
            logger.warning(
                "%s delivery %s: %d row(s) rejected (see quality.rejects)",
                spec.name, delivery.file_name, parsed.rejects.height,
            )
        log.append(
            _delivery_row(
                delivery,
                "accepted",
                "; ".join(raw.notes) or None,
                rows_read=parsed.records.height + parsed.rejects.height,
                rows_rejected=parsed.rejects.height,
                rows_accepted=parsed.records.height,
                **counts,
            )
        )
    try:
        return _finish(spec, key, staged, log, validations, postcode_lsoa)
    except Exception as exc:  # noqa: BLE001
        raise safe_failure(spec.name, "combining deliveries", exc) from None


def _empty_records(spec: FeedSpec) -> pl.DataFrame:
    """A zero-row frame with exactly the columns and types a staged delivery has."""
    return stage_delivery(spec, pl.DataFrame(schema=pseudo.schema(spec))).records


def _finish(
    spec: FeedSpec,
    key: HashKey,
    staged: list[tuple[Delivery, object]],
    log: list[dict],
    validations: list,
    postcode_lsoa: pl.DataFrame | None = None,
) -> FeedIngest:
    def tag(frame: pl.DataFrame, delivery: Delivery | None) -> pl.DataFrame:
        return frame.with_columns(
            delivery_file=pl.lit(delivery.file_name if delivery else None, dtype=pl.String),
            extract_date=pl.lit(delivery.extract_date if delivery else None, dtype=pl.Date),
        )

    records = pl.concat(
        [tag(_empty_records(spec), None), *(tag(p.records, d) for d, p in staged)], how="diagonal_relaxed"
    )
    # Latest delivery wins; within a delivery keys are unique (duplicates were rejected).
    records = (
        records.sort(["extract_date", "delivery_file", "row_number"])
        .unique(subset="record_key", keep="last", maintain_order=True)
        .with_columns(source_feed=pl.lit(spec.name))
    )
    lookup = postcode_lsoa if postcode_lsoa is not None else pl.DataFrame(schema={"pc_tok": pl.String, "lsoa21cd": pl.String})
    records = records.join(
        lookup.select("pc_tok", pl.col("lsoa21cd").alias("home_lsoa")), on="pc_tok", how="left", maintain_order="left"
    )
    kept = records.select("record_key", "delivery_file", "row_number")
    problems = pl.concat(
        [tag(pl.DataFrame(schema=PROBLEM_SCHEMA), None), *(tag(p.problems, d) for d, p in staged)]
    ).join(kept, on=["record_key", "delivery_file", "row_number"], how="semi")
    rejects = pl.concat([tag(pl.DataFrame(schema=REJECT_SCHEMA), None), *(tag(p.rejects, d) for d, p in staged)])
    feed = pl.lit(spec.name).alias("feed")
    staging_columns = list(dict.fromkeys([*COMMON_STAGING_COLUMNS, *spec.attribute_targets]))
    return FeedIngest(
        feed=spec.name,
        key_id=key.key_id,
        staging=records.select(staging_columns),
        tokens=records.select(*TOKEN_META_COLUMNS, *TOKEN_SCHEMA),
        rejects=rejects.select(feed, "delivery_file", "row_number", "line_number", "reason"),
        problems=problems.select(feed, "delivery_file", "row_number", "record_key", "field", "problem"),
        deliveries=pl.DataFrame(log, schema=DELIVERY_SCHEMA, orient="row"),
        validations=validations,
    )
