"""The three readers and their intervals (`audit`).

Three readers
-------------
The LP of the attacker (`audit` package docstring) is the reader of sdcTable and tau-Argus.
Two readers know more, and the audit solves their LPs too (each adds lower bounds to the LP
reader's; the bounds are true, so each reader's feasible set holds the true counts and lies
inside the previous reader's):

- The listing reader knows how each table lists its labels (`AuditTable.listed_always`,
  declared per publication in `aggregates.PUBLICATIONS`). A table built by GROUP BY lists a
  label only when it occurs, so that label's margin holds at least one person or event: a
  one-way table's row; a two-way table's row total and column total, for the labels of both
  dims ('Not known' included); and the grand total of a table with such a label. A two-way
  cell can still be 0 (the grid fills absent combinations with published zeros), and so can a
  label listed from a reference list whatever its count (every neighbourhood of
  `reference.lsoa`; that table's 'Not known' row is listed only when it occurs). Its interval is
  [`listed_low`, `listed_high`].
- The informed reader also knows that zeros are published, not hidden (`disclosure` hides a
  zero only when a line has no other cell left, `protect_together` only when nothing else can
  protect a count), so takes every hidden count to be at least 1.
  It cannot tell a hidden zero (a complement chosen where nothing else would do) from a hidden
  count, so it takes that one to be at least 1 too: wrongly, but what it concludes is what it
  concludes, and a wrong belief can still tell it, correctly, that a count is small (the e2e
  world of seed 11 had 13 cells of the weekday-by-hour table told at most 4 that way before the
  publisher modelled it). So the publisher's audit and an attacker's give this reader the same
  bound, on every hidden entry; where it contradicts the published numbers (a line whose hidden
  entries sum to less than their number) the reader knows it is wrong there and falls back to
  the listing reader for that independent part, and its interval is reported as unknown (NaN).
  Its interval is [`informed_low`, `informed_high`].

The structural minimum
----------------------
An entry's structural minimum (`floor`) is the least value the listing reader can give it before
reading any number: the LP minimum under the listing bounds and the relations alone. It is 0
for a two-way cell or a neighbourhood, 1 for a listed label's margin, the number of labels for
the grand total of a one-way GROUP BY table, and 1 for a neighbourhood alone in its deprivation
decile (through the decile table's row). Publishing a table discloses its floors, and only them.

What each reader must not be able to tell is the protection rule (`audit.result`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dagster_project.publication.audit.lp import _intervals, _split
from dagster_project.publication.audit.model import _Model
from dagster_project.publication.audit.result import AuditResult, HiddenInterval
from dagster_project.publication.audit.tables import _TOL, AuditTable, Relations

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Readers:
    """Each reader's lower bound on every entry (published entries are fixed anyway)."""

    blind: np.ndarray  # the LP reader: the a priori bounds
    listed: np.ndarray  # + how tables list their labels
    informed: np.ndarray  # + every hidden count is at least 1 (wrong for a hidden zero)


def _readers(model: _Model, published: np.ndarray, low: np.ndarray) -> _Readers:
    """The readers' lower bounds. The informed reader's are what it believes, not what is
    true: the publisher judges what a reader concludes, and a reader cannot tell a hidden zero
    from a hidden count."""
    listed = np.maximum(low, model.floor)
    informed = np.where(np.isnan(published), np.maximum(listed, 1.0), listed)
    return _Readers(low, listed, informed)


def _floors(model: _Model, readers: _Readers, high, targets) -> dict[int, float]:
    """The structural minimum of each target: its least value for the listing reader when
    nothing is published (the listing bounds and the relations alone)."""
    if not len(targets):
        return {}
    nothing = np.full(model.n, np.nan)
    found = _intervals(_split(model, nothing, sorted(set(int(t) for t in targets))), readers.listed, high, highs=False)
    return {var: lo for var, (lo, _) in found.items()}


def audit(
    tables: Sequence[AuditTable],
    relations: Relations = Relations(),
    *,
    threshold: int = 5,
    listing_highs: bool = False,
) -> AuditResult:
    """Every hidden entry's feasible intervals, per reader, given every published number of
    every table.

    With the truth (the publisher's audit) the relations and listings are checked against it
    first and primary entries are judged against the protection rule (`audit.result`). The
    listing reader's upper ends are not needed for the rule (the informed reader's are lower)
    and are computed only with `listing_highs` (NaN otherwise).
    """
    started = time.process_time()
    model = _Model(tables, relations)
    published, low, high, truth, primary = model.arrays()
    if truth is not None:
        model.check_against(truth)
    readers = _readers(model, published, low)
    hidden = np.flatnonzero(np.isnan(published))
    parts = _split(model, published, hidden)
    blind = _intervals(parts, readers.blind, high)
    informed = _intervals(parts, readers.informed, high, may_contradict=True)
    if np.array_equal(readers.listed, readers.blind):
        listed = blind
    else:
        listed = _sandwiched(model, published, readers.listed, high, hidden, blind, informed, listing_highs)
    floors = _floors(model, readers, high, hidden)
    intervals = []
    for var in hidden:
        t, i = model.locate(int(var))
        v = int(var)
        intervals.append(
            HiddenInterval(
                table=t.name,
                key=t.keys[i],
                low=blind[v][0],
                high=blind[v][1],
                primary=None if t.primary is None else bool(primary[var]),
                truth=None if t.truth is None else int(t.truth[i]),
                floor=floors[v],
                listed_low=listed[v][0],
                listed_high=listed[v][1],
                informed_low=informed[v][0],
                informed_high=informed[v][1],
            )
        )
    small = tuple(
        (t.name, k)
        for t in model.tables
        for k, v in zip(t.keys, t.published, strict=True)
        if v is not None and 0 < v < threshold
    )
    result = AuditResult(
        intervals=tuple(intervals),
        threshold=threshold,
        cpu_seconds=time.process_time() - started,
        published_small=small,
        dropped_relations=model.dropped,
    )
    logger.info(
        "Audited %d tables together: %d hidden entries, %d primary, %d unprotected, %d exactly "
        "recoverable by some reader (%.2f s CPU).",
        len(model.tables),
        len(intervals),
        len(result.primary),
        len(result.unprotected),
        len(result.told_exactly),
        result.cpu_seconds,
    )
    return result


def _sandwiched(model, published, low, high, hidden, outer, inner, highs: bool) -> dict[int, tuple[float, float]]:
    """The listing reader's intervals: its feasible set lies between the LP reader's (`outer`)
    and the informed reader's (`inner`), so where their ends agree so does its; elsewhere LPs.
    Upper ends only with `highs`."""

    def agree(a, b):
        return (np.isinf(a) and np.isinf(b)) or abs(a - b) < _TOL

    out = {int(v): (np.nan, np.nan) for v in hidden}
    known_inner = {int(v) for v in hidden if not np.isnan(inner[int(v)][0])}
    need_low = [v for v in map(int, hidden) if v not in known_inner or not agree(outer[v][0], inner[v][0])]
    need_high = [v for v in map(int, hidden) if v not in known_inner or not agree(outer[v][1], inner[v][1])]
    for v in map(int, hidden):
        if v not in need_low:
            out[v] = (outer[v][0], out[v][1])
        if highs and v not in need_high:
            out[v] = (out[v][0], outer[v][1])
    if need_low:
        for v, (lo, _) in _intervals(_split(model, published, need_low), low, high, highs=False).items():
            out[v] = (lo, out[v][1])
    if highs and need_high:
        for v, (_, hi) in _intervals(_split(model, published, need_high), low, high, lows=False).items():
            out[v] = (out[v][0], hi)
    return out
