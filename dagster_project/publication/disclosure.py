"""Statistical disclosure control (SDC) for published count tables.

What this does, in plain words
------------------------------
A table of counts (for example victims by council and age band) can identify people when a
number is small: "2 victims aged 10-17 in Dover" may be enough for a reader who knows one of
them to learn the rest. `protect` takes the full table of true counts, adds the totals, and
hides ("suppresses") numbers so that no small count can be read off or worked out.

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

Totals are always computed from the true counts and then suppressed; they are never
recomputed from published cells. Rates use the true counts and are hidden with their count.

What is published
-----------------
Only whether an entry is hidden (`suppressed`), never why. A label saying "primary" tells the
reader the hidden number is 1 to 4, and with the totals that pinned hidden cells exactly
(issue 10, finding 5). The status stays inside `SuppressedTable` for the audit
(`dagster_project.publication.audit`), which is never written.

Limits, honestly
----------------
This is a greedy method for one table. It guarantees that no hidden number can be recovered
exactly from this one table by subtraction along rows and columns, or by sums and differences
of its lines. It is not optimal: it may hide more than the minimum needed. On its own it does
not guarantee a wide protection interval (a hidden 3 paired with a hidden 0 is known to be
between 0 and 3), nor protection against linear programming across several linked tables
published from the same data, nor against a reader who knows that a label a table lists occurs
(its row or margin is at least 1) or that a hidden count is not 0 (zeros are published). These
are the job of `dagster_project.publication.audit`, which audits all tables together, as those
readers too, and hides more cells until every small count's protection interval runs from its
structural minimum to at least the threshold.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import polars as pl

logger = logging.getLogger(__name__)

PRIMARY = "primary"
SECONDARY = "secondary"

# Status codes in the suppression matrix.
_PUBLISHED = 0
_PRIMARY = 1
_SECONDARY = 2


@dataclass(frozen=True)
class _Grid:
    """The full table with its margins as one matrix.

    Two-way: `values` is (rows + 1) x (cols + 1); the last row holds the column totals, the
    last column the row totals, the corner the grand total. One-way: `values` is
    1 x (cells + 1) with the grand total last. Labels are sorted, so position order is the
    dims' sort order.
    """

    dims: tuple[str, ...]
    row_labels: tuple[str, ...]  # one-way: the single dim's labels
    col_labels: tuple[str, ...]  # one-way: empty
    values: np.ndarray

    @property
    def two_way(self) -> bool:
        return len(self.dims) == 2

    @property
    def n_cells(self) -> int:
        """Cells of the table, margins not counted."""
        return len(self.row_labels) * max(len(self.col_labels), 1)


class SuppressedTable:
    """A table of true counts with its margins and each entry's suppression status.

    It holds the true counts, so it is never written: `frame()` (or `publish`) gives what may
    be published. Entries are in output order: the cells sorted by the dims, then the totals
    (a two-way table row by row, each row's total last, the column totals and grand total in
    the last row). `hide` adds a complementary suppression found by the cross-table audit;
    `reveal` publishes a secondary one the audit found to be fixed exactly anyway.
    """

    def __init__(self, grid: _Grid, status: np.ndarray, *, total_label: str, threshold: int):
        self._grid = grid
        self._status = status
        self.total_label = total_label
        self.threshold = threshold
        if grid.two_way:
            rows = (*grid.row_labels, total_label)
            cols = (*grid.col_labels, total_label)
            self._keys = [(r, c) for r in rows for c in cols]
            self._positions = [(i, j) for i in range(len(rows)) for j in range(len(cols))]
        else:
            self._keys = [(label,) for label in (*grid.row_labels, total_label)]
            self._positions = [(0, j) for j in range(len(grid.row_labels) + 1)]
        self._index = {key: n for n, key in enumerate(self._keys)}

    @property
    def dims(self) -> tuple[str, ...]:
        return self._grid.dims

    @property
    def keys(self) -> list[tuple[str, ...]]:
        """Each entry's labels, one per dim (the total label for a margin)."""
        return list(self._keys)

    @property
    def values(self) -> list[int]:
        """Each entry's true count."""
        return [int(self._grid.values[p]) for p in self._positions]

    @property
    def statuses(self) -> list[str | None]:
        """Each entry's status: PRIMARY (a true count below the threshold), SECONDARY or None."""
        names = {_PUBLISHED: None, _PRIMARY: PRIMARY, _SECONDARY: SECONDARY}
        return [names[int(self._status[p])] for p in self._positions]

    @property
    def hidden(self) -> list[bool]:
        return [bool(self._status[p] != _PUBLISHED) for p in self._positions]

    def hide(self, key: tuple[str, ...]) -> bool:
        """Suppress the entry at `key` as a complementary (secondary) suppression.

        Returns False when it was hidden already. Raises KeyError for a key not in the table.
        """
        position = self._positions[self._index[tuple(key)]]
        if self._status[position] != _PUBLISHED:
            return False
        self._status[position] = _SECONDARY
        return True

    def reveal(self, key: tuple[str, ...]) -> bool:
        """Publish a secondary suppression again (the audit found the published numbers fix it
        exactly, so showing it tells nobody anything new). A primary one is never revealed."""
        position = self._positions[self._index[tuple(key)]]
        if self._status[position] != _SECONDARY:
            return False
        self._status[position] = _PUBLISHED
        return True

    def frame(self, *, count: str = "count") -> pl.DataFrame:
        """The publishable table: dims, `count` (null when hidden), `suppressed`, `is_total`."""
        return _to_frame(self._grid, self._status, count=count, total_label=self.total_label)


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
        " x ".join(dims), grid.n_cells, threshold, int((status == _PRIMARY).sum()),
        int((status == _SECONDARY).sum()), status.size,
    )
    return SuppressedTable(grid, status, total_label=total_label, threshold=threshold)


