"""The full table with its margins as one matrix (`_Grid`), each entry's suppression status
(`SuppressedTable`), and the publishable frame made from them.

Totals are always computed from the true counts and then suppressed; they are never
recomputed from published cells.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import polars as pl

from dagster_project.publication.disclosure.checks import _check_keys

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


def _build_grid(counts: pl.DataFrame, dims: tuple[str, ...], count: str, total_label: str) -> _Grid:
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
        raise ValueError(f"count column {count!r} has negative count {bad[count]} at { {d: bad[d] for d in dims} }.")

    labels = [tuple(sorted(frame[d].unique().to_list())) for d in dims]
    position = [{label: i for i, label in enumerate(ls)} for ls in labels]
    n_cells = int(np.prod([len(ls) for ls in labels]))
    if n_cells > frame.height:
        logger.info(
            "counts has %d of the %d cells of the %s grid; the other %d are counted as 0.",
            frame.height,
            n_cells,
            " x ".join(dims),
            n_cells - frame.height,
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
    columns[count] = [None if h else int(grid.values[p]) for p, h in zip(positions, hidden, strict=True)]
    columns["suppressed"] = hidden
    columns["is_total"] = [total_label in k for k in keys]
    schema = {
        **{d: pl.String for d in grid.dims},
        count: pl.Int64,
        "suppressed": pl.Boolean,
        "is_total": pl.Boolean,
    }
    return pl.DataFrame(columns, schema=schema)
