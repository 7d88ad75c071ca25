"""Attack the published aggregates of a warehouse as an outsider would, and say what it got.

    python -m dagster_project.tools.publication_attack --warehouse warehouse/analyst.duckdb
    python -m dagster_project.tools.publication_attack --warehouse warehouse/veru.duckdb --rebuild

The attacker reads every published table (`aggregates.*`: counts, `suppressed`, totals) and the
public lookups (`reference.lsoa`, the calendar), knows which tables count the same people, and
bounds every hidden count by linear programming over all tables together
(`publication.audit`), as three readers: the LP reader; the listing reader, who also knows how
each table lists its labels (a label a table groups by occurs); the informed reader, who also
takes every hidden count to be at least 1 (zeros are published). With `--use-labels` they also
read the `suppression` column that older versions published ("primary" = 1 to 4), as in
finding 5 of issue 10. With `--rebuild` the tables are first rebuilt from the warehouse's
cohort tables with the current code (in memory, nothing is written), to compare with what an
older version published.

When the warehouse holds the cohort tables, the true counts are recomputed to score the attack:
hidden counts recovered exactly (and whether that equals the truth), small counts (1 to 4) a
reader can tell are small (their upper end below 5) and those that fail the protection rule,
the narrowest intervals. It prints figures about the tables, never a true count of a hidden
cell.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb
import numpy as np

from dagster_project import warehouse
from dagster_project.publication import aggregates
from dagster_project.publication.audit import AuditResult, AuditTable, audit
from dagster_project.publication.disclosure import suppress

logger = logging.getLogger(__name__)


def truth(con: duckdb.DuckDBPyConnection) -> dict[str, dict[tuple[str, ...], int]]:
    """Every entry's true count (cells and totals) per table, from the cohort tables."""
    out = {}
    for p in aggregates.PUBLICATIONS:
        frame = aggregates.counts(con, p)
        if frame.is_empty():
            continue
        table = suppress(frame, list(p.dims))
        out[p.name] = dict(zip(table.keys, table.values, strict=True))
    return out


def score(result: AuditResult, true: dict[str, dict[tuple[str, ...], int]] | None, threshold: int) -> dict:
    """What the attack achieved, in figures."""
    exact = result.exact
    figures: dict[str, object] = {
        "hidden": len(result.intervals),
        "recovered_exactly": len(exact),
        "recovered_exactly_by_some_reader": len(result.told_exactly),
        "attack_cpu_seconds": round(result.cpu_seconds, 2),
    }
    if true is None:
        return figures
    known = [(i, true.get(i.table, {}).get(i.key)) for i in result.intervals]
    small = [i for i, v in known if v is not None and 0 < v < threshold]
    other = [i for i, v in known if v is not None and not 0 < v < threshold]
    figures["recovered_exactly_and_true"] = sum(
        1 for i in result.told_exactly if abs(i.informed[0] - true.get(i.table, {}).get(i.key, -1)) < 1e-6
    )
    figures["hidden_zero"] = sum(1 for _, v in known if v == 0)
    figures["small_hidden"] = len(small)
    figures["small_not_protected"] = sum(1 for i in small if not i.protected(threshold))
    readers = {"lp": lambda i: (i.low, i.high), "listing": lambda i: i.listed, "informed": lambda i: i.informed}
    for name, interval in readers.items():
        unknown = name == "listing" and any(i.listed_high is None or np.isnan(i.listed_high) for i in small)
        figures[f"small_told_small_by_{name}_reader"] = (
            None if unknown else sum(1 for i in small if interval(i)[1] < threshold - 1e-6)
        )  # None: the audit was run without the listing reader's upper ends
    for name, chosen, width in (
        ("small_lp", small, lambda i: i.width),
        ("small_protection", small, lambda i: i.protection_width),
        ("other_lp", other, lambda i: i.width),
        ("other_informed", other, lambda i: i.informed[1] - i.informed[0]),
    ):
        narrow = min(chosen, key=lambda i: (width(i), i.table, i.key), default=None)
        figures[f"narrowest_{name}_width"] = None if narrow is None else width(narrow)
        figures[f"narrowest_{name}_table"] = None if narrow is None else narrow.table
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--warehouse",
        required=True,
        type=Path,
        help="a DuckDB file with aggregates.* (the warehouse or the analyst snapshot)",
    )
    parser.add_argument(
        "--use-labels", action="store_true", help="also read a published `suppression` column (primary = 1 to 4)"
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="rebuild the tables from the cohort tables with the current code first"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not args.warehouse.is_file():
        print(f"No such file: {args.warehouse}", file=sys.stderr)
        return 2
    threshold = aggregates.MIN_PUBLISHED_COUNT
    with warehouse.connect(args.warehouse, read_only=True) as con:
        warehouse.define_macros(con)
        has_cohorts = warehouse.table_exists(con, "cohorts.victims")
        links = aggregates.relations(con)
        if args.rebuild:
            if not has_cohorts:
                print("--rebuild needs the cohort tables (the warehouse, not the snapshot).", file=sys.stderr)
                return 2
            started = time.process_time()
            release = aggregates.publish_all(con)
            publish_cpu = time.process_time() - started
            tables = [
                AuditTable.from_frame(
                    p.name, p.population, p.dims, frame, listed_always=p.listed_always(frame.select(p.dims).iter_rows())
                )
                for p, frame in release.tables.items()
                if frame.height
            ]
        else:
            release = None
            tables = aggregates.attacker_tables(con, use_labels=args.use_labels)
        true = truth(con) if has_cohorts else None

    result = audit(tables, links, threshold=threshold, listing_highs=True)
    figures = score(result, true, threshold)
    print(
        f"Attack on {args.warehouse} ({'rebuilt with the current code' if args.rebuild else 'as published'}"
        f"{', reading the suppression labels' if args.use_labels else ''}):"
    )
    hidden = Counter(i.table for i in result.intervals)
    print(f"  {'table':<40} {'entries':>8} {'hidden':>7}")
    for t in tables:
        print(f"  {t.name:<40} {len(t.keys):>8} {hidden.get(t.name, 0):>7}")
    for name, value in figures.items():
        print(f"  {name}: {value}")
    if release is not None:
        summary = release.audit.summary()
        print(
            f"  publisher: protect + cross-table suppression + audit {publish_cpu:.2f} s CPU "
            f"(audit alone {summary['cpu_seconds']} s)"
        )
        print(
            f"  hidden across tables: {_nonzero(release.hidden_across_tables)}; "
            f"published again (fixed exactly by other tables): {_nonzero(release.revealed)}"
        )
        print(f"  publisher's audit passed: {release.audit.passed}")
    return 0


def _nonzero(per_table: dict[str, int]) -> str:
    shown = {k: v for k, v in per_table.items() if v}
    return f"{sum(shown.values())} {shown}" if shown else "0"


if __name__ == "__main__":
    sys.exit(main())
