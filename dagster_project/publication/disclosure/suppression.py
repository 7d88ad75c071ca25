"""Choosing what to hide in one table (`suppress`).

1. Primary suppression. Every published number, totals included, that is above zero but below
   the threshold (1 to 4 with the default threshold of 5) is hidden.
2. Secondary (complementary) suppression. Hiding one number is not enough when the total is
   published: total minus the other cells gives it back. So along every line of the table
   (a row with its row total, a column with its column total, the row totals with the grand
   total, the column totals with the grand total; in a one-way table the cells with the
   total) either nothing is hidden or at least two entries are. When a line has exactly one
   hidden entry, the smallest non-zero published cell in that line is hidden as well (ties go
   to the first in sorted order); a zero is used only when no non-zero cell is left, and the
   line's total only when no cell at all is left. This repeats across rows and columns until
   every line is safe.
3. Combined lines. Adding and subtracting several rows and columns together can still pin
   down a hidden cell that links two separate groups of hidden cells. Such a cell is found and
   one more cell that joins the two groups is hidden (again the smallest non-zero one). After
   this no hidden number can be worked out exactly from the published numbers of the table by
   any sums and differences.

Zeros are published as 0 and are not suppressed by default. A zero is usually a structural or
true zero, publishing it is common practice in UK official statistics, and hiding every zero
hides a lot of the table for little gain. But a zero can disclose something: a row whose count
all falls in one cell tells the reader that everyone in that row shares that cell's attribute.
Pass `suppress_zeros=True` to treat zeros as primary suppressions where that matters.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence

import numpy as np
import polars as pl

from dagster_project.publication.disclosure.checks import _check_dims, _check_options
from dagster_project.publication.disclosure.table import (
    _PRIMARY,
    _PUBLISHED,
    _SECONDARY,
    SuppressedTable,
    _build_grid,
    _Grid,
)

logger = logging.getLogger(__name__)


def suppress(
    counts: pl.DataFrame,
    dims: Sequence[str],
    *,
    count: str = "count",
    threshold: int = 5,
    total_label: str = "Total",
    suppress_zeros: bool = False,
) -> SuppressedTable:
    """Add margins to a one- or two-way count table and choose what to hide (steps 1 to 3 of
    the module docstring). `counts` has one row per cell, keyed by the String columns `dims`;
    missing combinations are counted as 0."""
    dims = _check_dims(dims, counts, count)
    _check_options(threshold=threshold, per=1, total_label=total_label)
    grid = _build_grid(counts, dims, count, total_label)
    status = _suppress(grid, threshold=threshold, suppress_zeros=suppress_zeros)
    logger.info(
        "Protected a %s table of %d cells plus margins (threshold %d): %d primary and %d "
        "secondary suppressions out of %d published entries.",
        " x ".join(dims),
        grid.n_cells,
        threshold,
        int((status == _PRIMARY).sum()),
        int((status == _SECONDARY).sum()),
        status.size,
    )
    return SuppressedTable(grid, status, total_label=total_label, threshold=threshold)


def _lines(grid: _Grid) -> list[list[tuple[int, int]]]:
    """Every line as its positions, total last: cells of a line sum to its total.

    Two-way: every row and every column of the matrix, margins included (the last row is
    column totals + grand total, the last column row totals + grand total).
    """
    n_rows, n_cols = grid.values.shape
    rows = [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
    if not grid.two_way:
        return rows
    return rows + [[(i, j) for i in range(n_rows)] for j in range(n_cols)]


def _suppress(grid: _Grid, *, threshold: int, suppress_zeros: bool) -> np.ndarray:
    values = grid.values
    primary = (values > 0) & (values < threshold)
    if suppress_zeros:
        primary |= values == 0
    status = np.where(primary, _PRIMARY, _PUBLISHED).astype(np.int8)

    lines = _lines(grid)
    _complete_lines(values, status, lines)
    if grid.two_way:
        while (bridge := _first_bridge(status)) is not None:
            _join_across(values, status, bridge)
            _complete_lines(values, status, lines)
    return status


def _complete_lines(values: np.ndarray, status: np.ndarray, lines: list[list[tuple[int, int]]]) -> None:
    """Until stable, give every line with exactly one suppressed entry a second one."""
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(status[p] != _PUBLISHED for p in line) == 1:
                status[_pick_complement(values, status, line)] = _SECONDARY
                changed = True


def _pick_complement(values: np.ndarray, status: np.ndarray, line: list[tuple[int, int]]) -> tuple[int, int]:
    """The smallest non-zero published cell; else the first zero cell; else the total."""
    cells = [p for p in line[:-1] if status[p] == _PUBLISHED]
    non_zero = [p for p in cells if values[p] > 0]
    if non_zero:
        return min(non_zero, key=lambda p: (values[p], p))
    if cells:
        return cells[0]
    return line[-1]


def _first_bridge(status: np.ndarray) -> tuple[int, int] | None:
    """The first suppressed entry (in row-major order) that lies on no cycle of suppressed entries.

    Think of rows and columns of the matrix (margins included) as nodes and each suppressed
    entry as an edge between its row and its column. Every line is an equation over its
    entries, so the hidden values are fixed up to flows around cycles of this graph: an entry
    on no cycle (a bridge) can be worked out exactly by adding and subtracting lines.
    """
    n_rows, n_cols = status.shape
    adjacency: dict[int, list[tuple[int, tuple[int, int]]]] = {node: [] for node in range(n_rows + n_cols)}
    for i, j in zip(*np.nonzero(status), strict=True):
        edge = (int(i), int(j))
        adjacency[edge[0]].append((n_rows + edge[1], edge))
        adjacency[n_rows + edge[1]].append((edge[0], edge))

    discovered: dict[int, int] = {}
    low: dict[int, int] = {}
    bridges: list[tuple[int, int]] = []
    for root in adjacency:
        if root in discovered:
            continue
        discovered[root] = low[root] = len(discovered)
        stack = [(root, None, iter(adjacency[root]))]
        while stack:
            node, via, neighbours = stack[-1]
            for neighbour, edge in neighbours:
                if edge == via:
                    continue
                if neighbour in discovered:
                    low[node] = min(low[node], discovered[neighbour])
                else:
                    discovered[neighbour] = low[neighbour] = len(discovered)
                    stack.append((neighbour, edge, iter(adjacency[neighbour])))
                    break
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > discovered[parent]:
                        bridges.append(via)
    return min(bridges) if bridges else None


def _join_across(values: np.ndarray, status: np.ndarray, bridge: tuple[int, int]) -> None:
    """Suppress one more entry that puts `bridge` on a cycle: smallest non-zero first."""
    n_rows, n_cols = status.shape
    row_side = _reachable(status, start=bridge[0], skip=bridge)
    col_side = _reachable(status, start=n_rows + bridge[1], skip=bridge)
    candidates = [
        (i, j)
        for i in range(n_rows)
        for j in range(n_cols)
        if status[i, j] == _PUBLISHED
        and ((i in row_side and n_rows + j in col_side) or (i in col_side and n_rows + j in row_side))
    ]
    if not candidates:  # cannot happen once every line has 0 or >= 2 suppressed entries
        raise RuntimeError(f"No entry can protect the suppressed entry at position {bridge}.")
    status[min(candidates, key=lambda p: (values[p] == 0, values[p], p))] = _SECONDARY


def _reachable(status: np.ndarray, *, start: int, skip: tuple[int, int]) -> set[int]:
    """Nodes (rows 0..n_rows-1, then columns) joined to `start` by suppressed entries but `skip`."""
    n_rows = status.shape[0]
    seen = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node < n_rows:
            nexts = [n_rows + int(j) for j in np.nonzero(status[node])[0] if (node, int(j)) != skip]
        else:
            col = node - n_rows
            nexts = [int(i) for i in np.nonzero(status[:, col])[0] if (int(i), col) != skip]
        for n in nexts:
            if n not in seen:
                seen.add(n)
                queue.append(n)
    return seen
