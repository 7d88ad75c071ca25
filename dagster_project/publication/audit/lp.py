"""The readers' linear programmes over the hidden entries, with the published ones substituted.

The model's rows are split into independent parts (`_split`: hidden entries joined by a row
they share), so each LP is small; every reader brings its own bounds to the same part. The
solver is HiGHS through `scipy.optimize.linprog`. Most entries are settled in batches, one LP
for many of them (`_minima`, `_maxima`, and the protection rule's checks `_lower_failures`,
`_upper_failures`); the rest get an LP of their own (`_extreme`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from dagster_project.publication.audit.model import _Model
from dagster_project.publication.audit.tables import _TOL, AuditError, _Infeasible

logger = logging.getLogger(__name__)


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
            a_ub = sparse.vstack(
                [
                    sparse.hstack([a_ub, sparse.csr_matrix((a_ub.shape[0], k))]),
                    extra_ub,
                ]
            ).tocsr()
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
        raise AuditError(
            "The published numbers contradict each other: a table does not add "
            "up, or two tables disagree on a shared margin."
        )
    a_eq, b_eq = a_eq[live_eq], b_eq[live_eq]
    a_ub, b_ub = a_ub[live_ub], b_ub[live_ub]

    m_eq, m_ub, h = a_eq.shape[0], a_ub.shape[0], len(hidden)
    incidence = sparse.vstack([a_eq, a_ub]).tocoo()
    graph = sparse.coo_matrix(
        (np.ones(incidence.nnz), (incidence.row + h, incidence.col)),
        shape=(h + m_eq + m_ub, h + m_eq + m_ub),
    )
    _, label = connected_components(graph, directed=False)
    var_label, eq_label, ub_label = label[:h], label[h : h + m_eq], label[h + m_eq :]
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
            (
                tuple(a_eq_csc.indices[a_eq_csc.indptr[c] : a_eq_csc.indptr[c + 1]]),
                tuple(a_eq_csc.data[a_eq_csc.indptr[c] : a_eq_csc.indptr[c + 1]]),
                tuple(a_ub_csc.indices[a_ub_csc.indptr[c] : a_ub_csc.indptr[c + 1]]),
                tuple(a_ub_csc.data[a_ub_csc.indptr[c] : a_ub_csc.indptr[c + 1]]),
            )
            for c in cols
        ]
        component = _Component(
            variables=hidden[cols],
            a_eq=a_eq[rows_eq][:, cols],
            b_eq=b_eq[rows_eq],
            a_ub=a_ub[rows_ub][:, cols],
            b_ub=b_ub[rows_ub],
            columns=columns,
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


def _intervals(
    parts, low, high, *, lows: bool = True, highs: bool = True, may_contradict: bool = False
) -> dict[int, tuple[float, float]]:
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
            logger.warning(
                "A reader's assumption that no hidden count is 0 contradicts the "
                "published numbers around table %r; its intervals there are unknown.",
                component.table,
            )
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
            (
                np.concatenate([np.ones(k), -np.ones(k)]),
                (np.concatenate([np.arange(k), np.arange(k)]), np.concatenate([n + np.arange(k), open_])),
            ),
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
            cols = a.indices[a.indptr[r] : a.indptr[r + 1]]
            coefs = a.data[a.indptr[r] : a.indptr[r + 1]]
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
            (
                np.concatenate([np.ones(k), -np.ones(k)]),
                (np.concatenate([np.arange(k), np.arange(k)]), np.concatenate([n + np.arange(k), open_])),
            ),
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
