"""Input checks for `suppress` and `publish`: each error names the column, the value and the
remedy, before any table is built."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl


def _check_dims(dims: Sequence[str], counts: pl.DataFrame, count: str) -> tuple[str, ...]:
    if not isinstance(counts, pl.DataFrame):
        raise TypeError(f"counts must be a polars DataFrame, got {type(counts).__name__}.")
    if isinstance(dims, str) or not all(isinstance(d, str) for d in dims):
        raise ValueError(f"dims must be a list of one or two column names, got {dims!r}.")
    dims = tuple(dims)
    if not 1 <= len(dims) <= 2:
        raise ValueError(f"protect handles one- or two-way tables; got {len(dims)} dims {list(dims)!r}.")
    if len(set(dims)) != len(dims):
        raise ValueError(f"dims name the same column twice: {list(dims)!r}.")
    reserved = {count, "suppressed", "is_total"}
    clashing = [d for d in dims if d in reserved]
    if clashing:
        raise ValueError(f"dim column {clashing[0]!r} clashes with an output column name; rename it.")
    missing = [c for c in (*dims, count) if c not in counts.columns]
    if missing:
        raise ValueError(f"counts has no column {missing[0]!r}; its columns are {counts.columns!r}.")
    for d in dims:
        if counts.schema[d] != pl.String:
            raise ValueError(f"dim column {d!r} must be String, got {counts.schema[d]}; cast it first.")
    if not counts.schema[count].is_integer():
        raise ValueError(f"count column {count!r} must hold integers, got {counts.schema[count]}.")
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


def _check_denominators(
    denominators: pl.DataFrame, dims: tuple[str, ...], denominator: str, total_label: str
) -> tuple[str, ...]:
    if not isinstance(denominators, pl.DataFrame):
        raise TypeError(f"denominators must be a polars DataFrame, got {type(denominators).__name__}.")
    if denominator not in denominators.columns:
        raise ValueError(f"denominators has no column {denominator!r}; its columns are {denominators.columns!r}.")
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
            raise ValueError(f"denominators column {d!r} must be String, got {denominators.schema[d]}.")
    if not denominators.schema[denominator].is_integer():
        raise ValueError(
            f"denominator column {denominator!r} must hold integers, got {denominators.schema[denominator]}."
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
