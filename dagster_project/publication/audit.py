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
  assault attendance is a victimisation, so those totals are at most the victimisations'.

For each hidden entry they solve two linear programmes: the smallest and the largest value it
can take such that every published number is what it is, every table adds up (cells to row,
column and grand totals), every shared margin agrees, every population bound holds and no
count is negative. That [min, max] is the entry's feasible interval; an interval of width 0
recovers it exactly (finding 5 of issue 10 did this with the published "primary" labels, which
are no longer published). The solver is HiGHS through `scipy.optimize.linprog`.

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

The protection rule
-------------------
A primary-suppressed entry (true count 1 to threshold-1, totals included) is protected when
its interval reaches from 0 to at least the threshold: an attacker cannot tell it from an
empty cell nor from a publishable one. This is sdcTable's protection check (`csp_cpp` in
sdcTable's R/helper_functions.r: protected when low <= value - LPL, up >= value + UPL and
up - low >= SPL) with LPL = value, UPL = threshold - value and SPL = threshold. Every other
hidden entry's interval is reported too. Published counts from 1 to threshold-1 fail the audit.

Complementary suppression across tables (`protect_together`)
------------------------------------------------------------
After each table's own suppression (`disclosure.suppress`), the primary entries are audited
together. For each one that fails, two small LPs look for the cheapest way to move it, with
every hidden entry free: a change y of all entries with y = 0 on every relation (tables still
add up, shared margins still agree), the entry moved to the threshold (then to 0), no count
below 0, and cost sum((count + 1) * |y|) over published entries, so the smallest counts go
first, in its own lines or across a shared margin. The published entries it moves are hidden.
Then the other counts are a second table the attacker cannot rule out, so the entry is
protected; hiding more never narrows an interval, so entries protected earlier stay
protected, one pass protects every entry, and a final audit confirms it. A table whose cells
are all small gets its total hidden this way when nothing cheaper protects them. Last, a
secondary entry the published numbers fix exactly (say a complement chosen in one table whose
value another table's margins give away) protects nothing; it is published again, which
changes no interval: the set of tables consistent with what is published stays the same. So
after `protect_together` no hidden entry can be recovered exactly, and no line of a table has
exactly one hidden entry. A primary entry is never published, nor anything below the
threshold (every count from 1 to threshold-1 is primary).

Limits, honestly
----------------
The attacker is the LP relaxation, as in sdcTable and tau-Argus: an attacker solving integer
programmes could in principle narrow an interval by less than 1 where the LP's optimum is
fractional (with the tables here, sums of counts with unit coefficients, the extreme values are
integers in every case we measured). The audit does not use what the suppression method
itself reveals: zeros are published, so a reader who knows that can assume a hidden count is
usually not 0; the interval then starts at 1 rather than 0 but still reaches the threshold, so
a small count still cannot be told from a publishable one. Relations the publisher does not
declare (a table from another year, a count published elsewhere) are not modelled.
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


class AuditError(RuntimeError):
    """The published numbers and the declared relations cannot all be true together."""


@dataclass(frozen=True)
class AuditTable:
    """One table as the audit sees it: every entry (cells and totals) with its published
    count, None when hidden.

    `truth` (each entry's true count) and `primary` (each entry's primary-suppression flag)
    are the publisher's knowledge, None for an attacker. `low` and `high` are bounds an
    attacker holds a priori on hidden entries (e.g. 1 to 4 from a published "primary" label);
    by default 0 and no bound.
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

    @classmethod
    def from_suppressed(cls, name: str, population: str, table: SuppressedTable) -> AuditTable:
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
                   total_label=total_label)


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
    """A hidden entry's feasible interval given every published number."""

    table: str
    key: tuple[str, ...]
    low: float
    high: float
    primary: bool | None = None
    truth: int | None = None

    @property
    def width(self) -> float:
        return self.high - self.low

    @property
    def exact(self) -> bool:
        return self.width < _TOL

    def protected(self, threshold: int) -> bool:
        return self.low <= _TOL and self.high >= threshold - _TOL


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
        return [i for i in self.intervals if i.exact]

    @property
    def passed(self) -> bool:
        return not self.unprotected and not self.published_small and not self.dropped_relations

    def narrowest(self, *, primary: bool) -> HiddenInterval | None:
        chosen = [i for i in self.intervals if bool(i.primary) == primary]
        return min(chosen, key=lambda i: (i.width, i.table, i.key), default=None)

    def summary(self) -> dict[str, object]:
        """Figures that explain the verdict, without any true count."""
        narrow_p = self.narrowest(primary=True)
        narrow_o = self.narrowest(primary=False)
        return {
            "hidden_cells": len(self.intervals),
            "primary_cells": len(self.primary),
            "unprotected_primary_cells": len(self.unprotected),
            "exactly_recoverable_cells": len(self.exact),
            "published_cells_below_threshold": len(self.published_small),
            "narrowest_primary_width": None if narrow_p is None else round(narrow_p.width, 3),
            "narrowest_primary_table": None if narrow_p is None else narrow_p.table,
            "narrowest_other_width": None if narrow_o is None else round(narrow_o.width, 3),
            "narrowest_other_table": None if narrow_o is None else narrow_o.table,
            "dropped_relations": list(self.dropped_relations),
            "cpu_seconds": round(self.cpu_seconds, 3),
        }


@dataclass(frozen=True)
class LinkedTable:
    """A suppressed table with its name and population, for `protect_together`."""

    name: str
    population: str
    table: SuppressedTable

    def for_audit(self) -> AuditTable:
        return AuditTable.from_suppressed(self.name, self.population, self.table)


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
        for t in self.tables:
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
        """Drop (and remember) every relation the true counts break: it would be false."""
        broken = set()
        for rows, is_eq in ((self.eq, True), (self.ub, False)):
            for cols, coefs, source in zip(rows.cols, rows.coefs, rows.sources, strict=True):
                value = float(coefs @ truth[cols])
                if (abs(value) > 0.5) if is_eq else (value > 0.5):
                    broken.add(source)
        if not broken:
            return
        for source in sorted(broken):
            logger.error(
                "The true counts break the declared relation '%s'; it is left out of the "
                "audit. Check that the tables' labels and the lookups agree.", source,
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
            s = slice(self.offsets[t.name], self.offsets[t.name] + len(t.keys))
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
    """One independent part of the attacker's LP over hidden entries (published substituted)."""

    variables: np.ndarray  # model variable of each column
    a_eq: sparse.csr_matrix
    b_eq: np.ndarray
    a_ub: sparse.csr_matrix
    b_ub: np.ndarray
    bounds: list[tuple[float, float | None]]
    signatures: list[tuple]  # columns with equal signatures have equal intervals

    def solve(self, c: np.ndarray, *, model: _Model, extra=None):
        a_eq, a_ub, b_ub, bounds = self.a_eq, self.a_ub, self.b_ub, self.bounds
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
            table, _ = model.locate(int(self.variables[0]))
            raise AuditError(
                f"The audit's LP around table {table.name!r} has no solution ({res.message}); the "
                f"published numbers and the declared relations disagree."
            )
        return res


def _components(model: _Model, published, low, high, targets) -> list[tuple[_Component, list[int]]]:
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
        bounds = [(float(low[hidden[c]]), None if np.isinf(high[hidden[c]]) else float(high[hidden[c]]))
                  for c in cols]
        signatures = [
            (tuple(a_eq_csc.indices[a_eq_csc.indptr[c]:a_eq_csc.indptr[c + 1]]),
             tuple(a_eq_csc.data[a_eq_csc.indptr[c]:a_eq_csc.indptr[c + 1]]),
             tuple(a_ub_csc.indices[a_ub_csc.indptr[c]:a_ub_csc.indptr[c + 1]]),
             tuple(a_ub_csc.data[a_ub_csc.indptr[c]:a_ub_csc.indptr[c + 1]]),
             bounds[local[c]])
            for c in cols
        ]
        component = _Component(
            variables=hidden[cols], a_eq=a_eq[rows_eq][:, cols], b_eq=b_eq[rows_eq],
            a_ub=a_ub[rows_ub][:, cols], b_ub=b_ub[rows_ub], bounds=bounds, signatures=signatures,
        )
        out.append((component, [local[m] for m in members]))
    return out


def _extreme(component: _Component, j: int, sign: float, model: _Model) -> float:
    """min (sign 1) or max (sign -1) of column j."""
    if not component.a_eq.shape[0] and not component.a_ub.shape[0]:
        lo, hi = component.bounds[j]
        return lo if sign > 0 else (np.inf if hi is None else hi)
    c = np.zeros(len(component.variables))
    c[j] = sign
    res = component.solve(c, model=model)
    return np.inf if res.status == 3 else sign * res.fun


def _intervals(model: _Model, published, low, high, targets) -> dict[int, tuple[float, float]]:
    """[min, max] of each target (hidden) variable given the published ones.

    Published values are substituted and the rest split into independent components. One LP
    per component minimises the sum of its targets: every target it leaves at its lower bound
    has that bound as its minimum. Columns with identical coefficients and bounds (e.g. hidden
    neighbourhoods of one council and decile) share their LPs: swapping two of them maps
    solutions to solutions.
    """
    result: dict[int, tuple[float, float]] = {}
    for component, members in _components(model, published, low, high, sorted(set(targets))):
        minimum: dict[int, float] = {}
        if component.a_eq.shape[0] or component.a_ub.shape[0]:
            c = np.zeros(len(component.variables))
            c[members] = 1.0
            res = component.solve(c, model=model)
            if res.status == 0:
                for j in members:
                    if res.x[j] <= component.bounds[j][0] + _TOL:
                        minimum[j] = component.bounds[j][0]
        by_signature: dict[tuple, tuple[float, float]] = {}
        for j in members:
            signature = component.signatures[j]
            if signature not in by_signature:
                lo = minimum.get(j)
                if lo is None:
                    lo = _extreme(component, j, 1.0, model)
                hi = _extreme(component, j, -1.0, model)
                by_signature[signature] = (max(0.0, round(lo, 6)), hi if np.isinf(hi) else round(hi, 6))
            result[int(component.variables[j])] = by_signature[signature]
    return result


def _unprotected(model: _Model, published, low, high, targets, threshold: int) -> list[int]:
    """The targets whose interval does not reach from 0 to `threshold`.

    Checked in batches: one LP per component minimises the sum of the unchecked targets (those
    it leaves at 0 reach 0), one maximises the sum of min(target, threshold) (those it brings
    to the threshold reach it), repeated while they settle some; what is left gets its own LP.
    """
    failing = []
    for component, members in _components(model, published, low, high, sorted(set(targets))):
        n = len(component.variables)
        linked = bool(component.a_eq.shape[0] or component.a_ub.shape[0])
        low_open = list(members)
        while linked and low_open:
            c = np.zeros(n)
            c[low_open] = 1.0
            res = component.solve(c, model=model)
            reached = [j for j in low_open if res.x[j] <= _TOL]
            if not reached:
                break
            low_open = [j for j in low_open if j not in reached]
        failing_here = {j for j in low_open if _extreme(component, j, 1.0, model) > _TOL}
        high_open = [j for j in members if j not in failing_here]
        while linked and high_open:
            k = len(high_open)
            c = np.concatenate([np.zeros(n), -np.ones(k)])
            rows = sparse.csr_matrix(
                (np.concatenate([np.ones(k), -np.ones(k)]),
                 (np.concatenate([np.arange(k), np.arange(k)]),
                  np.concatenate([n + np.arange(k), high_open]))),
                shape=(k, n + k),
            )
            res = component.solve(c, model=model, extra=(rows, np.zeros(k), [(0.0, float(threshold))] * k))
            if res.status == 3:
                break
            reached = [j for m, j in enumerate(high_open) if res.x[n + m] >= threshold - _TOL]
            if not reached:
                break
            high_open = [j for j in high_open if j not in reached]
        failing_here |= {j for j in high_open if _extreme(component, j, -1.0, model) < threshold - _TOL}
        failing.extend(int(component.variables[j]) for j in sorted(failing_here))
    return failing


# --- audit ----------------------------------------------------------------------------------


def audit(
    tables: Sequence[AuditTable], relations: Relations = Relations(), *, threshold: int = 5
) -> AuditResult:
    """Every hidden entry's feasible interval given every published number of every table.

    With the truth (the publisher's audit) the relations are checked against it first and
    primary entries are judged against the protection rule (module docstring).
    """
    started = time.process_time()
    model = _Model(tables, relations)
    published, low, high, truth, primary = model.arrays()
    if truth is not None:
        model.check_against(truth)
    hidden = np.flatnonzero(np.isnan(published))
    found = _intervals(model, published, low, high, hidden)
    intervals = []
    for var in hidden:
        t, i = model.locate(int(var))
        lo, hi = found[int(var)]
        intervals.append(HiddenInterval(
            table=t.name, key=t.keys[i], low=lo, high=hi,
            primary=None if t.primary is None else bool(primary[var]),
            truth=None if t.truth is None else int(t.truth[i]),
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
        "recoverable (%.2f s CPU).", len(model.tables), len(intervals), len(result.primary),
        len(result.unprotected), len(result.exact), result.cpu_seconds,
    )
    return result


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
    tables are read together; audit them; then publish again every secondary entry the
    published numbers fix exactly (it protects nothing and hides nothing: the attacker
    computes it anyway). The returned audit is of the tables as they are left."""
    hidden_now: list[tuple[str, tuple[str, ...]]] = []
    by_name = {t.name: t for t in tables}
    for _ in range(max_rounds):
        model = _Model([t.for_audit() for t in tables], relations)
        published, low, high, truth, primary = model.arrays()
        model.check_against(truth)
        failing = _unprotected(model, published, low, high,
                               np.flatnonzero(primary & np.isnan(published)), threshold)
        if not failing:
            break
        logger.info("%d primary entries are not protected across tables; hiding more.",
                    len(failing))
        hidden = np.isnan(published)
        a_eq = model.eq.matrix(model.n)
        a_ub = model.ub.matrix(model.n)
        for var in failing:
            for shift in (threshold - truth[var], -truth[var]):
                for moved in _cheapest_change(a_eq, a_ub, hidden, truth, int(var), shift, model):
                    t, i = model.locate(moved)
                    by_name[t.name].table.hide(t.keys[i])
                    hidden[moved] = True
                    hidden_now.append((t.name, t.keys[i]))
    else:
        raise AuditError(
            f"Complementary suppression did not protect every primary entry in {max_rounds} rounds."
        )
    result = audit([t.for_audit() for t in tables], relations, threshold=threshold)
    # A secondary entry fixed exactly by the published numbers is published: the set of tables
    # consistent with what is published stays the same, so every other interval stays as it is.
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


def _cheapest_change(a_eq, a_ub, hidden, truth, var, shift, model) -> list[int]:
    """Published entries to hide so that `var` can move by `shift` with every relation kept.

    Variables: y for hidden entries (y >= -truth), and y = u - v for published ones with
    u, v >= 0 and v <= truth, at cost (count + 1) per unit; `var`'s y is fixed to `shift`.
    """
    if abs(shift) < _TOL:
        return []
    hid = np.flatnonzero(hidden)
    pub = np.flatnonzero(~hidden)
    cost = truth[pub] + 1.0
    n_h, n_p = len(hid), len(pub)

    def split(a):
        a = a.tocsc()
        return sparse.hstack([a[:, hid], a[:, pub], -a[:, pub]]).tocsr()

    c = np.concatenate([np.zeros(n_h), cost, cost])
    bounds = [(-truth[h], None) for h in hid]
    bounds += [(0, None)] * n_p + [(0, truth[p]) for p in pub]
    at = int(np.flatnonzero(hid == var)[0])
    bounds[at] = (shift, shift)
    res = _solve(c, split(a_eq), np.zeros(a_eq.shape[0]), split(a_ub), -(a_ub @ truth), bounds)
    if res.status != 0:
        table, _ = model.locate(var)
        raise AuditError(
            f"No complementary suppression can protect an entry of table {table.name!r} "
            f"({res.message})."
        )
    moved = np.abs(res.x[n_h:n_h + n_p] - res.x[n_h + n_p:]) > 1e-7
    return [int(p) for p in pub[moved]]


def summary_table(result: AuditResult) -> str:
    """A markdown table per table: hidden and primary entries, narrowest intervals."""
    per: dict[str, list[HiddenInterval]] = defaultdict(list)
    for i in result.intervals:
        per[i.table].append(i)
    lines = ["| table | hidden | primary | narrowest primary | narrowest other |",
             "| --- | --- | --- | --- | --- |"]
    for name in sorted(per):
        items = per.get(name, [])
        prim = [i.width for i in items if i.primary]
        other = [i.width for i in items if not i.primary]
        lines.append(
            f"| {name} | {len(items)} | {len(prim)} | "
            f"{_fmt(min(prim)) if prim else '-'} | {_fmt(min(other)) if other else '-'} |"
        )
    return "\n".join(lines)


def _fmt(width: float) -> str:
    return "unbounded" if np.isinf(width) else f"{width:g}"
