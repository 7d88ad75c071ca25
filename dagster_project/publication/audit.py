"""Disclosure audit of every published table together, and the suppression that makes it pass.

The attacker
------------
We assume an attacker who holds every published number of every table and everything public
about how the tables relate:

- which tables count the same population: the victim tables (by council and age band, by
  council and sex, by neighbourhood, by deprivation decile, by ethnic group) all count the same
  victims, so their grand totals are equal and so is every margin they share; the two
  victimisation tables (by month, by weekday and hour) count the same events;
- public lookups of labels that go together (`reference.lsoa`, which analysts and the public
  can see: a neighbourhood lies in one council and one deprivation decile; the calendar: an
  event with no date has neither a month nor a weekday), given as frames of the label
  combinations that can occur, 'Not known' included;
- bounds between populations: every victim has at least one victimisation, and every A&E
  assault attendance is a victimisation, so those totals are at most the victimisations';
- how each table lists its labels, and that zeros are published (the listing and informed
  readers of "Three readers" below).

For each hidden entry they solve two linear programmes: the smallest and the largest value it
can take such that every published number is what it is, every table adds up (cells to row,
column and grand totals), every shared margin agrees, every population bound holds and no
count is negative. That [min, max] is the entry's feasible interval (the LP reader's); an
interval of width 0 recovers it exactly (finding 5 of issue 10 did this with the published
"primary" labels, which are no longer published). The solver is HiGHS through
`scipy.optimize.linprog`.

Shared margins are derived, not hand-written
--------------------------------------------
Each table declares its population and dims (`AuditTable`); the relations come from that and
the lookups (`Relations`). For two tables of the same population, every pair of dims (one from
each) gives a common coarsening: a dim with itself gives the dim; two different dims that
appear together in a lookup give the connected components of the graph joining labels that
occur together (neighbourhood and council: the council; neighbourhood and deprivation decile:
the decile; council and decile: "known" against "Not known"; month and weekday: "date known"
against "Not known"); dims with no lookup give nothing. The tuple of all non-trivial
coarsenings is a function of a cell of either table, and the two tables' cells must have equal
sums for every value of it (the grand total when there is none). A label a lookup does not
know makes that pair of dims give nothing, which is sound but weaker; the publisher's audit
also checks every relation against the true counts and drops (and reports) one that does not
hold, so a wrong declaration can never make the audit claim more than the data supports.

As strong as an attacker with a joint microdata table?
------------------------------------------------------
An attacker could instead set up one variable per cell of the full cross-classification of the
population (council x age band x sex x neighbourhood x decile x ethnic group for the victims),
restricted to label combinations the lookups allow, with every published table a margin of it.
Any solution of that joint LP gives a solution of ours (its margins), so our intervals are at
least as wide as the joint attacker's. For these tables they are equal, because the tables'
attribute sets form an acyclic (decomposable) hypergraph: with N the neighbourhood (which
determines council C and decile D), the victim tables span {C, A}, {C, S}, {N, C, D}, {D} and
{E}, and a join tree with {N, C, D} at the centre has every pairwise intersection ({C}, {D},
{}) inside the centre. For an acyclic hypergraph, margins that agree pairwise on their
intersections are the margins of some joint non-negative table (Vorob'ev 1962; Beeri, Fagin,
Maier and Yannakakis 1983); with integer margins there is an integer one, built along the join
tree one transportation problem at a time. So every point of our LP is a point of the joint LP
and the two give the same intervals. The victimisation tables span {M, K} and {W, H, K} with K
"date known": acyclic too. Adding a table that closes a cycle (say council by ethnic group next
to ethnic group by age band and council by age band) would break this: pairwise agreement would
then be weaker than a joint table, and the audit would have to model the joint table itself.
The readers below only add bounds on table entries, which both formulations share, so they
give the same intervals too (tests/test_publication_attacks.py checks the joint attacker).

Three readers, and the protection rule
--------------------------------------
The LP above is the reader of sdcTable and tau-Argus. Two readers know more, and the audit
solves their LPs too (each adds lower bounds to the LP reader's; the bounds are true, so each
reader's feasible set holds the true counts and lies inside the previous reader's):

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

An entry's structural minimum (`floor`) is the least value the listing reader can give it before
reading any number: the LP minimum under the listing bounds and the relations alone. It is 0
for a two-way cell or a neighbourhood, 1 for a listed label's margin, the number of labels for
the grand total of a one-way GROUP BY table, and 1 for a neighbourhood alone in its deprivation
decile (through the decile table's row). Publishing a table discloses its floors, and only them.

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

Complementary suppression across tables (`protect_together`)
------------------------------------------------------------
After each table's own suppression (`disclosure.suppress`), the primary entries are audited
together. For each condition an entry fails, a small LP looks for the cheapest way to move it,
with every hidden entry free: a change y of all entries with y = 0 on every relation (tables
still add up, shared margins still agree, population bounds hold), the entry moved to 0
(condition 1), to its structural minimum (2) or to the threshold (3), every entry kept at or
above that reader's bound (1: 0; 2: its listing bound; 3: 1 for every hidden entry, zeros
included, and for every published non-zero one, since an entry the change moves is hidden and
the informed reader then takes it to be non-zero; the listing bound where that contradicts), and cost sum((count + 1) * |y|) over published entries, so the smallest
counts go first, in its own lines or across a shared margin; a published zero is moved only
when no change without one exists. The published entries it moves are hidden. Then count + y is a second table that reader cannot rule out, so the condition holds;
hiding more never narrows any reader's interval (a published count becomes a bound it meets),
so conditions met earlier stay met, one pass protects every entry, and a final audit confirms
it. A table whose cells are all small gets its total hidden this way when nothing cheaper
protects them. Last, a secondary entry the published numbers fix exactly for the LP reader
(say a complement chosen in one table whose value another table's margins give away) protects
nothing; it is published again, which changes no reader's interval: the set of tables each
reader finds consistent with what is published stays the same. So after `protect_together` no
hidden entry can be recovered exactly by the LP reader, and no line of a table has exactly one
hidden entry; entries the informed reader pins exactly are counted (`told_exactly`). A primary
entry is never published, nor anything below the threshold (every count from 1 to threshold-1
is primary).

Limits, honestly
----------------
The readers are LP relaxations, as in sdcTable and tau-Argus: an attacker solving integer
programmes could in principle narrow an interval by less than 1 where the LP's optimum is
fractional (with the tables here, sums of counts with unit coefficients, the extreme values are
integers in every case we measured). Listing a label tells that its category is not empty; the
rule only makes sure the published numbers tell no more. Where the informed reader's belief
contradicts the published numbers it learns that some hidden entry there is 0; the audit then
gives it only the listing reader's bounds in that part, not the most it could infer from
knowing that. Relations the publisher does not declare are not modelled: a
table from another year, a count published elsewhere, and the same tables published again
after the data changed (the difference of two weekly publications is a table of the people
added in between, whose small counts no audit of one publication protects).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from dagster_project.publication.disclosure import PRIMARY, SuppressedTable

logger = logging.getLogger(__name__)

TOTAL = "Total"
_TOL = 1e-6

# The conditions of the protection rule (module docstring), as `protect_together` names them.
_REACHES_ZERO = "LP reader's lower end reaches 0"
_REACHES_FLOOR = "listing reader's lower end reaches the structural minimum"
_REACHES_THRESHOLD = "informed reader's upper end reaches the threshold"


class AuditError(RuntimeError):
    """The published numbers and the declared relations cannot all be true together."""


class _Infeasible(AuditError):
    """A reader's bounds contradict the published numbers."""


