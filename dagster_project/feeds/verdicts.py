"""The verdict ledger: what was decided about each delivery, by its content's sha256.

A delivery is judged once. The decision is kept (`quality.delivery_verdicts`, append-only:
the newest row of a (feed, sha256) is its verdict) so that a later run never judges
accepted history into loss:

- `accepted`: the delivery passed its blocking checks when it was first judged. It stays in
  the landing zone and in staging for good. If a later run would now fail it (a suite
  tightened, a wrong server date), the feed is degraded with the file and the failing
  expectation named, and the delivery keeps being served.
- `quarantined`: it failed; it was moved to the quarantine area. Not sticky: if the same
  bytes come back and now pass, they are accepted.
- `released`: a person looked at a quarantined delivery and put it back with
  `veru-release`; it is served from then on, whatever its checks say (they are still shown).

Keyed by content, not name: the same bytes under another name are the same delivery.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from dagster_project.tables import DELIVERY_VERDICTS

ACCEPTED = "accepted"
QUARANTINED = "quarantined"
RELEASED = "released"
VERDICTS = (ACCEPTED, QUARANTINED, RELEASED)
SERVED = (ACCEPTED, RELEASED)  # verdicts whose delivery is served whatever a later run says


@dataclass(frozen=True)
class Verdict:
    """One row of `quality.delivery_verdicts` (its columns, in order)."""

    feed: str
    sha256: str
    delivery_file: str
    extract_date: dt.date | None
    size_bytes: int | None
    verdict: str
    reason: str | None
    decided_at: dt.datetime
    decided_by: str
    run_id: str | None

    @property
    def served(self) -> bool:
        return self.verdict in SERVED

    def describe(self) -> str:
        """e.g. 'accepted on 2025-01-12' or 'released on 2025-02-01 by jbloggs after review'."""
        when = self.decided_at.date().isoformat()
        if self.verdict == RELEASED:
            return f"released on {when} by {self.decided_by} after review"
        return f"{self.verdict} on {when}"

    def to_record(self) -> dict:
        return {name: getattr(self, name) for name in DELIVERY_VERDICTS.column_names}


def current(ledger: pl.DataFrame) -> dict[str, Verdict]:
    """The newest verdict of each sha256 in `ledger` (rows of one feed)."""
    if ledger.is_empty():
        return {}
    newest = ledger.sort("decided_at").unique("sha256", keep="last")
    return {
        row["sha256"]: Verdict(**{name: row[name] for name in DELIVERY_VERDICTS.column_names})
        for row in newest.iter_rows(named=True)
    }


def frame(verdicts: list[Verdict]) -> pl.DataFrame:
    return DELIVERY_VERDICTS.from_rows(v.to_record() for v in verdicts)


def by_name_and_size(verdicts: Mapping[str, Verdict], name: str, size: int | None) -> Verdict | None:
    """The newest served verdict of a file of this name and size (used before a file is read,
    e.g. when the size limit was lowered after a delivery was accepted)."""
    served = [v for v in verdicts.values() if v.delivery_file == name and v.size_bytes == size and v.served]
    return max(served, key=lambda v: v.decided_at) if served else None