def publish(
    table: SuppressedTable,
    *,
    count: str = "count",
    denominators: pl.DataFrame | None = None,
    denominator: str = "residents",
    per: int = 1000,
) -> pl.DataFrame:
    """The publishable frame of a suppressed table, with rates per `per` where `denominators`
    (keyed by all or some of the dims) are given. Hidden counts have no rate."""
    _check_options(threshold=table.threshold, per=per, total_label=table.total_label)
    clashing = [d for d in table.dims if d in (denominator, f"rate_per_{per}")]
    if clashing:
        raise ValueError(
            f"dim column {clashing[0]!r} clashes with an output column name; rename it."
        )
    frame = table.frame(count=count)
    if denominators is None:
        return frame
    return _add_rates(
        frame, table._grid, denominators, count=count, denominator=denominator, per=per,
        total_label=table.total_label,
    )


def protect(
    counts: pl.DataFrame,
    dims: Sequence[str],
    *,
    count: str = "count",
    threshold: int = 5,
    denominators: pl.DataFrame | None = None,
    denominator: str = "residents",
    per: int = 1000,
    total_label: str = "Total",
    suppress_zeros: bool = False,
) -> pl.DataFrame:
    """Add margins to a one- or two-way count table and suppress what could disclose people.

    `counts` has one row per cell, keyed by the String columns `dims`; missing combinations
    are counted as 0. Returns the cells followed by their totals (sorted by the dims, totals
    last) with columns: the dims, `count` (Int64, null when suppressed), `suppressed` and
    `is_total`; never why a count is hidden. With `denominators` (keyed by all or some of the
    dims) it also has the denominator column and `rate_per_{per}`. This protects one table on
    its own; tables published together go through `publication.audit` as well. See the module
    docstring for the method and its limits.
    """
    _check_options(threshold=threshold, per=per, total_label=total_label)
    table = suppress(
        counts, dims, count=count, threshold=threshold, total_label=total_label,
        suppress_zeros=suppress_zeros,
    )
    return publish(table, count=count, denominators=denominators, denominator=denominator, per=per)


# --- input checks -------------------------------------------------------------------------


def _check_dims(dims: Sequence[str], counts: pl.DataFrame, count: str) -> tuple[str, ...]:
    if not isinstance(counts, pl.DataFrame):
        raise TypeError(f"counts must be a polars DataFrame, got {type(counts).__name__}.")
    if isinstance(dims, str) or not all(isinstance(d, str) for d in dims):
        raise ValueError(f"dims must be a list of one or two column names, got {dims!r}.")
    dims = tuple(dims)
    if not 1 <= len(dims) <= 2:
        raise ValueError(
            f"protect handles one- or two-way tables; got {len(dims)} dims {list(dims)!r}."
        )
    if len(set(dims)) != len(dims):
        raise ValueError(f"dims name the same column twice: {list(dims)!r}.")
    reserved = {count, "suppressed", "is_total"}
    clashing = [d for d in dims if d in reserved]
    if clashing:
        raise ValueError(
            f"dim column {clashing[0]!r} clashes with an output column name; rename it."
        )
    missing = [c for c in (*dims, count) if c not in counts.columns]
    if missing:
        raise ValueError(
            f"counts has no column {missing[0]!r}; its columns are {counts.columns!r}."
        )
    for d in dims:
        if counts.schema[d] != pl.String:
            raise ValueError(
                f"dim column {d!r} must be String, got {counts.schema[d]}; cast it first."
            )
    if not counts.schema[count].is_integer():
        raise ValueError(
            f"count column {count!r} must hold integers, got {counts.schema[count]}."
        )
    return dims


