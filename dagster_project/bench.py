"""`make bench`: how fast the pipeline runs at scale, in figures.

Generates a synthetic population of about `--records` landing records (default 1,000,000,
or `--people` persons; `--seeds` repeats the run per seed)
in a scratch directory, then times each stage outside Dagster: ingest + pseudonymisation
per feed (records/second) and linkage (wall time and peak memory), and scores the linkage
against the ground truth. Prints the figures; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import logging
import resource
import shutil
import sys
import time
from pathlib import Path

import polars as pl

from dagster_project.feeds import FEEDS
from dagster_project.feeds.ingest import ingest_feed
from dagster_project.linkage.evaluate import pairwise_scores, scores_by_group
from dagster_project.linkage.run import link_records
from dagster_project.pseudonymise.keys import HashKey
from dagster_project.synthetic import SyntheticConfig, generate

logger = logging.getLogger(__name__)


def peak_rss_gib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dagster_project.bench", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--records", type=int, default=1_000_000, help="landing records to generate")
    size.add_argument("--people", type=int, help="generate this many persons instead")
    parser.add_argument("--seeds", type=int, nargs="+", default=[7], help="one run per seed")
    parser.add_argument("--workdir", type=Path, default=Path("bench_output"))
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--skip-linkage", action="store_true")
    parser.add_argument(
        "--variants", nargs="+", choices=("fuzzy", "exact"), default=["fuzzy"],
        help="link with the platform's model (fuzzy) and/or the same model on exact tokens only",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    out = sys.stdout.write

    for seed in args.seeds:
        run_once(args, seed, out)
    return 0


def run_once(args: argparse.Namespace, seed: int, out) -> None:
    work = args.workdir / f"seed{seed}"
    config = SyntheticConfig(
        landing=work / "landing", truth=work / "truth", reference=work / "reference",
        target_records=None if args.people else args.records, people=args.people or 20_000,
        seed=seed, replace=True, progress=False,
    )
    start = time.perf_counter()
    summary = generate(config)
    out(f"[seed {seed}] generated {summary.total_records:,} records of {summary.people:,} persons "
        f"in {time.perf_counter() - start:.1f} s\n")
    key = HashKey(secret=b"benchmark-key-not-secret-32bytes!!", source="bench")
    token_frames = []
    total, total_s = 0, 0.0
    out("Ingest + pseudonymisation (read, parse, standardise, encode), per feed:\n")
    for spec in FEEDS.values():
        start = time.perf_counter()
        result = ingest_feed(spec, config.landing, key, validator=None)
        seconds = time.perf_counter() - start
        rows = int(result.deliveries.get_column("rows_read").sum())
        total, total_s = total + rows, total_s + seconds
        token_frames.append(result.tokens)
        out(f"  {spec.name:<12} {rows:>10,} rows  {seconds:7.1f} s  {rows / seconds:>10,.0f} records/s\n")
    out(f"  {'all feeds':<12} {total:>10,} rows  {total_s:7.1f} s  {total / total_s:>10,.0f} records/s\n")
    out(f"  peak memory so far: {peak_rss_gib():.2f} GiB\n")

    if not args.skip_linkage:
        tokens = pl.concat(token_frames, how="vertical_relaxed")
        truth = pl.read_csv(config.truth / "ground_truth.csv", infer_schema=False)
        persons = pl.read_csv(config.truth / "persons.csv", infer_schema=False)
        for variant in args.variants:
            start = time.perf_counter()
            linked = link_records(tokens, model_dir=None, seed=seed, variant=variant)
            seconds = time.perf_counter() - start
            scores = pairwise_scores(linked.person_records, truth)
            out(f"Linkage ({variant} model) of {tokens.height:,} records: {seconds:.1f} s "
                f"(train {linked.timings.get('train_s', 0):.1f} s, predict {linked.timings['predict_s']:.1f} s, "
                f"cluster {linked.timings['cluster_s']:.1f} s), peak memory {peak_rss_gib():.2f} GiB\n")
            out(f"  persons {linked.stats['persons']:,}; pairwise precision {scores.precision:.4f} "
                f"recall {scores.recall:.4f} F1 {scores.f1:.4f}\n")
            by_group = scores_by_group(linked.person_records, truth, persons, "ethnic_group")
            out("  recall by ethnic group: " + ", ".join(
                f"{g} {r:.4f} ({n:,} pairs)" for g, r, n in by_group.select("group", "recall", "true_pairs").iter_rows()
            ) + "\n")

    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