@dataclass(frozen=True)
class AuditTable:
    """One table as the audit sees it: every entry (cells and totals) with its published
    count, None when hidden.

    `truth` (each entry's true count) and `primary` (each entry's primary-suppression flag)
    are the publisher's knowledge, None for an attacker. `low` and `high` are bounds an
    attacker holds a priori on hidden entries (e.g. 1 to 4 from a published "primary" label);
    by default 0 and no bound. `listed_always` says how the table lists its labels: per dim,
    the labels it lists whatever their count (from a reference list, zeros included); every
    other label of that dim is listed only when it occurs (GROUP BY), so its margin is at
    least 1. None: nothing is declared, and the listing reader knows no more than the LP one.
    """

    name: str
    population: str
    dims: tuple[str, ...]
    keys: tuple[tuple[str, ...], ...]
    published: tuple[int | None, ...]
    truth: tuple[int, ...] | None = None
    primary: tuple[bool, ...] | None = None
    low: tuple[float, ...] | None = None
    high: tuple[float, ...] | None = None
    total_label: str = TOTAL
    listed_always: tuple[frozenset[str], ...] | None = None

    def __post_init__(self) -> None:
        n = len(self.keys)
        for name in ("published", "truth", "primary", "low", "high"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ValueError(
                    f"table {self.name!r}: {name} has {len(value)} entries for {n} keys."
                )
        if any(len(k) != len(self.dims) for k in self.keys):
            raise ValueError(f"table {self.name!r}: every key needs one label per dim.")
        if self.listed_always is not None and len(self.listed_always) != len(self.dims):
            raise ValueError(
                f"table {self.name!r}: listed_always needs one set of labels per dim "
                f"({len(self.dims)}), got {len(self.listed_always)}."
            )

    def listing_floor(self) -> tuple[float, ...]:
        """Each entry's lower bound from how the table lists its labels: 1 for the margin of
        a label listed only when it occurs (a one-way table's row, a two-way table's row or
        column total) and for the grand total of a table with such a label; else 0 (a
        two-way cell, a label listed whatever its count, any entry when nothing is declared)."""
        if self.listed_always is None:
            return (0.0,) * len(self.keys)
        occurring = [
            (d, label) for key in self.keys for d, label in enumerate(key)
            if label != self.total_label and label not in self.listed_always[d]
        ]
        out = []
        for key in self.keys:
            labels = [(d, label) for d, label in enumerate(key) if label != self.total_label]
            if not labels:
                out.append(1.0 if occurring else 0.0)
            elif len(labels) == 1:
                d, label = labels[0]
                out.append(0.0 if label in self.listed_always[d] else 1.0)
            else:
                out.append(0.0)
        return tuple(out)

    @classmethod
    def from_suppressed(
        cls,
        name: str,
        population: str,
        table: SuppressedTable,
        *,
        listed_always: tuple[frozenset[str], ...] | None = None,
    ) -> AuditTable:
        """The publisher's view of a suppressed table: published counts plus the truth."""
        values = table.values
        return cls(
            name=name,
            population=population,
            dims=table.dims,
            keys=tuple(table.keys),
            published=tuple(None if h else v for h, v in zip(table.hidden, values, strict=True)),
            truth=tuple(values),
            primary=tuple(s == PRIMARY for s in table.statuses),
            total_label=table.total_label,
            listed_always=listed_always,
        )

    @classmethod
    def from_frame(
        cls,
        name: str,
        population: str,
        dims: Sequence[str],
        frame: pl.DataFrame,
        *,
        count: str = "count",
        total_label: str = TOTAL,
        label_column: str | None = None,
        threshold: int = 5,
        listed_always: tuple[frozenset[str], ...] | None = None,
    ) -> AuditTable:
        """An attacker's view of a published table (one row per entry, hidden counts null).

        With `label_column` (the old `suppression` column), entries labelled "primary" are
        known to lie between 1 and threshold - 1, as an attacker reading the label knows.
        """
        dims = tuple(dims)
        missing = [c for c in (*dims, count) if c not in frame.columns]
        if missing:
            raise ValueError(f"table {name!r} has no column {missing[0]!r}.")
        keys = tuple(tuple(row) for row in frame.select(dims).iter_rows())
        published = tuple(frame.get_column(count).to_list())
        low = high = None
        if label_column is not None and label_column in frame.columns:
            labels = frame.get_column(label_column).to_list()
            low = tuple(1.0 if lab == PRIMARY else 0.0 for lab in labels)
            high = tuple(float(threshold - 1) if lab == PRIMARY else np.inf for lab in labels)
        return cls(name, population, dims, keys, published, low=low, high=high,
                   total_label=total_label, listed_always=listed_always)


@dataclass(frozen=True)
class Relations:
    """What is public about how tables relate, beyond each table's population and dims.

    `lookups`: frames whose columns are dim names and whose rows are every label combination
    that can occur together (e.g. neighbourhood, council, deprivation_decile from
    reference.lsoa, with 'Not known' in every column for a person with no home). `at_most`:
    pairs (smaller, larger) of populations whose grand totals are ordered.
    """

    lookups: tuple[pl.DataFrame, ...] = ()
    at_most: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class HiddenInterval:
    """A hidden entry's feasible intervals given every published number, per reader.

    `low`, `high`: the LP reader (published numbers, relations, a priori bounds). `listed_*`:
    the listing reader; `informed_*`: the informed reader (NaN when the reader's assumption
    contradicts the published numbers); `floor`: the structural minimum (module docstring).
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
        return (self.low if self.listed_low is None else self.listed_low,
                self.high if high is None or np.isnan(high) else high)

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
            "narrowest_other_width": (None if narrow_o is None
                                      else round(narrow_o.informed[1] - narrow_o.informed[0], 3)),
            "narrowest_other_table": None if narrow_o is None else narrow_o.table,
            "dropped_relations": list(self.dropped_relations),
            "cpu_seconds": round(self.cpu_seconds, 3),
        }


@dataclass(frozen=True)
class LinkedTable:
    """A suppressed table with its name, population and listing, for `protect_together`."""

    name: str
    population: str
    table: SuppressedTable
    listed_always: tuple[frozenset[str], ...] | None = None

    def for_audit(self) -> AuditTable:
        return AuditTable.from_suppressed(self.name, self.population, self.table,
                                          listed_always=self.listed_always)


# --- the model: one variable per entry of every table ------------------------------------


@dataclass
class _Rows:
    """Linear rows over the model's variables: sum(coef * x) == 0 (or <= 0), with a source."""

    cols: list[np.ndarray] = field(default_factory=list)
    coefs: list[np.ndarray] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def add(self, cols: Iterable[int], coefs: Iterable[float], source: str) -> None:
        self.cols.append(np.asarray(list(cols), dtype=np.int64))
        self.coefs.append(np.asarray(list(coefs), dtype=float))
        self.sources.append(source)

    def matrix(self, n: int) -> sparse.csr_matrix:
        if not self.cols:
            return sparse.csr_matrix((0, n))
        rows = np.concatenate([np.full(len(c), r) for r, c in enumerate(self.cols)])
        return sparse.csr_matrix(
            (np.concatenate(self.coefs), (rows, np.concatenate(self.cols))),
            shape=(len(self.cols), n),
        )

    def keep(self, keep: Sequence[bool]) -> _Rows:
        out = _Rows()
        for c, k, s, ok in zip(self.cols, self.coefs, self.sources, keep, strict=True):
            if ok:
                out.cols.append(c)
                out.coefs.append(k)
                out.sources.append(s)
        return out


class _Model:
    """The attacker's constraints over every entry of every table (published or not)."""

    def __init__(self, tables: Sequence[AuditTable], relations: Relations):
        self.tables = [t for t in tables if t.keys]
        names = [t.name for t in self.tables]
        if len(set(names)) != len(names):
            raise ValueError("two tables share a name; give each table its own name.")
        self.offsets: dict[str, int] = {}
        n = 0
        for t in self.tables:
            self.offsets[t.name] = n
            n += len(t.keys)
        self.n = n
        self.eq = _Rows()
        self.ub = _Rows()
        self.dropped: tuple[str, ...] = ()
        self.floor = np.zeros(n)  # each entry's listing bound
        for t in self.tables:
            self.floor[self._slice(t)] = t.listing_floor()
            self._additivity(t)
        by_population: dict[str, list[AuditTable]] = defaultdict(list)
        for t in self.tables:
            by_population[t.population].append(t)
        for members in by_population.values():
            for i, first in enumerate(members):
                for second in members[i + 1:]:
                    self._link(first, second, relations.lookups)
        for smaller, larger in relations.at_most:
            if by_population.get(smaller) and by_population.get(larger):
                a, b = by_population[smaller][0], by_population[larger][0]
                self.ub.add(
                    [self._grand_total(a), self._grand_total(b)], [1.0, -1.0],
                    f"population bound {smaller} <= {larger}",
                )

    # structure

    def _slice(self, t: AuditTable) -> slice:
        return slice(self.offsets[t.name], self.offsets[t.name] + len(t.keys))

    def _additivity(self, t: AuditTable) -> None:
        """Every total equals the sum of the entries it totals, along each dim."""
        off = self.offsets[t.name]
        index = {k: off + i for i, k in enumerate(t.keys)}
        for d in range(len(t.dims)):
            children: dict[tuple[str, ...], list[int]] = defaultdict(list)
            for key, var in index.items():
                if key[d] != t.total_label:
                    parent = key[:d] + (t.total_label,) + key[d + 1:]
                    children[parent].append(var)
            for parent, members in children.items():
                if parent in index:
                    self.eq.add([*members, index[parent]], [1.0] * len(members) + [-1.0],
                                f"additivity of {t.name}")

    def _grand_total(self, t: AuditTable) -> int:
        grand = (t.total_label,) * len(t.dims)
        return self.offsets[t.name] + t.keys.index(grand)

    def _link(self, a: AuditTable, b: AuditTable, lookups: Sequence[pl.DataFrame]) -> None:
        """Equal sums over every value of the two tables' common coarsening."""
        cells_a = [(i, k) for i, k in enumerate(a.keys) if a.total_label not in k]
        cells_b = [(i, k) for i, k in enumerate(b.keys) if b.total_label not in k]
        parts: list[tuple[int, dict[str, str] | None, int, dict[str, str] | None]] = []
        for da, dim_a in enumerate(a.dims):
            for db, dim_b in enumerate(b.dims):
                if dim_a == dim_b:
                    parts.append((da, None, db, None))
                    continue
                meet = _meet(dim_a, dim_b, lookups,
                             {k[da] for _, k in cells_a}, {k[db] for _, k in cells_b})
                if isinstance(meet, str):
                    self.dropped += (f"shared margin of {a.name} and {b.name}: {meet}",)
                elif meet is not None:
                    parts.append((da, meet[0], db, meet[1]))

        def group(key: tuple[str, ...], side: int) -> tuple[str, ...]:
            out = []
            for da, ma, db, mb in parts:
                d, m = (da, ma) if side == 0 else (db, mb)
                out.append(key[d] if m is None else m[key[d]])
            return tuple(out)

        sums: dict[tuple[str, ...], tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        for i, k in cells_a:
            cols, coefs = sums[group(k, 0)]
            cols.append(self.offsets[a.name] + i)
            coefs.append(1.0)
        for i, k in cells_b:
            cols, coefs = sums[group(k, 1)]
            cols.append(self.offsets[b.name] + i)
            coefs.append(-1.0)
        source = f"shared margin of {a.name} and {b.name}"
        for cols, coefs in sums.values():
            self.eq.add(cols, coefs, source)

    def check_against(self, truth: np.ndarray) -> None:
        """Drop (and remember) every relation and listing the true counts break: it would be
        false."""
        broken = set()
        for rows, is_eq in ((self.eq, True), (self.ub, False)):
            for cols, coefs, source in zip(rows.cols, rows.coefs, rows.sources, strict=True):
                value = float(coefs @ truth[cols])
                if (abs(value) > 0.5) if is_eq else (value > 0.5):
                    broken.add(source)
        for t in self.tables:
            s = self._slice(t)
            if np.any(self.floor[s] > truth[s] + 0.5):
                broken.add(f"how {t.name} lists its labels")
                self.floor[s] = 0.0
        if not broken:
            return
        for source in sorted(broken):
            logger.error(
                "The true counts break the declared relation '%s'; it is left out of the "
                "audit. Check that the tables' labels, the lookups and the listing declared "
                "for each table agree.", source,
            )
        self.eq = self.eq.keep([s not in broken for s in self.eq.sources])
        self.ub = self.ub.keep([s not in broken for s in self.ub.sources])
        self.dropped += tuple(sorted(broken))

    # the pattern

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
        """published (NaN when hidden), a-priori low, high, truth (or None), primary flags."""
        published = np.full(self.n, np.nan)
        low = np.zeros(self.n)
        high = np.full(self.n, np.inf)
        truth = np.zeros(self.n) if all(t.truth is not None for t in self.tables) else None
        primary = np.zeros(self.n, dtype=bool)
        for t in self.tables:
            s = self._slice(t)
            published[s] = [np.nan if v is None else v for v in t.published]
            if t.low is not None:
                low[s] = t.low
            if t.high is not None:
                high[s] = t.high
            if truth is not None:
                truth[s] = t.truth
            if t.primary is not None:
                primary[s] = t.primary
        return published, low, high, truth, primary

    def locate(self, var: int) -> tuple[AuditTable, int]:
        for t in self.tables:
            off = self.offsets[t.name]
            if off <= var < off + len(t.keys):
                return t, var - off
        raise IndexError(var)


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


def _meet(
    dim_a: str,
    dim_b: str,
    lookups: Sequence[pl.DataFrame],
    labels_a: set[str],
    labels_b: set[str],
) -> tuple[dict[str, str], dict[str, str]] | str | None:
    """The common coarsening of two different dims given the lookups that hold both.

    Labels are joined when they occur together in a lookup row; each connected group is one
    value of the coarsening. None when nothing relates them or every label falls in one group.
    When a table has a label the lookups do not list, nothing can be said about it and the
    pair is linked by the grand total only: the reason is returned, for the audit to report
    (the attacker may know what the lookup lacks).
    """
    pairs: set[tuple[str, str]] = set()
    for lookup in lookups:
        if dim_a in lookup.columns and dim_b in lookup.columns:
            rows = lookup.select(pl.col(dim_a).cast(pl.String), pl.col(dim_b).cast(pl.String))
            pairs.update((x, y) for x, y in rows.drop_nulls().unique().iter_rows())
    if not pairs:
        return None
    known_a = {x for x, _ in pairs}
    known_b = {y for _, y in pairs}
    if not labels_a <= known_a or not labels_b <= known_b:
        logger.warning(
            "A table has %s or %s labels the lookup does not list; the audit links those two "
            "dims by their grand total only.", dim_a, dim_b,
        )
        return f"{dim_a} or {dim_b} labels the lookup does not list"
    parent: dict[tuple[int, str], tuple[int, str]] = {}

    def find(node: tuple[int, str]) -> tuple[int, str]:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for x, y in pairs:
        ra, rb = find((0, x)), find((1, y))
        if ra != rb:
            parent[ra] = rb
    roots = {find((0, x)) for x in known_a}
    if len(roots) < 2:
        return None
    name = {root: f"group {n}" for n, root in enumerate(sorted(roots))}
    return (
        {x: name[find((0, x))] for x in known_a},
        {y: name[find((1, y))] for y in known_b},
    )


# --- intervals ------------------------------------------------------------------------------


def _solve(c, a_eq, b_eq, a_ub, b_ub, bounds):
    return linprog(
        c,
        A_eq=a_eq if a_eq.shape[0] else None,
        b_eq=b_eq if a_eq.shape[0] else None,
        A_ub=a_ub if a_ub.shape[0] else None,
        b_ub=b_ub if a_ub.shape[0] else None,
        bounds=bounds,
        method="highs",
    )


@dataclass
class _Component:
    """One independent part of the readers' LPs over hidden entries (published substituted);
    each reader brings its own bounds."""

    variables: np.ndarray  # model variable of each column
    a_eq: sparse.csr_matrix
    b_eq: np.ndarray
    a_ub: sparse.csr_matrix
    b_ub: np.ndarray
    columns: list[tuple]  # each column's coefficients, for grouping identical columns
    table: str  # the table of its first variable, to name in errors

    @property
    def linked(self) -> bool:
        return bool(self.a_eq.shape[0] or self.a_ub.shape[0])

    def bounds(self, low: np.ndarray, high: np.ndarray) -> list[tuple[float, float | None]]:
        return [(float(low[v]), None if np.isinf(high[v]) else float(high[v])) for v in self.variables]

    def signatures(self, bounds) -> list[tuple]:
        """Columns with equal signatures have equal intervals: swapping two of them maps
        solutions to solutions."""
        return [(column, bound) for column, bound in zip(self.columns, bounds, strict=True)]

    def solve(self, c: np.ndarray, bounds, *, extra=None):
        a_eq, a_ub, b_ub = self.a_eq, self.a_ub, self.b_ub
        if extra is not None:  # more variables (after the component's) and <= rows
            extra_ub, extra_b, extra_bounds = extra
            k = extra_ub.shape[1] - a_eq.shape[1]
            a_eq = sparse.hstack([a_eq, sparse.csr_matrix((a_eq.shape[0], k))]).tocsr()
            a_ub = sparse.vstack([
                sparse.hstack([a_ub, sparse.csr_matrix((a_ub.shape[0], k))]), extra_ub,
            ]).tocsr()
            b_ub = np.concatenate([b_ub, extra_b])
            bounds = bounds + extra_bounds
        res = _solve(c, a_eq, self.b_eq, a_ub, b_ub, bounds)
        if res.status not in (0, 3):
            error = _Infeasible if res.status == 2 else AuditError
            raise error(
                f"The audit's LP around table {self.table!r} has no solution ({res.message}); the "
                f"published numbers and the declared relations disagree."
            )
        return res


def _split(model: _Model, published, targets) -> list[tuple[_Component, list[int]]]:
    """The components holding `targets` (hidden variables), each with its targets' columns."""
    hidden = np.flatnonzero(np.isnan(published))
    position = np.full(model.n, -1)
    position[hidden] = np.arange(len(hidden))
    fixed = np.where(np.isnan(published), 0.0, published)
    a_eq_full = model.eq.matrix(model.n)
    a_ub_full = model.ub.matrix(model.n)
    a_eq = a_eq_full[:, hidden].tocsr()
    b_eq = -(a_eq_full @ fixed)
    a_ub = a_ub_full[:, hidden].tocsr()
    b_ub = -(a_ub_full @ fixed)
    live_eq = np.diff(a_eq.indptr) > 0
    live_ub = np.diff(a_ub.indptr) > 0
    if np.any(np.abs(b_eq[~live_eq]) > 0.5) or np.any(b_ub[~live_ub] < -0.5):
        raise AuditError("The published numbers contradict each other: a table does not add "
                         "up, or two tables disagree on a shared margin.")
    a_eq, b_eq = a_eq[live_eq], b_eq[live_eq]
    a_ub, b_ub = a_ub[live_ub], b_ub[live_ub]

    m_eq, m_ub, h = a_eq.shape[0], a_ub.shape[0], len(hidden)
    incidence = sparse.vstack([a_eq, a_ub]).tocoo()
    graph = sparse.coo_matrix(
        (np.ones(incidence.nnz), (incidence.row + h, incidence.col)),
        shape=(h + m_eq + m_ub, h + m_eq + m_ub),
    )
    _, label = connected_components(graph, directed=False)
    var_label, eq_label, ub_label = label[:h], label[h:h + m_eq], label[h + m_eq:]
    a_eq_csc, a_ub_csc = a_eq.tocsc(), a_ub.tocsc()

    wanted: dict[int, list[int]] = defaultdict(list)
    for var in targets:
        if position[var] < 0:
            raise ValueError("asked for the interval of a published entry.")
        wanted[var_label[position[var]]].append(int(position[var]))
    out = []
    for comp, members in wanted.items():
        cols = np.flatnonzero(var_label == comp)
        rows_eq = np.flatnonzero(eq_label == comp)
        rows_ub = np.flatnonzero(ub_label == comp)
        local = {c: n for n, c in enumerate(cols)}
        columns = [
            (tuple(a_eq_csc.indices[a_eq_csc.indptr[c]:a_eq_csc.indptr[c + 1]]),
             tuple(a_eq_csc.data[a_eq_csc.indptr[c]:a_eq_csc.indptr[c + 1]]),
             tuple(a_ub_csc.indices[a_ub_csc.indptr[c]:a_ub_csc.indptr[c + 1]]),
             tuple(a_ub_csc.data[a_ub_csc.indptr[c]:a_ub_csc.indptr[c + 1]]))
            for c in cols
        ]
        component = _Component(
            variables=hidden[cols], a_eq=a_eq[rows_eq][:, cols], b_eq=b_eq[rows_eq],
            a_ub=a_ub[rows_ub][:, cols], b_ub=b_ub[rows_ub], columns=columns,
            table=model.locate(int(hidden[cols[0]]))[0].name,
        )
        out.append((component, [local[m] for m in members]))
    return out


def _extreme(component: _Component, bounds, j: int, sign: float) -> float:
    """min (sign 1) or max (sign -1) of column j."""
    if not component.linked:
        lo, hi = bounds[j]
        return lo if sign > 0 else (np.inf if hi is None else hi)
    c = np.zeros(len(component.variables))
    c[j] = sign
    res = component.solve(c, bounds)
    return np.inf if res.status == 3 else sign * res.fun


def _intervals(parts, low, high, *, lows: bool = True, highs: bool = True,
               may_contradict: bool = False) -> dict[int, tuple[float, float]]:
    """[min, max] of each target (hidden) variable of `parts` for a reader with bounds `low`,
    `high` (NaN where not asked for; both NaN where `may_contradict` and the bounds contradict
    the published numbers).

    Columns with identical coefficients and bounds (e.g. hidden neighbourhoods of one council
    and decile) share their LPs: swapping two of them maps solutions to solutions. The rest is
    batched (`_minima`, `_maxima`).
    """
    result: dict[int, tuple[float, float]] = {}
    for component, members in parts:
        bounds = component.bounds(low, high)
        signatures = component.signatures(bounds)
        first: dict[tuple, int] = {}
        for j in members:
            first.setdefault(signatures[j], j)
        chosen = list(first.values())
        try:
            minimum = _minima(component, bounds, chosen) if lows else {}
            maximum = _maxima(component, bounds, chosen) if highs else {}
        except _Infeasible:
            if not may_contradict:
                raise
            logger.warning("A reader's assumption that no hidden count is 0 contradicts the "
                           "published numbers around table %r; its intervals there are unknown.",
                           component.table)
            minimum = maximum = {j: np.nan for j in chosen}
        for j in members:
            k = first[signatures[j]]
            lo, hi = minimum.get(k, np.nan), maximum.get(k, np.nan)
            result[int(component.variables[j])] = (
                lo if not np.isfinite(lo) else max(0.0, round(lo, 6)),
                hi if not np.isfinite(hi) else round(hi, 6),
            )
    return result


def _minima(component: _Component, bounds, members: list[int]) -> dict[int, float]:
    """min of each member. Batched: one LP minimises the sum of the unsettled members; those
    it leaves at their lower bound have that minimum; repeated while it settles some; the
    rest get their own LP."""
    out: dict[int, float] = {}
    open_ = list(members)
    while component.linked and open_:
        c = np.zeros(len(component.variables))
        c[open_] = 1.0
        res = component.solve(c, bounds)
        if res.status != 0:
            break
        reached = {j for j in open_ if res.x[j] <= bounds[j][0] + _TOL}
        if not reached:
            break
        out.update({j: bounds[j][0] for j in reached})
        open_ = [j for j in open_ if j not in reached]
    out.update({j: _extreme(component, bounds, j, 1.0) for j in open_})
    return out


def _maxima(component: _Component, bounds, members: list[int]) -> dict[int, float]:
    """max of each member. Batched: each member has a simple upper bound, its cap (its a
    priori bound, and for every line whose hidden entries all count the same way, the line's
    value less the other entries' lower bounds); one LP maximises the sum of min(member, cap)
    over the unsettled members, and those it brings to their cap have that maximum; repeated
    while it settles some; the rest get their own LP."""
    if not component.linked:
        return {j: np.inf if bounds[j][1] is None else bounds[j][1] for j in members}
    n = len(component.variables)
    caps = _caps(component, bounds)
    out: dict[int, float] = {}
    open_ = [j for j in members if np.isfinite(caps[j])]
    while len(open_) > 1:
        k = len(open_)
        c = np.concatenate([np.zeros(n), -np.ones(k)])
        rows = sparse.csr_matrix(
            (np.concatenate([np.ones(k), -np.ones(k)]),
             (np.concatenate([np.arange(k), np.arange(k)]),
              np.concatenate([n + np.arange(k), open_]))),
            shape=(k, n + k),
        )
        res = component.solve(c, bounds, extra=(rows, np.zeros(k), [(None, float(caps[j])) for j in open_]))
        if res.status != 0:
            break
        reached = {j for m, j in enumerate(open_) if res.x[n + m] >= caps[j] - _TOL}
        if not reached:
            break
        out.update({j: float(caps[j]) for j in reached})
        open_ = [j for j in open_ if j not in reached]
    out.update({j: _extreme(component, bounds, j, -1.0) for j in members if j not in out})
    return out


def _caps(component: _Component, bounds) -> np.ndarray:
    """A simple upper bound of every column (module docstring of `_maxima`)."""
    low = np.array([b[0] for b in bounds])
    caps = np.array([np.inf if b[1] is None else b[1] for b in bounds])
    for a, b, equal in ((component.a_eq, component.b_eq, True), (component.a_ub, component.b_ub, False)):
        for r in range(a.shape[0]):
            cols = a.indices[a.indptr[r]:a.indptr[r + 1]]
            coefs = a.data[a.indptr[r]:a.indptr[r + 1]]
            if np.all(coefs > 0):
                sign = 1.0
            elif equal and np.all(coefs < 0):
                sign = -1.0
            else:
                continue
            coefs = sign * coefs
            rest = float(coefs @ low[cols]) - coefs * low[cols]
            caps[cols] = np.minimum(caps[cols], (sign * b[r] - rest) / coefs)
    return caps


def _floors(model: _Model, readers: _Readers, high, targets) -> dict[int, float]:
    """The structural minimum of each target: its least value for the listing reader when
    nothing is published (the listing bounds and the relations alone)."""
    if not len(targets):
        return {}
    nothing = np.full(model.n, np.nan)
    found = _intervals(_split(model, nothing, sorted(set(int(t) for t in targets))),
                       readers.listed, high, highs=False)
    return {var: lo for var, (lo, _) in found.items()}


def _lower_failures(component: _Component, bounds, members: list[int], goal: dict[int, float]) -> set[int]:
    """The members whose minimum is above their goal. Checked in batches: one LP minimises the
    sum of the unsettled members (those it brings to their goal reach it), repeated while it
    settles some; what is left gets its own LP."""
    open_ = list(members)
    while component.linked and open_:
        c = np.zeros(len(component.variables))
        c[open_] = 1.0
        res = component.solve(c, bounds)
        reached = {j for j in open_ if res.x[j] <= goal[j] + _TOL}
        if not reached:
            break
        open_ = [j for j in open_ if j not in reached]
    return {j for j in open_ if _extreme(component, bounds, j, 1.0) > goal[j] + _TOL}


def _upper_failures(component: _Component, bounds, members: list[int], threshold: int) -> set[int]:
    """The members whose maximum is below the threshold. Checked in batches: one LP maximises
    the sum of min(member, threshold) (those it brings to the threshold reach it), repeated
    while it settles some; what is left gets its own LP."""
    n = len(component.variables)
    open_ = list(members)
    while component.linked and open_:
        k = len(open_)
        c = np.concatenate([np.zeros(n), -np.ones(k)])
        rows = sparse.csr_matrix(
            (np.concatenate([np.ones(k), -np.ones(k)]),
             (np.concatenate([np.arange(k), np.arange(k)]),
              np.concatenate([n + np.arange(k), open_]))),
            shape=(k, n + k),
        )
        res = component.solve(c, bounds, extra=(rows, np.zeros(k), [(0.0, float(threshold))] * k))
        if res.status == 3:
            break
        reached = {j for m, j in enumerate(open_) if res.x[n + m] >= threshold - _TOL}
        if not reached:
            break
        open_ = [j for j in open_ if j not in reached]
    return {j for j in open_ if _extreme(component, bounds, j, -1.0) < threshold - _TOL}


def _unprotected(model: _Model, published, readers: _Readers, high, targets, floors: dict[int, float],
                 threshold: int) -> dict[int, list[str]]:
    """The targets that fail a condition of the protection rule, with the conditions."""
    failing: dict[int, list[str]] = defaultdict(list)
    for component, members in _split(model, published, sorted(set(targets))):
        var = component.variables
        checks = (
            (_REACHES_ZERO, readers.blind, {j: 0.0 for j in members}),
            (_REACHES_FLOOR, readers.listed, {j: floors[int(var[j])] for j in members}),
        )
        for condition, low, goal in checks:
            if condition == _REACHES_FLOOR and np.array_equal(readers.listed, readers.blind) \
                    and not any(goal.values()):
                continue  # the same check as the LP reader's
            for j in _lower_failures(component, component.bounds(low, high), members, goal):
                failing[int(var[j])].append(condition)
        try:
            short = _upper_failures(component, component.bounds(readers.informed, high), members, threshold)
        except _Infeasible:  # the belief contradicts what is published: the reader knows less
            short = _upper_failures(component, component.bounds(readers.listed, high), members, threshold)
        for j in short:
            failing[int(var[j])].append(_REACHES_THRESHOLD)
    return failing


# --- audit ----------------------------------------------------------------------------------


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
    first and primary entries are judged against the protection rule (module docstring). The
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
        intervals.append(HiddenInterval(
            table=t.name, key=t.keys[i], low=blind[v][0], high=blind[v][1],
            primary=None if t.primary is None else bool(primary[var]),
            truth=None if t.truth is None else int(t.truth[i]),
            floor=floors[v], listed_low=listed[v][0], listed_high=listed[v][1],
            informed_low=informed[v][0], informed_high=informed[v][1],
        ))
    small = tuple(
        (t.name, k)
        for t in model.tables
        for k, v in zip(t.keys, t.published, strict=True)
        if v is not None and 0 < v < threshold
    )
    result = AuditResult(
        intervals=tuple(intervals), threshold=threshold,
        cpu_seconds=time.process_time() - started, published_small=small,
        dropped_relations=model.dropped,
    )
    logger.info(
        "Audited %d tables together: %d hidden entries, %d primary, %d unprotected, %d exactly "
        "recoverable by some reader (%.2f s CPU).", len(model.tables), len(intervals),
        len(result.primary), len(result.unprotected), len(result.told_exactly), result.cpu_seconds,
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


# --- complementary suppression across tables ----------------------------------------------


@dataclass(frozen=True)
class Protection:
    """What `protect_together` changed, as (table, key) pairs in order, and the final audit."""

    hidden: tuple[tuple[str, tuple[str, ...]], ...]
    revealed: tuple[tuple[str, tuple[str, ...]], ...]
    audit: AuditResult


def protect_together(
    tables: Sequence[LinkedTable],
    relations: Relations = Relations(),
    *,
    threshold: int = 5,
    max_rounds: int = 5,
) -> Protection:
    """Hide more entries until every primary entry of every table is protected when all
    tables are read together, by every reader; audit them; then publish again every secondary
    entry the published numbers fix exactly (it protects nothing and hides nothing: the
    attacker computes it anyway). The returned audit is of the tables as they are left."""
    hidden_now: list[tuple[str, tuple[str, ...]]] = []
    by_name = {t.name: t for t in tables}
    floors: dict[int, float] | None = None
    for _ in range(max_rounds):
        model = _Model([t.for_audit() for t in tables], relations)
        published, low, high, truth, primary = model.arrays()
        model.check_against(truth)
        readers = _readers(model, published, low)
        if floors is None:  # the structure is the same every round
            floors = _floors(model, readers, high, np.flatnonzero(primary))
        failing = _unprotected(model, published, readers, high,
                               np.flatnonzero(primary & np.isnan(published)), floors, threshold)
        if not failing:
            break
        logger.info("%d primary entries are not protected across tables; hiding more.",
                    len(failing))
        hidden = np.isnan(published)
        a_eq = model.eq.matrix(model.n)
        a_ub = model.ub.matrix(model.n)
        # What each condition's change must respect: that reader's bounds, with every entry it
        # moves hidden (the informed reader then takes it to be at least 1, as it takes every
        # hidden entry, zeros included). Where that belief contradicts the published numbers
        # the reader falls back to the listing reader's bounds, and so does the change.
        kept_at = {
            _REACHES_ZERO: [readers.blind],
            _REACHES_FLOOR: [readers.listed],
            _REACHES_THRESHOLD: [
                np.where(hidden, readers.informed, np.maximum(readers.listed, np.minimum(truth, 1.0))),
                readers.listed,
            ],
        }
        for var in sorted(failing):
            for condition in failing[var]:
                target = {_REACHES_ZERO: 0.0, _REACHES_FLOOR: floors[var],
                          _REACHES_THRESHOLD: float(threshold)}[condition]
                for n, bound in enumerate(kept_at[condition]):
                    try:
                        change = _cheapest_change(a_eq, a_ub, hidden, truth, var, target - truth[var],
                                                  bound, model)
                        break
                    except _Infeasible:
                        if n == len(kept_at[condition]) - 1:
                            raise
                for moved in change:
                    t, i = model.locate(moved)
                    by_name[t.name].table.hide(t.keys[i])
                    hidden[moved] = True
                    hidden_now.append((t.name, t.keys[i]))
    else:
        raise AuditError(
            f"Complementary suppression did not protect every primary entry in {max_rounds} rounds."
        )
    result = audit([t.for_audit() for t in tables], relations, threshold=threshold)
    # A secondary entry the LP reader fixes exactly is published: the set of tables each reader
    # finds consistent with what is published stays the same, so every interval stays as it is.
    revealed = []
    for interval in result.intervals:
        if not interval.primary and interval.exact:
            by_name[interval.table].table.reveal(interval.key)
            revealed.append((interval.table, interval.key))
    if revealed:
        gone = set(revealed)
        result = replace(result, intervals=tuple(
            i for i in result.intervals if (i.table, i.key) not in gone))
    if hidden_now or revealed:
        logger.info("Across tables: %d more entries hidden, %d secondary entries published "
                    "again (fixed exactly by the others).", len(hidden_now), len(revealed))
    return Protection(hidden=tuple(hidden_now), revealed=tuple(revealed), audit=result)


def _cheapest_change(a_eq, a_ub, hidden, truth, var, shift, kept_at, model) -> list[int]:
    """Published entries to hide so that `var` can move by `shift` with every relation kept
    and every entry at or above `kept_at`.

    Variables: y for hidden entries (y >= kept_at - truth, above 0 for a hidden zero the
    informed reader takes to be at least 1), and y = u - v for published ones with u, v >= 0 and
    v <= truth - kept_at, at cost (count + 1) per unit; `var`'s y is fixed to `shift`. Published zeros are left alone (u = 0) unless nothing else can move it: zeros
    are published, so a hidden zero is one a reader would wrongly take to be non-zero.
    """
    if abs(shift) < _TOL:
        return []
    hid = np.flatnonzero(hidden)
    pub = np.flatnonzero(~hidden)
    cost = truth[pub] + 1.0
    slack = np.maximum(truth - kept_at, 0.0)
    rise = kept_at - truth  # the least change of each hidden entry
    n_h, n_p = len(hid), len(pub)

    def split(a):
        a = a.tocsc()
        return sparse.hstack([a[:, hid], a[:, pub], -a[:, pub]]).tocsr()

    c = np.concatenate([np.zeros(n_h), cost, cost])
    at = int(np.flatnonzero(hid == var)[0])
    for zeros_too in (False, True):
        bounds = [(float(rise[h]), None) for h in hid]
        bounds += [(0, None if zeros_too or truth[p] > 0 else 0) for p in pub]
        bounds += [(0, slack[p]) for p in pub]
        bounds[at] = (shift, shift)
        res = _solve(c, split(a_eq), np.zeros(a_eq.shape[0]), split(a_ub), -(a_ub @ truth), bounds)
        if res.status == 0:
            break
    if res.status != 0:
        table, _ = model.locate(var)
        raise _Infeasible(
            f"No complementary suppression can protect an entry of table {table.name!r} "
            f"({res.message})."
        )
    moved = np.abs(res.x[n_h:n_h + n_p] - res.x[n_h + n_p:]) > 1e-7
    return [int(p) for p in pub[moved]]


def summary_table(result: AuditResult) -> str:
    """A markdown table per table: hidden and primary entries, narrowest intervals (primary:
    the protection interval; other: the best-informed reader's)."""
    per: dict[str, list[HiddenInterval]] = defaultdict(list)
    for i in result.intervals:
        per[i.table].append(i)
    lines = ["| table | hidden | primary | narrowest primary | lowest primary upper end | narrowest other |",
             "| --- | --- | --- | --- | --- | --- |"]
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
