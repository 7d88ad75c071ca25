"""Each feed's health, in one word and a reason in plain words.

Statuses, worst first:

- **broken**: the feed's latest delivery could not be used (unreadable, or it failed a
  blocking expectation) and was quarantined; the warehouse keeps serving the last good data.
- **late**: no delivery for longer than the feed's cadence allows (`expectations/freshness.json`).
- **degraded**: the latest delivery was loaded but something is off: warning expectations
  failed (null rates, formats, an unusual size), rows were rejected, or it was the same file
  delivered twice.
- **healthy**: none of the above.

The latest delivery is the one with the latest extract date among those in the landing zone
and those quarantined earlier (`quality.quarantine`), so a quarantined file keeps the feed
broken until a later delivery arrives, and a later good delivery clears the flag.
Freshness is itself a Great Expectations suite, validated on one row per feed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field

import polars as pl

from dagster_project import warehouse
from dagster_project.quality.suites import expectations_dir, validate_frame
from dagster_project.settings import AS_OF_VAR
from dagster_project.tables import FEED_STATUS, FEED_STATUS_HISTORY

logger = logging.getLogger(__name__)

STATUSES = ("healthy", "degraded", "late", "broken")  # in increasing severity
# `quality.deliveries` statuses (staging.ingest.DELIVERY_STATUSES): the judged ones make a feed's
# delivery history; the others are reported beside it.
JUDGED_STATUSES = ("accepted", "quarantined", "duplicate")
UNREAD_STATUSES = ("unrecognised_name", "refused")
FRESHNESS_SUITE = "freshness"


@dataclass(frozen=True)
class Cadence:
    """How often a feed delivers and how long past that a delivery may be before it is late."""

    every_days: int
    grace_days: int

    @property
    def max_days(self) -> int:
        return self.every_days + self.grace_days


@dataclass
class FeedHealth:
    feed: str
    status: str
    reasons: list[str] = field(default_factory=list)
    latest_delivery: str | None = None
    latest_extract_date: dt.date | None = None
    latest_status: str | None = None
    latest_rows: int | None = None
    latest_size_bytes: int | None = None
    usual_rows: float | None = None  # median rows of the accepted deliveries before the latest
    days_since_delivery: int | None = None
    cadence_days: int | None = None
    max_days: int | None = None
    records_served: int | None = None
    last_good_delivery: str | None = None

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons) if self.reasons else "latest delivery passed every check and arrived on time"

    def to_record(self, run_id: str, as_of: dt.date) -> dict:
        return {
            "feed": self.feed,
            "status": self.status,
            "reason": self.reason,
            "latest_delivery": self.latest_delivery,
            "latest_extract_date": self.latest_extract_date,
            "latest_status": self.latest_status,
            "latest_rows": self.latest_rows,
            "latest_size_bytes": self.latest_size_bytes,
            "usual_rows": self.usual_rows,
            "days_since_delivery": self.days_since_delivery,
            "cadence_days": self.cadence_days,
            "max_days": self.max_days,
            "records_served": self.records_served,
            "last_good_delivery": self.last_good_delivery,
            "as_of": as_of,
            "run_id": run_id,
        }


STATUS_SCHEMA = FEED_STATUS.schema  # a `quality.feed_status` row's columns (`FeedHealth.to_record`)


def write_status(con, record: dict, checked_at: dt.datetime) -> None:
    """Put one `quality.feed_status` row in place (the feed's current status) and keep it in
    `quality.feed_status_history`. Call inside the caller's `warehouse.transaction`."""
    frame = FEED_STATUS.from_rows([record])
    warehouse.replace_partition(con, FEED_STATUS, frame, "feed", record["feed"])
    warehouse.append(con, FEED_STATUS_HISTORY, frame.with_columns(checked_at=pl.lit(checked_at)))


def cadences() -> dict[str, Cadence]:
    """Each feed's cadence, from the `meta` of `expectations/freshness.json`."""
    path = expectations_dir() / f"{FRESHNESS_SUITE}.json"
    meta = json.loads(path.read_text(encoding="utf-8")).get("meta") or {}
    grace = int(meta.get("grace_days", 0))
    return {feed: Cadence(int(days), grace) for feed, days in (meta.get("cadence_days") or {}).items()}


def _worst(statuses: list[str]) -> str:
    return max(statuses, key=STATUSES.index) if statuses else "healthy"


def assess(
    feed: str,
    deliveries: pl.DataFrame,
    quarantine: pl.DataFrame,
    validations: pl.DataFrame,
    rejects: pl.DataFrame,
    *,
    as_of: dt.date,
    records_served: int | None = None,
) -> tuple[FeedHealth, object | None]:
    """The feed's health from this run's deliveries (`quality.deliveries` rows of the feed),
    every earlier quarantine (`quality.quarantine` rows of the feed), this run's validation
    outcomes of the feed and its rejected rows. Returns the health and the freshness suite's
    result (None when the feed has no cadence configured)."""
    unread = deliveries.filter(pl.col("status").is_in(UNREAD_STATUSES))
    held = deliveries.filter(pl.col("status") == "held")
    unserved = deliveries.filter(pl.col("status") == "not_served")
    failing_now = deliveries.filter((pl.col("status") == "accepted") & pl.col("fails_now").fill_null(False))
    current = deliveries.filter(pl.col("status").is_in(JUDGED_STATUSES)).select(
        "delivery_file", "extract_date", "status", "reason", "rows_read", "size_bytes", "rows_rejected"
    )
    earlier = quarantine.filter(~pl.col("delivery_file").is_in(deliveries.get_column("delivery_file").to_list()))
    earlier = earlier.select(
        "delivery_file",
        "extract_date",
        "status",
        "reason",
        "rows_read",
        "size_bytes",
        pl.lit(None, dtype=pl.Int64).alias("rows_rejected"),
    ).unique("delivery_file", keep="last")
    every = pl.concat([current, earlier], how="vertical_relaxed").sort("extract_date", "delivery_file")
    health = FeedHealth(feed=feed, status="healthy", records_served=records_served)
    statuses: list[str] = []
    cadence = cadences().get(feed)
    if cadence:
        health.cadence_days, health.max_days = cadence.every_days, cadence.max_days

    accepted = every.filter(pl.col("status") == "accepted")
    if accepted.height:
        health.last_good_delivery = accepted.get_column("delivery_file")[-1]
    # Problems with deliveries other than the latest: files left unread, deliveries dated after
    # the judging day, history that would fail today's checks or can no longer be used.
    side: list[tuple[str, str]] = []
    for row in unserved.iter_rows(named=True):
        side.append(("broken", f"{row['delivery_file']} is not served: {row['reason']}"))
    for row in failing_now.iter_rows(named=True):
        side.append(("degraded", f"{row['delivery_file']}: {row['reason']}"))
    for row in held.iter_rows(named=True):
        side.append(("degraded", f"{row['delivery_file']} held: {row['reason']}"))
    if unread.height:
        named = ", ".join(f"{r['delivery_file']} ({r['reason']})" for r in unread.head(3).iter_rows(named=True))
        more = f" and {unread.height - 3} more" if unread.height > 3 else ""
        side.append(("degraded", f"{unread.height} file(s) in the landing zone not read: {named}{more}"))
    if every.is_empty():
        statuses.append("late")
        health.reasons.append("no delivery has ever arrived")
        for status, reason in side:
            statuses.append(status)
            health.reasons.append(reason)
        return _finish(health, statuses), None

    latest = every.row(-1, named=True)
    health.latest_delivery = latest["delivery_file"]
    health.latest_extract_date = latest["extract_date"]
    health.latest_status = latest["status"]
    health.latest_rows = latest["rows_read"]
    health.latest_size_bytes = latest["size_bytes"]
    before = accepted.filter(pl.col("extract_date") < latest["extract_date"]).get_column("rows_read").drop_nulls()
    if before.len():
        health.usual_rows = float(before.tail(4).median())

    if latest["status"] == "quarantined":
        statuses.append("broken")
        health.reasons.append(f"{latest['delivery_file']} was quarantined: {latest['reason']}")
        if health.last_good_delivery:
            health.reasons.append(f"serving the last good data (up to {health.last_good_delivery})")
        else:
            health.reasons.append("no good delivery to serve yet")
    elif latest["status"] == "duplicate":
        statuses.append("degraded")
        health.reasons.append(f"{latest['delivery_file']} is {latest['reason']}")
    else:
        problems = _warnings(validations, latest["delivery_file"])
        rejected = rejects.filter(pl.col("delivery_file") == latest["delivery_file"])
        if rejected.height:
            # the kind of problem without record keys (every key holds 7+ digits) or row lists:
            # "nominal_link_id … appears more than once", "row has 9 fields, the header has 14"
            kinds = rejected.get_column("reason").str.replace(r"\s*\(.*$", "").str.replace_all(r"\S*\d{4,}\S*", "…")
            top = kinds.value_counts(sort=True).head(3)
            detail = ", ".join(f"{n} × {k.strip()}" for k, n in top.iter_rows())
            problems.append(f"{rejected.height} row(s) rejected ({detail}; see quality.rejects_{feed})")
        if latest["reason"]:  # reading notes, e.g. a truncated last line
            problems.append(latest["reason"])
        if problems:
            statuses.append("degraded")
            health.reasons.append(f"{latest['delivery_file']}: " + "; ".join(dict.fromkeys(problems)))
    for status, reason in side:
        if not (status == "degraded" and reason.startswith(f"{latest['delivery_file']}: ")):
            statuses.append(status)
            health.reasons.append(reason)

    freshness = None
    if cadence:
        health.days_since_delivery = (as_of - latest["extract_date"]).days
        frame = pl.DataFrame({"feed": [feed], "days_since_delivery": [health.days_since_delivery]})
        freshness = validate_frame(
            frame, FRESHNESS_SUITE, label=feed, keep_types=True, parameters={"max_days": cadence.max_days}
        )
        if health.days_since_delivery < 0:  # not late: dated after the day it is judged on
            statuses.append("degraded")
            health.reasons.append(
                f"{latest['delivery_file']} is dated {-health.days_since_delivery} days after {as_of.isoformat()}, "
                f"the day the feeds are judged on (a misnamed file, or {AS_OF_VAR} set too early?)"
            )
        elif not freshness.success or freshness.warning_failures:
            statuses.append("late")
            health.reasons.insert(0, late_reason(feed, health.days_since_delivery, latest["extract_date"], cadence))
    return _finish(health, statuses), freshness


def late_reason(feed: str, days: int, last: dt.date, cadence: Cadence) -> str:
    return (
        f"no delivery for {days} days (last {last.isoformat()}); "
        f"{feed} delivers every {cadence.every_days} days, late after {cadence.max_days}"
    )


def restate(record: dict, as_of: dt.date) -> dict:
    """A `quality.feed_status` row judged again on a later date: days since delivery move on and
    a feed that has since gone past its cadence becomes late. Only freshness depends on the
    date, so nothing else changes; a row already judged on or after `as_of` is returned as is."""
    judged, last = record.get("as_of"), record.get("latest_extract_date")
    if judged is None or judged >= as_of or last is None:
        return record
    days = (as_of - last).days
    restated = {**record, "as_of": as_of, "days_since_delivery": days}
    cadence = cadences().get(record["feed"])
    if cadence and days > cadence.max_days and record["status"] != "late" and "no delivery for" not in record["reason"]:
        restated["status"] = _worst([record["status"], "late"])
        earlier = [] if record["status"] == "healthy" else [record["reason"]]
        restated["reason"] = "; ".join([late_reason(record["feed"], days, last, cadence), *earlier])
    return restated


def _finish(health: FeedHealth, statuses: list[str]) -> FeedHealth:
    health.status = _worst(statuses)
    return health


def _warnings(validations: pl.DataFrame, delivery_file: str) -> list[str]:
    """The failed expectations' phrases for one delivery (this run's outcomes)."""
    if validations.is_empty():
        return []
    failed = validations.filter(
        (pl.col("label") == delivery_file) & ~pl.col("success") & pl.col("problem").is_not_null()
    )
    return list(dict.fromkeys(failed.get_column("problem").to_list()))