def _check_options(*, threshold: int, per: int, total_label: str) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ValueError(f"threshold must be a positive integer, got {threshold!r}.")
    if isinstance(per, bool) or not isinstance(per, int) or per < 1:
        raise ValueError(f"per must be a positive integer, got {per!r}.")
    if not isinstance(total_label, str) or not total_label:
        raise ValueError(f"total_label must be a non-empty string, got {total_label!r}.")


def _check_keys(frame: pl.DataFrame, keys: tuple[str, ...], total_label: str, what: str) -> None:
    """No null keys, no key equal to the total label, no duplicate keys."""
    for d in keys:
        if frame[d].null_count():
            raise ValueError(f"{what} column {d!r} has {frame[d].null_count()} null value(s).")
        if (frame[d] == total_label).any():
            raise ValueError(
                f"{what} column {d!r} holds the value {total_label!r}, which is the total "
                f"label; pass a different total_label or rename that value."
            )
    duplicated = frame.filter(pl.struct(list(keys)).is_duplicated())
    if duplicated.height:
        first = duplicated.row(0, named=True)
        raise ValueError(
            f"{what} has {duplicated.height} rows for repeated keys, e.g. "
            f"{ {d: first[d] for d in keys} }; give one row per cell."
        )


# --- the grid -----------------------------------------------------------------------------


def _build_grid(
    counts: pl.DataFrame, dims: tuple[str, ...], count: str, total_label: str
) -> _Grid:
    if counts.height == 0:
        raise ValueError("counts is empty; there is no table to protect.")
    frame = counts.select(*dims, pl.col(count).cast(pl.Int64))
    _check_keys(frame, dims, total_label, "counts")
    if frame[count].null_count():
        bad = frame.filter(pl.col(count).is_null()).row(0, named=True)
        raise ValueError(
            f"count column {count!r} has {frame[count].null_count()} null value(s), e.g. at "
            f"{ {d: bad[d] for d in dims} }; use 0 for an empty cell."
        )
    negative = frame.filter(pl.col(count) < 0)
    if negative.height:
        bad = negative.row(0, named=True)
        raise ValueError(
            f"count column {count!r} has negative count {bad[count]} at "
            f"{ {d: bad[d] for d in dims} }."
        )

    labels = [tuple(sorted(frame[d].unique().to_list())) for d in dims]
    position = [{label: i for i, label in enumerate(ls)} for ls in labels]
    n_cells = int(np.prod([len(ls) for ls in labels]))
    if n_cells > frame.height:
        logger.info(
            "counts has %d of the %d cells of the %s grid; the other %d are counted as 0.",
            frame.height, n_cells, " x ".join(dims), n_cells - frame.height,
        )

    if len(dims) == 1:
        cells = np.zeros((1, len(labels[0])), dtype=np.int64)
        for label, value in frame.iter_rows():
            cells[0, position[0][label]] = value
        values = np.hstack([cells, cells.sum(axis=1, keepdims=True)])
        return _Grid(dims, labels[0], (), values)

    cells = np.zeros((len(labels[0]), len(labels[1])), dtype=np.int64)
    for row_label, col_label, value in frame.iter_rows():
        cells[position[0][row_label], position[1][col_label]] = value
    with_row_totals = np.hstack([cells, cells.sum(axis=1, keepdims=True)])
    values = np.vstack([with_row_totals, with_row_totals.sum(axis=0, keepdims=True)])
    return _Grid(dims, labels[0], labels[1], values)


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


# --- suppression --------------------------------------------------------------------------


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


def _complete_lines(
    values: np.ndarray, status: np.ndarray, lines: list[list[tuple[int, int]]]
) -> None:
    """Until stable, give every line with exactly one suppressed entry a second one."""
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(status[p] != _PUBLISHED for p in line) == 1:
                status[_pick_complement(values, status, line)] = _SECONDARY
                changed = True


def _pick_complement(
    values: np.ndarray, status: np.ndarray, line: list[tuple[int, int]]
) -> tuple[int, int]:
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
    adjacency: dict[int, list[tuple[int, tuple[int, int]]]] = {
        node: [] for node in range(n_rows + n_cols)
    }
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
        and (
            (i in row_side and n_rows + j in col_side)
            or (i in col_side and n_rows + j in row_side)
        )
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


# --- output -------------------------------------------------------------------------------


