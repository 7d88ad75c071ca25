"""Incremental deliveries: which extract holds each record, and corrected re-sends.

Each delivery covers one period and is extracted a few days after it ends. It holds the
records created in its period plus corrected versions of about 3% of the records of earlier
deliveries (same key): a name typo or missing date of birth fixed, a suspect charged, a child
put on a protection plan. The earlier version stays in its own delivery; the latest one wins.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .feeds import FeedTable
from .names import typo
from .population import day_number

RESEND_RATE = 0.03  # of records not in the last delivery
EXTRACT_LAG_DAYS = 5


@dataclass(frozen=True)
class Delivery:
    index: int
    period_start: dt.date
    period_end: dt.date
    extract_date: dt.date


def schedule(start: dt.date, end: dt.date, n: int) -> list[Delivery]:
    """``n`` evenly spaced periods (whole months when the period is whole months)."""
    after_end = end + dt.timedelta(days=1)
    months = (after_end.year - start.year) * 12 + after_end.month - start.month
    if start.day == 1 and after_end.day == 1 and months >= n:
        bounds = [_add_months(start, round(k * months / n)) for k in range(n + 1)]
    else:
        total = (after_end - start).days
        bounds = [start + dt.timedelta(days=round(k * total / n)) for k in range(n + 1)]
    return [
        Delivery(
            k, bounds[k], bounds[k + 1] - dt.timedelta(days=1), bounds[k + 1] + dt.timedelta(days=EXTRACT_LAG_DAYS - 1)
        )
        for k in range(n)
    ]


def _add_months(day: dt.date, months: int) -> dt.date:
    m = day.month - 1 + months
    return dt.date(day.year + m // 12, m % 12 + 1, 1)


def delivery_of(created: np.ndarray, deliveries: list[Delivery]) -> np.ndarray:
    ends = np.array([day_number(d.period_end) for d in deliveries])
    return np.minimum(np.searchsorted(ends, created, side="left"), len(deliveries) - 1)


@dataclass
class DeliveryPlan:
    """Per record: the delivery it first appears in; for re-sent ones, the later delivery and
    the earlier version's values."""

    first: np.ndarray
    resent_to: np.ndarray  # -1 when not re-sent
    change: np.ndarray  # what the correction changed ('' when not re-sent)
    earlier: dict[str, np.ndarray]  # column -> earlier values for re-sent records (others unused)


def plan(rng: np.random.Generator, table: FeedTable, deliveries: list[Delivery]) -> DeliveryPlan:
    first = delivery_of(table.created, deliveries)
    last = len(deliveries) - 1
    eligible = np.flatnonzero(first < last)
    n_resent = int(round(RESEND_RATE * eligible.size))
    chosen = np.sort(rng.choice(eligible, size=n_resent, replace=False)) if n_resent else eligible[:0]
    resent_to = np.full(table.size, -1, dtype=np.int64)
    gap = last - first[chosen]
    later = np.where(rng.random(chosen.size) < 0.65, 1, 1 + np.floor(rng.random(chosen.size) * gap).astype(np.int64))
    resent_to[chosen] = first[chosen] + np.minimum(later, gap)
    earlier = {c: v.copy() for c, v in table.data.items()}
    change = np.full(table.size, "", dtype=object)
    for i in chosen:
        change[i] = _make_earlier(rng, table.feed, earlier, int(i))
    return DeliveryPlan(first, resent_to, change, earlier)


_NAME_COLUMNS = {
    "police": ("surname", "forenames"),
    "social_care": ("last_name", "first_name"),
    "health": ("surname", "forename"),
    "yos": ("full_name",),
}
_DOB = {"police": "dob", "social_care": "dob", "health": "date_of_birth", "yos": "dob"}


def _make_earlier(rng: np.random.Generator, feed: str, data: dict[str, np.ndarray], i: int) -> str:
    """Turn row ``i`` of ``data`` into the version first delivered; return what changed."""
    options: list[tuple[str, str, str]] = []  # (change, column, earlier value)
    status = []
    if feed == "police":
        if data["role"][i] == "OFFENDER":
            status.append(("role_updated", "role", "SUSPECT"))
        for col in ("knife_or_sharp", "drugs_or_alcohol", "domestic_abuse"):
            if data[col][i] == "Y":
                status.append((f"{col}_updated", col, "N"))
    elif feed == "social_care":
        for col in ("child_protection_plan", "looked_after", "cse_concern", "cce_concern"):
            if data[col][i] == "Y":
                status.append((f"{col}_updated", col, "N"))
        if data["missing_episodes"][i] not in ("", "0"):
            status.append(("missing_episodes_updated", "missing_episodes", str(int(data["missing_episodes"][i]) - 1)))
    elif feed == "health":
        if data["admitted"][i] == "Y":
            status.append(("admitted_updated", "admitted", "N"))
        if data["weapon"][i] not in ("Unknown",):
            status.append(("weapon_updated", "weapon", "Unknown"))
    elif feed == "yos":
        if data["exploitation_concern"][i] == "Y":
            status.append(("exploitation_concern_updated", "exploitation_concern", "N"))
        if data["outcome_type"][i] != "Youth Caution":
            status.append(("outcome_type_updated", "outcome_type", "Youth Caution"))
    for col in _NAME_COLUMNS[feed]:
        value = str(data[col][i])
        if feed == "yos":
            surname, _, given = value.partition(", ")
            bad = typo(surname, rng.random(4))
            if bad != surname:
                options.append(("name_typo_fixed", col, f"{bad}, {given}"))
        elif value:
            bad = typo(value, rng.random(4))
            if bad != value:
                options.append(("name_typo_fixed", col, bad))
    if data[_DOB[feed]][i] and feed != "yos":  # YOS always holds a date of birth
        options.append(("dob_added", _DOB[feed], ""))
    if data["postcode"][i]:
        options.append(("postcode_added", "postcode", ""))
    if "nhs_number" in data and data["nhs_number"][i]:
        options.append(("nhs_number_added", "nhs_number", ""))
    pool = status if status and (rng.random() < 0.45 or not options) else options
    if not pool:
        pool = status or [("resent_unchanged", _DOB[feed], str(data[_DOB[feed]][i]))]
    change, col, value = pool[int(rng.integers(0, len(pool)))]
    data[col][i] = value
    return change
