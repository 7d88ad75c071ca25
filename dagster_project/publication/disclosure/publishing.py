"""What may be published of a suppressed table: its frame, with rates where denominators are
given (`publish`); `protect` suppresses and publishes in one call. Rates use the true counts and
are hidden with their count.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from itertools import combinations

import polars as pl

from dagster_project.publication.disclosure.checks import _check_denominators, _check_options
from dagster_project.publication.disclosure.suppression import suppress
from dagster_project.publication.disclosure.table import SuppressedTable, _Grid

logger = logging.getLogger(__name__)


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
        raise ValueError(f"dim column {clashing[0]!r} clashes with an output column name; rename it.")
    frame = table.frame(count=count)
    if denominators is None:
        return frame
    return _add_rates(
        frame,
        table._grid,
        denominators,
        count=count,
        denominator=denominator,
        per=per,
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
    its own; tables published together go through `publication.audit` as well. See the `disclosure`
    package docstring for the method and its limits.
    """
    _check_options(threshold=threshold, per=per, total_label=total_label)
    table = suppress(
        counts,
        dims,
        count=count,
        threshold=threshold,
        total_label=total_label,
        suppress_zeros=suppress_zeros,
    )
    return publish(table, count=count, denominators=denominators, denominator=denominator, per=per)


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
            unmatched.height,
            unmatched.select(keys).row(0, named=True),
        )
    full = full.join(supplied, on=list(keys), how="left")

    all_present = pl.when(pl.col(denominator).null_count() == 0).then(pl.col(denominator).sum())
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
                    pl.lit(total_label, dtype=pl.String).alias(d) for d in grid.dims if d not in level
                ).select(*grid.dims, pl.col(denominator).cast(pl.Int64))
            )
    by_entry = pl.concat(levels)

    rate = f"rate_per_{per}"
    return table.join(by_entry, on=list(grid.dims), how="left", maintain_order="left").with_columns(
        pl.when(pl.col(denominator) > 0)
        .then(pl.col(count) * per / pl.col(denominator))
        .round(1, mode="half_away_from_zero")
        .cast(pl.Float64)
        .alias(rate)
    )
