"""Landing zone → validated, pseudonymised staging frames for one feed.

For each delivery of a feed, oldest first:

1. read it (a file that cannot be read is quarantined);
2. validate it against the feed's Great Expectations suite (a delivery failing a blocking
   expectation is quarantined) — plaintext deliveries against `expectations/<feed>.json`,
   deliveries pseudonymised by an agency against the same suite without its identifier
   expectations, plus token formats; the latter must also carry the platform's key id and
   encoding version, or they are quarantined (tokens of two keys are never mixed);
3. a plaintext delivery is pseudonymised (`staging.pseudonymised`): identifiers
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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dagster_project import tables
from dagster_project.clock import utcnow
from dagster_project.feeds.delivery import (
    DEFAULT_MAX_BYTES,
    Delivery,
    DeliveryError,
    RawDelivery,
    UnrecognisedFile,
    discover,
    read_delivery,
)
from dagster_project.feeds.spec import FeedSpec, keep_groups, stage_delivery
from dagster_project.feeds.verdicts import ACCEPTED, QUARANTINED, RELEASED, Verdict, by_name_and_size
from dagster_project.feeds.verdicts import frame as frame_of_verdicts
from dagster_project.pseudonymise.keys import HashKey
from dagster_project.settings import AS_OF_VAR
from dagster_project.staging import pseudonymised as pseudo
from dagster_project.staging.prepare import (
    Quarantine,
    Validator,
    prepare_plaintext,
    prepare_pseudonymised,
    validate_delivery,
    validation_parameters,
)

logger = logging.getLogger(__name__)


# What reaches the warehouse and the linkage zone is declared in `tables`: `staging.<feed>`
# (FeedSpec.staging_table), `tokens.<feed>`, `quality.rejects_<feed>`, `quality.deliveries`.
# Statuses of `quality.deliveries` rows: accepted (staged); quarantined (moved to the quarantine
# area); duplicate (byte-identical to another delivery; moved there too); held (dated after the
# judging day; left in the landing zone, not judged); not_served (accepted earlier but unusable
# now, e.g. tokens of a retired key; left in place); unrecognised_name and refused (not read:
# a name off the pattern, a link, not a regular file; left in place).
DELIVERY_STATUSES = ("accepted", "quarantined", "duplicate", "held", "not_served", "unrecognised_name", "refused")


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
    verdicts: pl.DataFrame = field(default_factory=lambda: frame_of_verdicts([]))

    @property
    def quarantined(self) -> pl.DataFrame:
        return self.deliveries.filter(pl.col("status") == "quarantined")


def _delivery_row(d: Delivery, status: str, reason: str | None, **counts) -> dict:
    return {
        "feed": d.feed,
        "delivery_file": d.file_name,
        "extract_date": d.extract_date,
        "pseudonymised_at_source": d.pseudonymised,
        "sha256": counts.get("sha256"),
        "size_bytes": counts.get("size_bytes", d.size_bytes),
        "lines": counts.get("lines"),
        "blank_lines": counts.get("blank_lines"),
        "rows_read": counts.get("rows_read"),
        "rows_rejected": counts.get("rows_rejected"),
        "rows_accepted": counts.get("rows_accepted"),
        "status": status,
        "reason": reason,
        "fails_now": counts.get("fails_now", False),
    }


def _unread_row(item: UnrecognisedFile) -> dict:
    return {
        "feed": item.feed,
        "delivery_file": item.masked_name,  # never the name itself: it may hold a person's name
        "extract_date": None,
        "pseudonymised_at_source": None,
        "sha256": None,
        "size_bytes": item.size_bytes,
        "lines": None,
        "blank_lines": None,
        "rows_read": None,
        "rows_rejected": None,
        "rows_accepted": None,
        "status": item.status,
        "reason": item.problem,
        "fails_now": False,
    }


def _raw_counts(raw: RawDelivery) -> dict:
    return {
        "sha256": raw.sha256,
        "size_bytes": raw.size_bytes,
        "lines": raw.lines,
        "blank_lines": raw.blank_lines,
        "rows_read": raw.rows_read,
    }


def _check_accounting(spec: FeedSpec, raw: RawDelivery, parsed) -> None:
    """Every line of the file is the header, a blank line, a staged row or a rejected row."""
    staged, rejected = parsed.records.height, parsed.rejects.height
    if raw.lines != 1 + raw.blank_lines + raw.rows_read or staged + rejected != raw.rows_read:
        raise PipelineStepError(
            f"{spec.name} delivery {raw.delivery.file_name}: rows do not add up ({raw.lines} lines = 1 header + "
            f"{raw.blank_lines} blank + {raw.rows_read} rows read; {staged} staged + {rejected} rejected). "
            "This is a bug in the platform: nothing was written."
        )


def ingest_feed(
    spec: FeedSpec,
    landing_dir: Path,
    key: HashKey,
    validator: Validator | None = None,
    postcode_lsoa: pl.DataFrame | None = None,
    today: dt.date | None = None,
    *,
    verdicts: Mapping[str, Verdict] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    run_id: str | None = None,
) -> FeedIngest:
    """Read every delivery of `spec` in `landing_dir` and produce the feed's staging frames.

    postcode_lsoa: (pc_tok, lsoa21cd), the postcode lookup keyed by token (made under the
    same key): gives each record its home neighbourhood without any plaintext postcode.
    today: the date deliveries are judged on (default: the real today). A delivery dated after
    it is not judged at all (status `held`, left in the landing zone), unless it was accepted
    before, when it is served as it was.
    verdicts: the feed's earlier verdicts by sha256 (`feeds.verdicts`). A delivery accepted
    before is served even if it would fail now (the failure is reported, `fails_now`); a
    released one is served whatever its checks say. New verdicts come back in `verdicts`.
    max_bytes: deliveries larger than this are refused unread (quarantined), unless accepted
    before under the same name and size.

    A delivery byte-identical to another (the same file sent twice) is not loaded again: its
    status is `duplicate`. Each delivery's size is judged against the feed's earlier accepted
    deliveries (`quality.suites.usual_row_range`).
    """
    today = today or dt.date.today()
    verdicts = dict(verdicts or {})
    history: list[int] = []  # rows read from each accepted delivery, oldest first
    seen: dict[str, str] = {}  # sha256 -> the delivery file that first brought it this run
    deliveries, unread = discover(landing_dir, spec.name)
    present = {d.file_name for d in deliveries}
    log: list[dict] = [_unread_row(item) for item in unread]
    for item in unread:
        logger.warning("%s: not reading %s: %s", spec.name, item.masked_name, item.problem)

    now = utcnow()
    new_verdicts: list[Verdict] = []

    def decide(delivery: Delivery, raw: RawDelivery | None, verdict: str, reason: str | None) -> None:
        earlier = verdicts.get(raw.sha256) if raw is not None else None
        if raw is None or (earlier is not None and earlier.verdict == verdict):
            return
        new = Verdict(
            spec.name,
            raw.sha256,
            delivery.file_name,
            delivery.extract_date,
            raw.size_bytes,
            verdict,
            reason,
            now,
            "pipeline",
            run_id,
        )
        verdicts[raw.sha256] = new
        new_verdicts.append(new)

    staged: list[tuple[Delivery, object]] = []
    validations: list = []
    for delivery in deliveries:
        known_by_name = by_name_and_size(verdicts, delivery.file_name, delivery.size_bytes)
        if delivery.links > 1 and known_by_name is None:
            problem = delivery.hard_link_problem()
            logger.warning("%s: not reading %s: %s", spec.name, delivery.file_name, problem)
            log.append(_delivery_row(delivery, "refused", problem))
            continue
        # a delivery accepted before is read whatever the limit says now (history is never lost)
        limit = max_bytes if known_by_name is None else 1 << 62
        future = delivery.extract_date > today
        try:
            raw = read_delivery(delivery, max_bytes=limit)
        except DeliveryError as exc:
            if future:
                log.append(_delivery_row(delivery, "held", _held_reason(delivery, today)))
                continue
            if exc.status != "quarantined":  # a link, or a file that changed while looked at
                logger.warning("%s", exc)
                log.append(_delivery_row(delivery, exc.status, exc.problem))
                continue
            logger.error("%s", exc)
            log.append(_delivery_row(delivery, "quarantined", exc.problem))
            continue
        if delivery.links > 1 and not (raw.sha256 in verdicts and verdicts[raw.sha256].served):
            problem = delivery.hard_link_problem()
            log.append(_delivery_row(delivery, "refused", problem))
            continue
        counts = _raw_counts(raw)
        earlier = verdicts.get(raw.sha256)
        owner = (
            earlier.delivery_file
            if earlier is not None and earlier.served and earlier.delivery_file in present
            else None
        )
        if owner is not None and owner != delivery.file_name:
            first = owner
        elif owner is None and raw.sha256 in seen:
            first = seen[raw.sha256]
        else:
            first = None
        if first is not None:
            reason = f"byte-identical to {first} (the same file delivered twice); not loaded again"
            logger.warning("%s delivery %s: %s", spec.name, delivery.file_name, reason)
            log.append(_delivery_row(delivery, "duplicate", reason, **counts))
            continue
        seen[raw.sha256] = delivery.file_name
        served_before = earlier is not None and earlier.served

        if future and not served_before:
            reason = _held_reason(delivery, today)
            logger.warning("%s delivery %s: %s", spec.name, delivery.file_name, reason)
            log.append(_delivery_row(delivery, "held", reason, **counts))
            continue

        parameters = validation_parameters(today, history)
        notes = list(raw.notes)
        fails_now = False
        judge = None if future else validator
        try:
            if delivery.pseudonymised:
                # an agency's file is checked for its layout and key before its values
                prepared = prepare_pseudonymised(spec, raw, key)
                result = (
                    None
                    if judge is None
                    else validate_delivery(
                        spec,
                        raw.frame.filter(pl.col("reject_reason").is_null()),
                        label=delivery.file_name,
                        validator=judge,
                        parameters=parameters,
                        pseudonymised=True,
                    )
                )
            else:
                prepared, result = prepare_plaintext(
                    spec, raw, key, validator=judge, parameters=parameters, accept_failing=served_before
                )
            if result is not None:
                validations.append(result)
            if future:
                notes.append(
                    f"dated after {today.isoformat()}, the day deliveries are judged on: "
                    f"served as {earlier.describe()}, not judged again"
                )
            if result is not None and not result.success:
                if not served_before:
                    raise Quarantine(result.summary(), raw.rows_read)
                if earlier.verdict == RELEASED:
                    notes.append(f"{earlier.describe()}; its checks say: {result.summary()}")
                else:
                    fails_now = True
                    notes.append(f"{earlier.describe()} and still served, but would now fail: {result.summary()}")
            parsed = stage_delivery(spec, prepared)
        except Quarantine as exc:
            if exc.result is not None:
                validations.append(exc.result)
            reason = "; ".join([*raw.notes, exc.reason])  # e.g. "the header looks separated by semicolons" first
            if served_before:
                reason = f"{earlier.describe()}, but can no longer be used: {reason}"
                logger.error("%s delivery %s not served: %s", spec.name, delivery.file_name, reason)
                log.append(_delivery_row(delivery, "not_served", reason, **counts))
                continue
            logger.error("%s delivery %s quarantined: %s", spec.name, delivery.file_name, reason)
            decide(delivery, raw, QUARANTINED, reason)
            log.append(_delivery_row(delivery, "quarantined", reason, **counts))
            continue
        except PipelineStepError:
            raise
        except Exception as exc:  # noqa: BLE001 - re-raised without its (possibly identifying) text
            raise safe_failure(spec.name, f"processing {delivery.file_name}", exc) from None
        _check_accounting(spec, raw, parsed)

        if not served_before:
            decide(delivery, raw, ACCEPTED, None)
        staged.append((delivery, parsed))
        history.append(raw.rows_read)
        for note in notes:
            logger.warning("%s delivery %s: %s", spec.name, delivery.file_name, note)
        if parsed.rejects.height:
            logger.warning(
                "%s delivery %s: %d row(s) rejected (see quality.rejects)",
                spec.name,
                delivery.file_name,
                parsed.rejects.height,
            )
        log.append(
            _delivery_row(
                delivery,
                "accepted",
                "; ".join(notes) or None,
                rows_rejected=parsed.rejects.height,
                rows_accepted=parsed.records.height,
                fails_now=fails_now,
                **counts,
            )
        )
    try:
        result = _finish(spec, key, staged, log, validations, postcode_lsoa)
    except Exception as exc:  # noqa: BLE001
        raise safe_failure(spec.name, "combining deliveries", exc) from None
    result.verdicts = frame_of_verdicts(new_verdicts)
    return result


def _held_reason(delivery: Delivery, today: dt.date) -> str:
    return (
        f"dated {delivery.extract_date.isoformat()}, after {today.isoformat()}, the day deliveries are judged on: "
        f"not judged until then and left in the landing zone (a misnamed file, or {AS_OF_VAR} / the server clock set too early?)"
    )


def _merge_versions(spec: FeedSpec, records: pl.DataFrame) -> pl.DataFrame:
    """One row per record key: the latest version, with every field it left blank (or that was
    invalid in it) taken from the newest earlier version that had it (`spec.keep_groups`)."""
    records = records.sort(["extract_date", "delivery_file", "row_number"])
    versions = pl.len().over("record_key")
    single = records.filter(versions == 1)
    multiple = records.filter(versions > 1)
    if multiple.is_empty():
        return single
    groups = keep_groups(spec, multiple.columns)
    grouped = {m for _, members in groups for m in members}
    plain = [c for c in multiple.columns if c != "record_key" and c not in grouped]
    aggregations = [pl.col(c).last() for c in plain] + [
        pl.struct(list(members)).filter(pl.col(lead).is_not_null()).last().alias(f"__keep_{i}")
        for i, (lead, members) in enumerate(groups)
    ]
    merged = multiple.group_by("record_key", maintain_order=True).agg(aggregations)
    merged = merged.unnest([f"__keep_{i}" for i in range(len(groups))]).select(multiple.columns)
    return pl.concat([single, merged.cast(multiple.schema)], how="vertical").sort(
        ["extract_date", "delivery_file", "row_number"]
    )


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
    # The latest version of a record wins, field by field (within a delivery keys are unique:
    # duplicates were rejected); a blank field never erases an earlier value.
    records = _merge_versions(spec, records).with_columns(source_feed=pl.lit(spec.name))
    lookup = (
        postcode_lsoa
        if postcode_lsoa is not None
        else pl.DataFrame(schema={"pc_tok": pl.String, "lsoa21cd": pl.String})
    )
    records = records.join(
        lookup.select("pc_tok", pl.col("lsoa21cd").alias("home_lsoa")), on="pc_tok", how="left", maintain_order="left"
    )
    kept = records.select("record_key", "delivery_file", "row_number")
    problems = pl.concat(
        [tag(pl.DataFrame(schema=tables.PROBLEM_COLUMNS), None), *(tag(p.problems, d) for d, p in staged)]
    ).join(kept, on=["record_key", "delivery_file", "row_number"], how="semi")
    rejects = pl.concat(
        [tag(pl.DataFrame(schema=tables.REJECT_COLUMNS), None), *(tag(p.rejects, d) for d, p in staged)]
    )
    feed = pl.lit(spec.name).alias("feed")
    return FeedIngest(
        feed=spec.name,
        key_id=key.key_id,
        staging=records.select(spec.staging_table.column_names),
        tokens=records.select(tables.tokens(spec.name).column_names),
        rejects=rejects.with_columns(feed).select(tables.rejects(spec.name).column_names),
        problems=problems.with_columns(feed).select(tables.IDENTIFIER_PROBLEMS.column_names),
        deliveries=tables.DELIVERIES.from_rows(log),
        validations=validations,
    )
