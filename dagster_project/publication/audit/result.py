"""What the audit finds: every hidden entry's interval per reader, the protection rule, and the
verdict with the figures that explain it.

The protection rule
-------------------
A primary-suppressed entry (true count 1 to threshold-1, totals included) is protected when:

1. its LP interval reaches 0 (`low` = 0): the LP reader cannot tell it from an empty cell;
2. the listing reader's lower end is its structural minimum (`listed_low` = `floor`): the
   published numbers tell nothing about how small it is beyond what the table's shape says;
3. the informed reader's upper end reaches the threshold (`informed_high` >= threshold): even a
   reader who takes every hidden count to be non-zero cannot tell it from a publishable count.
   The other readers know less, so their upper ends reach it too.

So its protection interval, [`listed_low`, `informed_high`], runs from its structural minimum
(0 or 1 for a cell or label; more only for a total over several listed labels) to at least the
threshold. With the listing and informed bounds left out this is sdcTable's protection check
(`csp_cpp` in sdcTable's R/helper_functions.r: protected when low <= value - LPL,
up >= value + UPL and up - low >= SPL) with LPL = value, UPL = threshold - value and
SPL = threshold. Every other hidden entry's intervals are reported too. Published counts from 1
to threshold-1 fail the audit.

The readers and the structural minimum (`floor`) are explained in `audit.readers`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from dagster_project.publication.audit.tables import _TOL


@dataclass(frozen=True)
class HiddenInterval:
    """A hidden entry's feasible intervals given every published number, per reader.

    `low`, `high`: the LP reader (published numbers, relations, a priori bounds). `listed_*`:
    the listing reader; `informed_*`: the informed reader (NaN when the reader's assumption
    contradicts the published numbers); `floor`: the structural minimum (`audit.readers`).
    The readers' fields default to the LP reader's, for intervals made by hand.
    """

    table: str
    key: tuple[str, ...]
    low: float
    high: float
    primary: bool | None = None
    truth: int | None = None
    floor: float = 0.0
    listed_low: float | None = None
    listed_high: float | None = None
    informed_low: float | None = None
    informed_high: float | None = None

    @property
    def width(self) -> float:
        """The LP reader's width."""
        return self.high - self.low

    @property
    def exact(self) -> bool:
        """The LP reader recovers it exactly (so every reader does)."""
        return self.width < _TOL

    @property
    def listed(self) -> tuple[float, float]:
        """The listing reader's interval; where its upper end was not computed (`audit`'s
        `listing_highs`), the LP reader's, which is at least as high."""
        high = self.listed_high
        return (
            self.low if self.listed_low is None else self.listed_low,
            self.high if high is None or np.isnan(high) else high,
        )

    @property
    def informed(self) -> tuple[float, float]:
        """The best-informed reader's interval (the listing reader's when it is unknown)."""
        if self.informed_low is None or np.isnan(self.informed_low) or np.isnan(self.informed_high):
            return self.listed
        return self.informed_low, self.informed_high

    @property
    def protection(self) -> tuple[float, float]:
        """[listing reader's lower end, informed reader's upper end]."""
        return self.listed[0], self.informed[1]

    @property
    def protection_width(self) -> float:
        low, high = self.protection
        return high - low

    @property
    def told_exactly(self) -> bool:
        """Some reader recovers it exactly (the informed one does whenever another does)."""
        low, high = self.informed
        return high - low < _TOL

    def protected(self, threshold: int) -> bool:
        """The protection rule of the module docstring."""
        low, high = self.protection
        return self.low <= _TOL and low <= self.floor + _TOL and high >= threshold - _TOL


@dataclass(frozen=True)
class AuditResult:
    """Every hidden entry's interval, and the verdict."""

    intervals: tuple[HiddenInterval, ...]
    threshold: int
    cpu_seconds: float
    published_small: tuple[tuple[str, tuple[str, ...]], ...] = ()
    dropped_relations: tuple[str, ...] = ()

    @property
    def primary(self) -> list[HiddenInterval]:
        return [i for i in self.intervals if i.primary]

    @property
    def unprotected(self) -> list[HiddenInterval]:
        return [i for i in self.primary if not i.protected(self.threshold)]

    @property
    def exact(self) -> list[HiddenInterval]:
        """Entries the LP reader recovers exactly."""
        return [i for i in self.intervals if i.exact]

    @property
    def told_exactly(self) -> list[HiddenInterval]:
        """Entries some reader recovers exactly."""
        return [i for i in self.intervals if i.told_exactly]

    @property
    def passed(self) -> bool:
        return not self.unprotected and not self.published_small and not self.dropped_relations

    def narrowest(self, *, primary: bool) -> HiddenInterval | None:
        """Primary: the narrowest protection interval; other: the narrowest interval of the
        best-informed reader."""
        chosen = [i for i in self.intervals if bool(i.primary) == primary]
        width = (lambda i: i.protection_width) if primary else (lambda i: i.informed[1] - i.informed[0])
        return min(chosen, key=lambda i: (width(i), i.table, i.key), default=None)

    def summary(self) -> dict[str, object]:
        """Figures that explain the verdict, without any true count."""
        narrow_p = self.narrowest(primary=True)
        narrow_o = self.narrowest(primary=False)
        lowest_top = min(self.primary, key=lambda i: (i.protection[1], i.table, i.key), default=None)
        return {
            "hidden_cells": len(self.intervals),
            "primary_cells": len(self.primary),
            "primary_cells_known_to_be_non_empty": sum(1 for i in self.primary if i.floor >= 1 - _TOL),
            "unprotected_primary_cells": len(self.unprotected),
            "exactly_recoverable_cells": len(self.told_exactly),
            "published_cells_below_threshold": len(self.published_small),
            "narrowest_primary_width": None if narrow_p is None else round(narrow_p.protection_width, 3),
            "narrowest_primary_table": None if narrow_p is None else narrow_p.table,
            "lowest_primary_upper_end": None if lowest_top is None else round(lowest_top.protection[1], 3),
            "narrowest_other_width": (
                None if narrow_o is None else round(narrow_o.informed[1] - narrow_o.informed[0], 3)
            ),
            "narrowest_other_table": None if narrow_o is None else narrow_o.table,
            "dropped_relations": list(self.dropped_relations),
            "cpu_seconds": round(self.cpu_seconds, 3),
        }


def summary_table(result: AuditResult) -> str:
    """A markdown table per table: hidden and primary entries, narrowest intervals (primary:
    the protection interval; other: the best-informed reader's)."""
    per: dict[str, list[HiddenInterval]] = defaultdict(list)
    for i in result.intervals:
        per[i.table].append(i)
    lines = [
        "| table | hidden | primary | narrowest primary | lowest primary upper end | narrowest other |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name in sorted(per):
        items = per.get(name, [])
        prim = [i for i in items if i.primary]
        other = [i.informed[1] - i.informed[0] for i in items if not i.primary]
        lines.append(
            f"| {name} | {len(items)} | {len(prim)} | "
            f"{_fmt(min(i.protection_width for i in prim)) if prim else '-'} | "
            f"{_fmt(min(i.protection[1] for i in prim)) if prim else '-'} | "
            f"{_fmt(min(other)) if other else '-'} |"
        )
    return "\n".join(lines)


def _fmt(width: float) -> str:
    return "unbounded" if np.isinf(width) else f"{width:g}"