def _to_frame(grid: _Grid, status: np.ndarray, *, count: str, total_label: str) -> pl.DataFrame:
    keys: list[tuple[str, ...]] = []
    positions: list[tuple[int, int]] = []
    if grid.two_way:
        for i, row_label in enumerate((*grid.row_labels, total_label)):
            for j, col_label in enumerate((*grid.col_labels, total_label)):
                keys.append((row_label, col_label))
                positions.append((i, j))
    else:
        for j, label in enumerate((*grid.row_labels, total_label)):
            keys.append((label,))
            positions.append((0, j))

    hidden = [bool(status[p] != _PUBLISHED) for p in positions]
    columns: dict[str, list] = {d: [k[n] for k in keys] for n, d in enumerate(grid.dims)}
    columns[count] = [None if h else int(grid.values[p]) for p, h in zip(positions, hidden)]
    columns["suppressed"] = hidden
    columns["is_total"] = [total_label in k for k in keys]
    schema = {
        **{d: pl.String for d in grid.dims},
        count: pl.Int64,
        "suppressed": pl.Boolean,
        "is_total": pl.Boolean,
    }
    return pl.DataFrame(columns, schema=schema)


# --- denominators and rates ---------------------------------------------------------------


def _add_rates(
    table: pl.DataFrame,
    grid: _Grid,
    denominators: pl.DataFrame,
    *,
    count: str,
    denominator: str,
    per: int,
    total_label: str,
) -> pl.DataFrame:
    """Join each entry's denominator and its rate per `per`.

    `denominators` is keyed by all dims (one denominator per cell) or by some of them (e.g.
    residents per council only). An entry gets a denominator when it is at the keys' level or
    coarser: the sum over the key combinations it covers, and only if every one of them has a
    denominator. Entries finer than the keys (cells, when keyed by council alone) get null.
    """
    keys = _check_denominators(denominators, grid.dims, denominator, total_label)
    labels = dict(zip(grid.dims, (grid.row_labels, grid.col_labels), strict=False))
    full = pl.DataFrame({keys[0]: list(labels[keys[0]])})
    for d in keys[1:]:
        full = full.join(pl.DataFrame({d: list(labels[d])}), how="cross")
    supplied = denominators.select(*keys, pl.col(denominator).cast(pl.Int64))
    unmatched = supplied.join(full, on=list(keys), how="anti")
    if unmatched.height:
        logger.warning(
            "%d denominator row(s) match no cell of the table and are ignored, e.g. %s.",
            unmatched.height, unmatched.select(keys).row(0, named=True),
        )
    full = full.join(supplied, on=list(keys), how="left")

    all_present = pl.when(pl.col(denominator).null_count() == 0).then(
        pl.col(denominator).sum()
    )
    levels = []
    for size in range(len(keys) + 1):
        for level in combinations(keys, size):
            summed = (
                full.group_by(list(level)).agg(all_present.alias(denominator))
                if level
                else full.select(all_present.alias(denominator))
            )
            levels.append(
                summed.with_columns(
                    pl.lit(total_label, dtype=pl.String).alias(d)
                    for d in grid.dims
                    if d not in level
                ).select(*grid.dims, pl.col(denominator).cast(pl.Int64))
            )
    by_entry = pl.concat(levels)

    rate = f"rate_per_{per}"
    return (
        table.join(by_entry, on=list(grid.dims), how="left", maintain_order="left")
        .with_columns(
            pl.when(pl.col(denominator) > 0)
            .then(pl.col(count) * per / pl.col(denominator))
            .round(1, mode="half_away_from_zero")
            .cast(pl.Float64)
            .alias(rate)
        )
    )


def _check_denominators(
    denominators: pl.DataFrame, dims: tuple[str, ...], denominator: str, total_label: str
) -> tuple[str, ...]:
    if not isinstance(denominators, pl.DataFrame):
        raise TypeError(
            f"denominators must be a polars DataFrame, got {type(denominators).__name__}."
        )
    if denominator not in denominators.columns:
        raise ValueError(
            f"denominators has no column {denominator!r}; its columns are "
            f"{denominators.columns!r}."
        )
    keys = tuple(d for d in dims if d in denominators.columns)
    if not keys:
        raise ValueError(
            f"denominators must be keyed by at least one of the dims {list(dims)!r}; its "
            f"columns are {denominators.columns!r}."
        )
    extra = [c for c in denominators.columns if c not in (*keys, denominator)]
    if extra:
        raise ValueError(
            f"denominators has column(s) {extra!r} that are neither dims nor {denominator!r}; "
            f"select only the key columns and the denominator."
        )
    for d in keys:
        if denominators.schema[d] != pl.String:
            raise ValueError(
                f"denominators column {d!r} must be String, got {denominators.schema[d]}."
            )
    if not denominators.schema[denominator].is_integer():
        raise ValueError(
            f"denominator column {denominator!r} must hold integers, got "
            f"{denominators.schema[denominator]}."
        )
    _check_keys(denominators, keys, total_label, "denominators")
    negative = denominators.filter(pl.col(denominator) < 0)
    if negative.height:
        bad = negative.row(0, named=True)
        raise ValueError(
            f"denominator column {denominator!r} has negative value {bad[denominator]} at "
            f"{ {d: bad[d] for d in keys} }."
        )
    return keys
