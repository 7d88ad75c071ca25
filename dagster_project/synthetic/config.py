"""Configuration and result types of the synthetic feed generator."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

FEED_ORDER: tuple[str, ...] = ("police", "social_care", "health", "yos")

# Fewer people than this cannot hold every role the scenario needs (couples, exploited
# children, youth offenders with YOS outcomes) at least once.
MIN_PEOPLE = 200


@dataclass(frozen=True)
class SyntheticConfig:
    """What to generate and where to write it.

    ``people`` is the number of distinct true persons appearing in at least one feed.
    ``target_records``, when given, overrides ``people`` with the count expected to give
    about that many landing records in total (all feeds, all deliveries).
    """

    landing: Path
    truth: Path
    reference: Path
    people: int = 20_000
    seed: int = 2024
    deliveries: int = 4
    start: dt.date = dt.date(2023, 1, 1)
    end: dt.date = dt.date(2024, 12, 31)
    target_records: int | None = None
    replace: bool = False
    progress: bool = True

    def __post_init__(self) -> None:
        for name in ("landing", "truth", "reference"):
            object.__setattr__(self, name, Path(getattr(self, name)))
        if self.target_records is None and self.people < MIN_PEOPLE:
            raise ValueError(f"people must be at least {MIN_PEOPLE}. Supplied value {self.people}.")
        if self.target_records is not None and self.target_records < 1_000:
            raise ValueError(f"target_records must be at least 1000. Supplied value {self.target_records}.")
        if not 1 <= self.deliveries <= 24:
            raise ValueError(f"deliveries must be between 1 and 24. Supplied value {self.deliveries}.")
        if self.end <= self.start:
            raise ValueError(f"end must be after start. Supplied values {self.start} and {self.end}.")
        if (self.end - self.start).days < 90:
            raise ValueError(f"the period must cover at least 90 days. Supplied {self.start} to {self.end}.")
        if self.start.year < 2000 or self.end.year > 2098:
            raise ValueError(f"the period must lie within 2000-2098. Supplied {self.start} to {self.end}.")
        resolved = {name: getattr(self, name).resolve() for name in ("landing", "truth", "reference")}
        if len(set(resolved.values())) != 3:
            raise ValueError(f"landing, truth and reference must be different directories: {resolved}.")


@dataclass
class GenerationSummary:
    """What a run produced: records per feed (all deliveries), persons, files written."""

    people: int
    records: dict[str, int]
    distinct_keys: dict[str, int]
    resent: dict[str, int]
    errors: int
    deliveries: list[dt.date]
    landing_files: list[Path] = field(default_factory=list)
    truth_files: list[Path] = field(default_factory=list)
    reference_files: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total_records(self) -> int:
        return sum(self.records.values())
