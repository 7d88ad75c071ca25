"""Attack the published aggregates of a warehouse as an outsider would, and say what it got.

    python -m dagster_project.publication.attack --warehouse warehouse/analyst.duckdb
    python -m dagster_project.publication.attack --warehouse warehouse/veru.duckdb --rebuild

The attacker reads every published table (`aggregates.*`: counts, `suppressed`, totals) and the
public lookups (`reference.lsoa`, the calendar), knows which tables count the same people, and
bounds every hidden count by linear programming over all tables together
(`publication.audit`). With `--use-labels` they also read the `suppression` column that older
versions published ("primary" = 1 to 4), as in finding 5 of issue 10. With `--rebuild` the
tables are first rebuilt from the warehouse's cohort tables with the current code (in memory,
nothing is written), to compare with what an older version published.

When the warehouse holds the cohort tables, the true counts are recomputed to score the attack:
hidden counts recovered exactly (and whether that equals the truth), small counts (1 to 4)
whose interval does not reach from 0 to 5, the narrowest intervals. It prints figures about
the tables, never a true count of a hidden cell.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb

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
        "attack_cpu_seconds": round(result.cpu_seconds, 2),
    }
    if true is None:
        return figures
    known = [(i, true.get(i.table, {}).get(i.key)) for i in result.intervals]
    small = [(i, v) for i, v in known if v is not None and 0 < v < threshold]
    other = [(i, v) for i, v in known if v is not None and not 0 < v < threshold]
    figures["recovered_exactly_and_true"] = sum(
        1 for i in exact if abs(i.low - true.get(i.table, {}).get(i.key, -1)) < 1e-6
    )
    figures["small_hidden"] = len(small)
    figures["small_not_reaching_0_to_threshold"] = sum(1 for i, _ in small if not i.protected(threshold))
    narrow_small = min(small, key=lambda iv: iv[0].width, default=None)
    narrow_other = min(other, key=lambda iv: iv[0].width, default=None)
    figures["narrowest_small_width"] = None if narrow_small is None else narrow_small[0].width
    figures["narrowest_small_table"] = None if narrow_small is None else narrow_small[0].table
    figures["narrowest_other_width"] = None if narrow_other is None else narrow_other[0].width
    figures["narrowest_other_table"] = None if narrow_other is None else narrow_other[0].table
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", required=True, type=Path,
                        help="a DuckDB file with aggregates.* (the warehouse or the analyst snapshot)")
    parser.add_argument("--use-labels", action="store_true",
                        help="also read a published `suppression` column (primary = 1 to 4)")
    parser.add_argument("--rebuild", action="store_true",
                        help="rebuild the tables from the cohort tables with the current code first")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not args.warehouse.is_file():
        print(f"No such file: {args.warehouse}", file=sys.stderr)
        return 2
    threshold = aggregates.THRESHOLD
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
                AuditTable.from_frame(p.name, p.population, p.dims, frame)
                for p, frame in release.tables.items() if frame.height
            ]
        else:
            release = None
            tables = aggregates.attacker_tables(con, use_labels=args.use_labels)
        true = truth(con) if has_cohorts else None

    result = audit(tables, links, threshold=threshold)
    figures = score(result, true, threshold)
    print(f"Attack on {args.warehouse} ({'rebuilt with the current code' if args.rebuild else 'as published'}"
          f"{', reading the suppression labels' if args.use_labels else ''}):")
    hidden = Counter(i.table for i in result.intervals)
    print(f"  {'table':<40} {'entries':>8} {'hidden':>7}")
    for t in tables:
        print(f"  {t.name:<40} {len(t.keys):>8} {hidden.get(t.name, 0):>7}")
    for name, value in figures.items():
        print(f"  {name}: {value}")
    if release is not None:
        summary = release.audit.summary()
        print(f"  publisher: protect + cross-table suppression + audit {publish_cpu:.2f} s CPU "
              f"(audit alone {summary['cpu_seconds']} s)")
        print(f"  hidden across tables: {_nonzero(release.hidden_across_tables)}; "
              f"published again (fixed exactly by other tables): {_nonzero(release.revealed)}")
        print(f"  publisher's audit passed: {release.audit.passed}")
    return 0


def _nonzero(per_table: dict[str, int]) -> str:
    shown = {k: v for k, v in per_table.items() if v}
    return f"{sum(shown.values())} {shown}" if shown else "0"


if __name__ == "__main__":
    sys.exit(main())
