"""Random streams, the calendar and the small sampling helpers every stage of the scenario uses."""

from __future__ import annotations

import zlib

import numpy as np

from .parameters import MINUTES_PER_DAY, MONTH_WEIGHT, NTE_HOURS, WEEKDAY_NTE


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per component, stable for a given seed."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


class Calendar:
    def __init__(self, start_day: int, end_day: int):
        self.start_day, self.end_day = start_day, end_day
        self.days = np.arange(start_day, end_day + 1)
        self.month = self.days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
        self.weekday = (self.days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0

    def days_sample(
        self, rng: np.random.Generator, n: int, weekday: np.ndarray, month: np.ndarray = MONTH_WEIGHT
    ) -> np.ndarray:
        w = month[self.month] * weekday[self.weekday]
        return self.days[rng.choice(self.days.size, size=n, p=w / w.sum())]

    def minutes(self, rng: np.random.Generator, days: np.ndarray, hours: np.ndarray) -> np.ndarray:
        h = rng.choice(24, size=days.size, p=hours / hours.sum())
        return days * MINUTES_PER_DAY + h * 60 + rng.integers(0, 60, size=days.size)

    def nte_minutes(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Weekend nights, 20:00 to 02:59, peaking around midnight."""
        night = self.days_sample(rng, n, WEEKDAY_NTE)
        h = rng.choice(NTE_HOURS.size, size=n, p=NTE_HOURS / NTE_HOURS.sum())
        m = night * MINUTES_PER_DAY + (20 + h) * 60 + rng.integers(0, 60, size=n)
        last = (self.end_day + 1) * MINUTES_PER_DAY - 1
        return np.where(m > last, m - 7 * MINUTES_PER_DAY, m)


def pick(rng: np.random.Generator, p: tuple[float, ...] | np.ndarray, n: int) -> np.ndarray:
    """``n`` category indices drawn independently with weights ``p`` (need not sum to 1)."""
    p = np.asarray(p, dtype=float)
    return rng.choice(p.size, size=n, p=p / p.sum())


def quota(rng: np.random.Generator, n: int, p: tuple[float, ...]) -> np.ndarray:
    """Categories in exact proportions ``p`` (largest remainder), shuffled."""
    share = np.asarray(p, dtype=float) / sum(p) * n
    counts = np.floor(share).astype(np.int64)
    counts[np.argsort(-(share - counts), kind="stable")[: n - int(counts.sum())]] += 1
    return rng.permutation(np.repeat(np.arange(len(p)), counts))


def pick_counts(rng: np.random.Generator, table: dict[int, float], n: int) -> np.ndarray:
    """``n`` counts drawn from ``table`` (count: weight), e.g. how often a couple's abuse recurs."""
    keys = np.array(list(table))
    return keys[pick(rng, tuple(table.values()), n)]


def allocate(
    rng: np.random.Generator,
    need_male: np.ndarray,
    members: np.ndarray,
    member_male: np.ndarray,
    propensity: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Fill suspect slots from a pool so that every member is used at least once if possible.

    Returns the person for each slot and the members left unused (they get offences of
    their own). Slots beyond the pool's size go to members in proportion to ``propensity``
    (a heavy tail: a few prolific offenders).
    """
    out = np.empty(need_male.size, dtype=np.int64)
    if members.size == 0:
        raise ValueError("no members to allocate suspects from")
    order = rng.permutation(members.size)
    covered = np.zeros(members.size, dtype=bool)
    slots = np.flatnonzero(need_male)
    males = order[member_male[order]]
    k = min(slots.size, males.size)
    out[slots[:k]] = males[:k]
    covered[males[:k]] = True
    if slots.size > k:
        male_pos = np.flatnonzero(member_male) if member_male.any() else np.arange(members.size)
        w = propensity[male_pos]
        out[slots[k:]] = male_pos[rng.choice(male_pos.size, size=slots.size - k, p=w / w.sum())]
    slots = np.flatnonzero(~need_male)
    free = order[~covered[order]]
    k = min(slots.size, free.size)
    out[slots[:k]] = free[:k]
    covered[free[:k]] = True
    if slots.size > k:
        out[slots[k:]] = rng.choice(members.size, size=slots.size - k, p=propensity / propensity.sum())
    return members[out], members[~covered]
