"""Complementary suppression across tables (`protect_together`): hide more entries until every
small count is protected when all tables are read together.

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

The conditions 1 to 3 are those of the protection rule (`audit.result`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

from dagster_project.publication.audit.lp import _lower_failures, _solve, _split, _upper_failures
from dagster_project.publication.audit.model import _Model
from dagster_project.publication.audit.readers import _floors, _Readers, _readers, audit
from dagster_project.publication.audit.result import AuditResult
from dagster_project.publication.audit.tables import _TOL, AuditError, LinkedTable, Relations, _Infeasible

logger = logging.getLogger(__name__)

# The conditions of the protection rule (`audit.result`), as `protect_together` names them.
_REACHES_ZERO = "LP reader's lower end reaches 0"
_REACHES_FLOOR = "listing reader's lower end reaches the structural minimum"
_REACHES_THRESHOLD = "informed reader's upper end reaches the threshold"


def _unprotected(
    model: _Model, published, readers: _Readers, high, targets, floors: dict[int, float], threshold: int
) -> dict[int, list[str]]:
    """The targets that fail a condition of the protection rule, with the conditions."""
    failing: dict[int, list[str]] = defaultdict(list)
    for component, members in _split(model, published, sorted(set(targets))):
        var = component.variables
        checks = (
            (_REACHES_ZERO, readers.blind, {j: 0.0 for j in members}),
            (_REACHES_FLOOR, readers.listed, {j: floors[int(var[j])] for j in members}),
        )
        for condition, low, goal in checks:
            if condition == _REACHES_FLOOR and np.array_equal(readers.listed, readers.blind) and not any(goal.values()):
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
        failing = _unprotected(
            model, published, readers, high, np.flatnonzero(primary & np.isnan(published)), floors, threshold
        )
        if not failing:
            break
        logger.info("%d primary entries are not protected across tables; hiding more.", len(failing))
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
                target = {_REACHES_ZERO: 0.0, _REACHES_FLOOR: floors[var], _REACHES_THRESHOLD: float(threshold)}[
                    condition
                ]
                for n, bound in enumerate(kept_at[condition]):
                    try:
                        change = _cheapest_change(a_eq, a_ub, hidden, truth, var, target - truth[var], bound, model)
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
        raise AuditError(f"Complementary suppression did not protect every primary entry in {max_rounds} rounds.")
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
        result = replace(result, intervals=tuple(i for i in result.intervals if (i.table, i.key) not in gone))
    if hidden_now or revealed:
        logger.info(
            "Across tables: %d more entries hidden, %d secondary entries published "
            "again (fixed exactly by the others).",
            len(hidden_now),
            len(revealed),
        )
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
        raise _Infeasible(f"No complementary suppression can protect an entry of table {table.name!r} ({res.message}).")
    moved = np.abs(res.x[n_h : n_h + n_p] - res.x[n_h + n_p :]) > 1e-7
    return [int(p) for p in pub[moved]]
