"""The audit's inputs: each table as the audit sees it (`AuditTable`; `LinkedTable` for
`protect_together`), what is public about how tables relate (`Relations`), and the errors raised
when the published numbers and the declared relations cannot all be true together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from dagster_project.publication.disclosure import PRIMARY, SuppressedTable

TOTAL = "Total"
_TOL = 1e-6


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
                raise ValueError(f"table {self.name!r}: {name} has {len(value)} entries for {n} keys.")
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
            (d, label)
            for key in self.keys
            for d, label in enumerate(key)
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
        return cls(
            name,
            population,
            dims,
            keys,
            published,
            low=low,
            high=high,
            total_label=total_label,
            listed_always=listed_always,
        )


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
class LinkedTable:
    """A suppressed table with its name, population and listing, for `protect_together`."""

    name: str
    population: str
    table: SuppressedTable
    listed_always: tuple[frozenset[str], ...] | None = None

    def for_audit(self) -> AuditTable:
        return AuditTable.from_suppressed(self.name, self.population, self.table, listed_always=self.listed_always)
