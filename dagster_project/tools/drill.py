"""`python -m dagster_project.tools.drill`: a fire drill of every broken-feed scenario.

Builds one healthy synthetic world (four good deliveries per feed, materialised through the
staging assets and the dashboard), then for each scenario in `tools.break_feeds` copies it,
breaks one feed in that way, materialises again and prints what the dashboard said: the
feed's status, the reason in words and the banner, against the status the scenario must
produce. Nothing here touches the configured warehouse or landing zone; everything lives
under `--workdir` (kept with `--keep`, so the dashboards can be opened afterwards).

The tests (`tests/test_broken_feeds.py`) use the same helpers and assert more.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from dagster_project import warehouse
from dagster_project.defs.ingest.assets import staging_assets
from dagster_project.defs.quality.assets import dashboard
from dagster_project.feeds import FEEDS
from dagster_project.feeds.delivery import discover
from dagster_project.pseudonymise.keys import write_new_key
from dagster_project.resources import resources_for
from dagster_project.settings import Environment
from dagster_project.synthetic import SyntheticConfig, generate
from dagster_project.tools.break_feeds import SCENARIOS, break_feed, late_as_of

logger = logging.getLogger(__name__)

# Which feed each scenario breaks: every feed's suite is exercised; size-sensitive ones use police,
# the largest feed.
FEED_FOR = {
    "missing_column": "yos", "renamed_column": "police", "empty_file": "health", "header_only": "yos",
    "truncated_last_line": "police", "wrong_delimiter": "health", "non_utf8": "social_care",
    "dob_all_empty": "social_care", "future_dates": "health", "duplicated_keys": "police",
    "much_smaller": "police", "late": "social_care", "delivered_twice": "yos",
    "bad_quote_mid_file": "health", "dob_format_changed": "police", "sex_as_words": "police",
    "added_column": "yos", "misnamed_copy": "social_care", "gzip_named_csv": "health",
}  # fmt: skip


def drill_environment(root: Path, as_of: dt.date) -> Environment:
    """Every location of a drill world under `root`."""
    return Environment(
        landing_dir=root / "landing",
        warehouse=root / "veru.duckdb",
        hash_key_file=root / "key",
        model_dir=root / "models",
        linkage_zone=root / "zone.duckdb",
        reference_dir=root / "reference",
        analyst_snapshot=root / "analyst.duckdb",
        restricted_snapshot=root / "analyst_restricted.duckdb",
        quarantine_dir=root / "quarantine",
        dashboard_dir=root / "site",
        as_of=as_of.isoformat(),
        linkage_reports=root / "linkage_reports",
    )


def materialise(root: Path, as_of: dt.date):
    """Staging assets (with their checks) and the dashboard, against the files under `root`."""
    return dg.materialize(
        [*staging_assets, dashboard],
        resources=resources_for(drill_environment(root, as_of)),
        instance=dg.DagsterInstance.ephemeral(),
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        raise_on_error=False,
    )


def statuses(root: Path) -> dict[str, tuple[str, str]]:
    """feed -> (status, reason) from `quality.feed_status`."""
    with warehouse.connect(root / "veru.duckdb", read_only=True) as con:
        return {f: (s, r) for f, s, r in con.sql("SELECT feed, status, reason FROM quality.feed_status").fetchall()}


def last_date(root: Path, feed: str) -> dt.date:
    return discover(root / "landing", feed)[0][-1].extract_date


def healthy_world(root: Path, *, people: int = 1200, seed: int = 41) -> dt.date:
    """Generate and materialise a world whose feeds are all healthy; return the date it was judged on."""

    generate(
        SyntheticConfig(
            landing=root / "landing",
            truth=root / "truth",
            reference=root / "reference",
            people=people,
            seed=seed,
            progress=False,
        )
    )
    write_new_key(root / "key")
    as_of = max(last_date(root, f) for f in FEEDS) + dt.timedelta(days=7)
    result = materialise(root, as_of)
    found = statuses(root)
    if not result.success or set(s for s, _ in found.values()) != {"healthy"}:
        raise RuntimeError(f"the starting world is not healthy: {found}")
    return as_of


@dataclass(frozen=True)
class DrillResult:
    scenario: str
    feed: str
    expected: str
    status: str
    reason: str
    banner: str
    run_succeeded: bool
    seconds: float

    @property
    def as_expected(self) -> bool:
        return (
            self.run_succeeded
            and self.status == self.expected
            and all(word in self.reason.lower() for word in SCENARIOS[self.scenario].reason_words)
        )


def break_and_run(good: Path, root: Path, name: str) -> DrillResult:
    """Copy the healthy world `good` to `root`, break its feed as scenario `name` does, run."""
    shutil.copytree(good, root, ignore=shutil.ignore_patterns("*.wal"))
    feed = FEED_FOR[name]
    broken = break_feed(root / "landing", feed, name)
    as_of = late_as_of(root / "landing", feed) if broken is None else last_date(root, feed) + dt.timedelta(days=7)
    start = time.perf_counter()
    result = materialise(root, as_of)
    seconds = time.perf_counter() - start
    status, reason = statuses(root)[feed]
    page = (root / "site" / "index.html").read_text(encoding="utf-8")
    banner = re.search(r'id="banner"[^>]*>([^<]*)<', page)
    return DrillResult(
        name, feed, SCENARIOS[name].status, status, reason, banner.group(1) if banner else "", result.success, seconds
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.tools.drill",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--workdir", type=Path, default=Path("bench_output") / "drill")
    parser.add_argument("--people", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=41)
    parser.add_argument("--scenarios", nargs="+", choices=list(SCENARIOS), default=list(SCENARIOS))
    parser.add_argument("--keep", action="store_true", help="keep the worlds (each has site/index.html)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    logging.getLogger("dagster").setLevel(logging.ERROR)

    def out(text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    shutil.rmtree(args.workdir, ignore_errors=True)
    good = args.workdir / "good"
    healthy_world(good, people=args.people, seed=args.seed)
    out(f"Healthy world: {args.people:,} people, seed {args.seed}, under {good}")
    results = []
    for name in args.scenarios:
        r = break_and_run(good, args.workdir / name, name)
        results.append(r)
        mark = "ok" if r.as_expected else f"UNEXPECTED (wanted {r.expected})"
        out(
            f"\n{name} ({r.feed}): {r.status.upper()} [{mark}] in {r.seconds:.1f} s\n  reason: {r.reason}\n"
            f"  banner: {r.banner}"
        )
        if not args.keep:
            shutil.rmtree(args.workdir / name, ignore_errors=True)
    matched = sum(r.as_expected for r in results)
    out(f"\n{matched} of {len(results)} scenarios flagged as expected")
    if args.keep:
        out(f"Dashboards: {args.workdir.resolve()}/<scenario>/site/index.html")
    else:
        shutil.rmtree(args.workdir, ignore_errors=True)
    return 0 if matched == len(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
