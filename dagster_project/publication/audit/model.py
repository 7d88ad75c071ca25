"""The attacker's constraints (`_Model`): one variable per entry of every table, every total the
sum of what it totals, every margin two tables share equal, every population bound.

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
The readers (`audit.readers`) only add bounds on table entries, which both formulations
share, so they give the same intervals too (tests/test_publication_attacks.py checks the
joint attacker).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy import sparse

from dagster_project.publication.audit.tables import AuditTable, Relations

logger = logging.getLogger(__name__)


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
                for second in members[i + 1 :]:
                    self._link(first, second, relations.lookups)
        for smaller, larger in relations.at_most:
            if by_population.get(smaller) and by_population.get(larger):
                a, b = by_population[smaller][0], by_population[larger][0]
                self.ub.add(
                    [self._grand_total(a), self._grand_total(b)],
                    [1.0, -1.0],
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
                    parent = key[:d] + (t.total_label,) + key[d + 1 :]
                    children[parent].append(var)
            for parent, members in children.items():
                if parent in index:
                    self.eq.add([*members, index[parent]], [1.0] * len(members) + [-1.0], f"additivity of {t.name}")

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
                meet = _meet(dim_a, dim_b, lookups, {k[da] for _, k in cells_a}, {k[db] for _, k in cells_b})
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
                "for each table agree.",
                source,
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
            "dims by their grand total only.",
            dim_a,
            dim_b,
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
