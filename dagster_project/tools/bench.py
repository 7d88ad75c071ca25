"""`make bench`: speed, memory and quality of the pipeline, in figures.

Sections (all by default; `--sections` picks some):

- **encoding**: at `--records` landing records (default 1,000,000): pseudonymisation as an
  agency runs it (`veru-pseudonymise`: read, standardise, encode, write the .pseudo.csv),
  and the platform's staging of those files; records/second each.
- **linkage**: link every staged record (the platform's model): wall time, peak memory,
  pairwise precision/recall/F1 against the ground truth.
- **compare**: at `--people` (default 20,000) per seed in `--seeds` (the tuning seeds): the
  platform's model against the same model on exact tokens only, precision/recall by
  threshold, recall by ethnic group, and the threshold the selection rule picks.
- **quality**: on a fresh population (`--fresh-seed`, never used for tuning): the platform
  against plain Splink on the plaintext of the same feeds, both F1s and both times.
- **attack**: frequency attacks on the name encodings of that population.
- **delivery**: one police delivery of `--delivery-mib` (default 1,024 MiB) read in a fresh
  process each: the platform's streaming reader against the whole-file reader it replaced
  (side by side, same file, same run), then the whole staging of it (validate, pseudonymise,
  stage): wall time, CPU time and peak RSS of each.
- **cohorts**: at `--people` per seed in `--seeds`: the whole pipeline materialised through
  Dagster (wall time), the cohort tables' patterns against the same figures computed from the
  delivery files and ground truth alone (`synthetic/patterns.py`), the exploitation cohort's
  recall of the flagged children, and the published aggregates' suppression.

Nothing here is a pass/fail test: it prints what it measured.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import logging
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import polars as pl

from dagster_project import warehouse
from dagster_project.cohort_tables import COHORT_TABLES
from dagster_project.definitions import defs
from dagster_project.feeds import FEEDS
from dagster_project.feeds.delivery import discover
from dagster_project.linkage.evaluate import pairwise_scores, scores_by_group
from dagster_project.linkage.run import (
    DEFAULT_MATCH_PROBABILITY,
    PRECISION_FLOOR,
    SWEEP_THRESHOLDS,
    choose_threshold,
    link_records,
)
from dagster_project.pseudonymise.keys import HashKey, write_new_key
from dagster_project.publication.aggregates import PUBLICATIONS, line_violations
from dagster_project.resources import resources_for
from dagster_project.settings import Environment
from dagster_project.staging.agency import pseudonymise_files
from dagster_project.staging.ingest import ingest_feed
from dagster_project.synthetic import SyntheticConfig, generate, patterns
from dagster_project.synthetic.names import forename_lists, surname_lists
from dagster_project.tools.plaintext_baseline import link_plaintext, plaintext_records
from dagster_project.tools.pseudonym_attacks import cluster_attack, encoded_names, frequency_attack

logger = logging.getLogger(__name__)
SECTIONS = ("encoding", "linkage", "compare", "quality", "attack", "cohorts", "delivery")
# a fixed key, so benchmark tokens are reproducible (hashed, as a literal would fail the randomness checks)
KEY = HashKey(secret=hashlib.sha256(b"veru benchmark key, not secret").digest(), source="bench")


def peak_rss_gib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _generate(work: Path, out, **size) -> SyntheticConfig:
    config = SyntheticConfig(
        landing=work / "landing",
        truth=work / "truth",
        reference=work / "reference",
        replace=True,
        progress=False,
        **size,
    )
    start = time.perf_counter()
    summary = generate(config)
    out(
        f"generated {summary.total_records:,} landing records of {summary.people:,} persons "
        f"in {time.perf_counter() - start:.1f} s\n"
    )
    return config


def _tokens(landing: Path) -> pl.DataFrame:
    return pl.concat([ingest_feed(spec, landing, KEY).tokens for spec in FEEDS.values()], how="vertical_relaxed")


def _score(tokens: pl.DataFrame, truth_dir: Path, seed: int, variant: str, out, sweep: bool = False) -> dict:
    """Link, print the figures, and return the precision/recall curve (threshold → (P, R))."""
    truth = pl.read_csv(truth_dir / "ground_truth.csv", infer_schema=False)
    persons = pl.read_csv(truth_dir / "persons.csv", infer_schema=False)
    start = time.perf_counter()
    others = tuple(t for t in SWEEP_THRESHOLDS if t != DEFAULT_MATCH_PROBABILITY) if sweep else ()
    linked = link_records(tokens, model_dir=None, seed=seed, variant=variant, other_thresholds=others)
    seconds = time.perf_counter() - start
    scores = pairwise_scores(linked.person_records, truth)
    out(
        f"  {variant} model: {tokens.height:,} records linked in {seconds:.1f} s "
        f"(train {linked.timings.get('train_s', 0):.1f}, predict {linked.timings['predict_s']:.1f}, "
        f"cluster {linked.timings['cluster_s']:.1f}); peak memory {peak_rss_gib():.2f} GiB\n"
    )
    out(
        f"    at the platform's threshold {DEFAULT_MATCH_PROBABILITY}: persons {linked.stats['persons']:,}; "
        f"pairwise precision {scores.precision:.4f} recall {scores.recall:.4f} F1 {scores.f1:.4f}\n"
    )
    if sweep:
        curve = {
            DEFAULT_MATCH_PROBABILITY: scores,
            **{t: pairwise_scores(r, truth) for t, r in linked.alternatives.items()},
        }
        out(
            "    precision/recall by threshold: "
            + "; ".join(f"{t}: P {s.precision:.4f} R {s.recall:.4f} F1 {s.f1:.4f}" for t, s in sorted(curve.items()))
            + "\n"
        )
    if sweep and variant == "fuzzy":
        out(
            "    blocking analysis (comparisons each prediction rule adds):\n"
            + "".join(
                f"      {marginal:>12,} {cumulative:>12,}  {rule}\n"
                for rule, marginal, cumulative in linked.blocking.select(
                    "blocking_rule", "marginal_comparisons", "cumulative_comparisons"
                ).iter_rows()
            )
        )
    groups = scores_by_group(linked.person_records, truth, persons, "ethnic_group")
    out(
        "    recall by ethnic group: "
        + ", ".join(f"{g} {r:.4f}" for g, r in groups.select("group", "recall").iter_rows())
        + f" (largest gap below overall: {100 * (scores.recall - groups['recall'].min()):.1f} points)\n"
    )
    curve = {DEFAULT_MATCH_PROBABILITY: scores}
    if sweep:
        curve.update({t: pairwise_scores(r, truth) for t, r in linked.alternatives.items()})
    return {t: (s.precision, s.recall) for t, s in curve.items()}


def bench_scale(args: argparse.Namespace, out) -> None:
    work = args.workdir / "scale"
    out(f"== Scale: about {args.records:,} records ==\n")
    config = _generate(work, out, target_records=args.records, seed=args.seeds[0])
    if "encoding" in args.sections:
        outbox = work / "pseudonymised"
        jobs = os.cpu_count() or 1
        files = [d.path for spec in FEEDS.values() for d in discover(config.landing, spec.name)[0]]
        start = time.perf_counter()
        results = pseudonymise_files(files, KEY, outbox, jobs=jobs, validate=False)
        seconds = time.perf_counter() - start
        rows = sum(r.rows for r in results)
        out(
            f"  pseudonymise (veru-pseudonymise, {jobs} jobs): {rows:,} records in {len(files)} files, {seconds:.1f} s, "
            f"{rows / seconds:,.0f} records/s (read, standardise, encode, write .pseudo.csv)\n"
        )
        single = max(results, key=lambda r: r.rows)
        out(
            f"  largest file on one core: {single.rows:,} records in {single.seconds:.1f} s "
            f"({single.rows / single.seconds:,.0f} records/s)\n"
        )
        for result in results:  # into the landing layout, landing/<feed>/<file>
            feed_dir = outbox / result.target.name.split("_20")[0]
            feed_dir.mkdir(exist_ok=True)
            result.target.rename(feed_dir / result.target.name)
        start = time.perf_counter()
        staged = sum(ingest_feed(spec, outbox, KEY).staging.height for spec in FEEDS.values())
        seconds = time.perf_counter() - start
        out(
            f"  stage the pseudonymised files: {staged:,} records in {seconds:.1f} s ({staged / seconds:,.0f} records/s)\n"
        )
        out(f"  peak memory so far {peak_rss_gib():.2f} GiB\n")
    if "linkage" in args.sections:
        _score(_tokens(config.landing), config.truth, args.seeds[0], "fuzzy", out)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def bench_population(args: argparse.Namespace, seed: int, out) -> dict:
    work = args.workdir / f"people{seed}"
    out(f"== {args.people:,} people, seed {seed} ==\n")
    config = _generate(work, out, people=args.people, seed=seed)
    curve = {}
    if "compare" in args.sections:
        tokens = _tokens(config.landing)
        curve = _score(tokens, config.truth, seed, "fuzzy", out, sweep=True)
        _score(tokens, config.truth, seed, "exact", out, sweep=True)
    if "attack" in args.sections:
        names = encoded_names(config.landing, KEY)
        for field, tok, bf in (("surname", "sn_tok", "sn_bf"), ("forename", "fn_tok", "fn_bf")):
            out(f"  frequency attack on {field}s: exact tokens {frequency_attack(names[field], names[tok])}\n")
            out(f"  frequency attack on {field}s: Bloom filters {frequency_attack(names[field], names[bf])}\n")
            out(f"  cluster-then-align attack on {field} Bloom filters: {cluster_attack(names[field], names[bf])}\n")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return curve


def bench_quality(args: argparse.Namespace, out) -> None:

    work = args.workdir / f"fresh{args.fresh_seed}"
    out(f"== Fresh population: {args.people:,} people, seed {args.fresh_seed} (not used for tuning) ==\n")
    config = _generate(work, out, people=args.people, seed=args.fresh_seed)
    truth = pl.read_csv(config.truth / "ground_truth.csv", infer_schema=False)
    start = time.perf_counter()
    tokens = _tokens(config.landing)
    encode_s = time.perf_counter() - start
    platform_curve = _score(tokens, config.truth, args.fresh_seed, "fuzzy", out)
    p, r = platform_curve[DEFAULT_MATCH_PROBABILITY]
    start = time.perf_counter()
    plaintext = plaintext_records(config.landing)
    read_s = time.perf_counter() - start
    baseline, timings = link_plaintext(plaintext, threshold=DEFAULT_MATCH_PROBABILITY, seed=args.fresh_seed)
    base = pairwise_scores(baseline, truth)
    out(
        f"  plain Splink on plaintext: {plaintext.height:,} records; read + standardise {read_s:.1f} s, "
        f"train {timings['train_s']:.1f} s, predict + cluster {timings['predict_and_cluster_s']:.1f} s\n"
    )
    out(f"    pairwise precision {base.precision:.4f} recall {base.recall:.4f} F1 {base.f1:.4f}\n")
    f1 = 2 * p * r / (p + r)
    out(
        f"  platform on tokens (ingest + encode {encode_s:.1f} s): F1 {f1:.4f} vs plaintext baseline F1 {base.f1:.4f} "
        f"({'above' if f1 > base.f1 else 'NOT above'}); precision {p:.4f} (target 0.995), recall {r:.4f} (target 0.98)\n"
    )
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def bench_cohorts(args: argparse.Namespace, seed: int, out) -> None:

    work = args.workdir / f"cohorts{seed}"
    shutil.rmtree(work, ignore_errors=True)  # a fresh key and warehouse each time
    out(f"== Cohorts: {args.people:,} people, seed {seed} ==\n")
    config = _generate(work, out, people=args.people, seed=seed)
    env = Environment(
        landing_dir=config.landing,
        warehouse=work / "veru.duckdb",
        hash_key_file=work / "bench.key",
        model_dir=work / "models",
        linkage_zone=work / "linkage_zone.duckdb",
        reference_dir=config.reference,
        analyst_snapshot=work / "analyst.duckdb",
        restricted_snapshot=work / "analyst_restricted.duckdb",
        quarantine_dir=work / "quarantine",
        dashboard_dir=work / "quality_site",
        linkage_reports=work / "linkage_reports",
    )
    write_new_key(env.hash_key_file)
    start = time.perf_counter()
    result = dg.materialize(
        [*defs.assets, *defs.asset_checks],
        resources=resources_for(env),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    seconds = time.perf_counter() - start
    failed = [c.check_name for c in result.get_asset_check_evaluations() if not c.passed]
    out(
        f"  pipeline (every asset and check, through Dagster): {seconds:.1f} s; "
        f"{'success' if result.success else 'FAILED'}; failed checks: {', '.join(failed) or 'none'}\n"
    )
    if not result.success:
        return
    truth = patterns.expected(config.landing, config.truth)
    with warehouse.connect(env.warehouse, read_only=True) as con:
        cohort = patterns.found(con)
        flagged, held = patterns.flagged_children_found(con, config.truth)
        sizes = {
            t: con.sql(f"SELECT count(*) FROM cohorts.{t}").fetchall()[0][0]
            for t in COHORT_TABLES
            if t not in ("events", "person_summary")
        }
    out("  cohort sizes: " + ", ".join(f"{t} {n:,}" for t, n in sizes.items()) + "\n")
    out(f"  {'pattern':<48} {'truth':>10} {'cohorts':>10}\n")
    rows = [
        ("police victim records: peak age band", truth.peak_age_band, cohort.peak_age_band),
        (
            "police victim records aged 15-34",
            f"{truth.age_share(('15-17', '18-24', '25-34')):.1%}",
            f"{cohort.age_share(('15-17', '18-24', '25-34')):.1%}",
        ),
        (
            "largest band-share difference (points)",
            "",
            f"{100 * max(abs(cohort.age_share((b,)) - truth.age_share((b,))) for b in patterns.AGE_BANDS):.2f}",
        ),
        (
            "violence/sexual occurrences domestic abuse",
            f"{truth.domestic_abuse_share:.1%}",
            f"{cohort.domestic_abuse_share:.1%}",
        ),
        ("victim records May-Aug / Nov-Feb", f"{truth.summer_to_winter:.2f}", f"{cohort.summer_to_winter:.2f}"),
        ("A&E assault attendances", f"{truth.attendances:,}", f"{cohort.attendances:,}"),
        ("A&E assaults unknown to police (14 days)", f"{truth.unreported_share:.1%}", f"{cohort.unreported_share:.1%}"),
        ("flagged children in the exploitation cohort", f"{flagged:,}", f"{held:,} ({held / flagged:.1%})"),
    ]
    out("".join(f"  {name:<48} {a:>10} {b:>10}\n" for name, a, b in rows))
    with warehouse.connect(env.analyst_snapshot, read_only=True) as con:
        cells = suppressed = below = violations = 0
        for publication in PUBLICATIONS:
            table = warehouse.read_table(con, f"aggregates.{publication.name}")
            cells += table.height
            suppressed += int(table.get_column("suppressed").sum())
            shown = table.get_column("count").drop_nulls()
            below += int(((shown > 0) & (shown < 5)).sum())
            violations += len(line_violations(table, publication.dims))
    out(
        f"  published aggregates: {len(PUBLICATIONS)} tables, {cells:,} cells, {suppressed:,} suppressed "
        f"({suppressed / cells:.1%}); shown cells below 5: {below}; lines with a lone suppressed cell: {violations}\n"
    )
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def write_big_delivery(path: Path, target_bytes: int) -> int:
    """A police delivery of about `target_bytes`, rows as FEEDS.md describes them (keys unique);
    returns its row count."""

    # names from the generator's lists (a name written here would join the platform's own vocabulary,
    # which the plaintext scan of the tests deliberately ignores)
    surnames = [str(n).upper() for lists in surname_lists().values() for n in lists.names[:2]][:10]
    forenames = [str(n) for lists in forename_lists().values() for n in lists.names[:1]][:8]
    roles = ["VICTIM", "SUSPECT", "OFFENDER", "WITNESS"]
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(FEEDS["police"].columns) + "\r\n")
        written = 0
        while written < target_bytes:
            lines = []
            for i in range(rows, rows + 10_000):
                lines.append(
                    f"NL{i:09d},43/{i % 1000000:06d}/23,{roles[i % 4]},{surnames[i % 10]},{forenames[i % 8]},"
                    f"{1 + i % 28:02d}/{1 + i % 12:02d}/{1950 + i % 60},{'MF'[i % 2]},W1,LU{1 + i % 7} {i % 10}AB,,"
                    f"008/01,Violence with injury,2024-0{1 + i % 9}-{1 + i % 28:02d} 2{i % 4}:10,E0101{i % 10000:04d},"
                    f"{'YN'[i % 2]},N,{'NY'[i % 3 == 0]}\r\n"
                )
            block = "".join(lines)
            fh.write(block)
            written += len(block)
            rows += 10_000
    return rows


_MEASURE = r"""
import datetime as dt, sys, time
from pathlib import Path
mode, path = sys.argv[1], Path(sys.argv[2])
from dagster_project.feeds.delivery import Delivery, read_delivery
delivery = Delivery("police", path, dt.date(2024, 1, 5), size_bytes=path.stat().st_size)
start = time.perf_counter()
if mode == "streaming":
    raw = read_delivery(delivery, max_bytes=1 << 40)
    rows = raw.rows_read
elif mode == "whole-file":
    from dagster_project.tools.bench import read_whole_file
    rows = read_whole_file(path)
else:
    from dagster_project.tools.bench import KEY
    from dagster_project.feeds import FEEDS
    from dagster_project.staging.ingest import ingest_feed
    from dagster_project.quality.suites import validate_frame
    result = ingest_feed(FEEDS["police"], path.parent.parent, KEY, validator=validate_frame,
                         today=dt.date(2025, 1, 12), max_bytes=1 << 40)
    rows = int(result.deliveries["rows_read"].sum())
print(rows, time.perf_counter() - start)
"""


def read_whole_file(path: Path) -> int:
    """The reader before issue 10, as a peer: the whole file in memory, decoded, split into lines,
    parsed by one csv.reader (which stops at the first malformed row), then a frame."""

    text = path.read_bytes().decode("utf-8-sig")
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    header = next(reader)
    rows = [row for row in reader if len(row) == len(header)]
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in header]
    frame = pl.DataFrame([pl.Series(name, col, dtype=pl.String) for name, col in zip(header, columns, strict=True)])
    return frame.height


def _measured(mode: str, path: Path) -> tuple[int, float, float, float]:
    """Run one measurement in a fresh process: (rows, wall s, CPU s, peak RSS GiB)."""

    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", _MEASURE, mode, str(path)], stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    output = child.stdout.read().split()
    if status != 0 or not output:
        raise RuntimeError(f"the {mode} measurement failed (exit status {status})")
    return int(output[0]), wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024**2


def bench_delivery(args: argparse.Namespace, out) -> None:
    path = args.workdir / "delivery" / "landing" / "police" / "police_2024-01-05.csv"
    shutil.rmtree(path.parent.parent, ignore_errors=True)
    start = time.perf_counter()
    rows = write_big_delivery(path, args.delivery_mib * 1024**2)
    size = path.stat().st_size
    out(
        f"== Delivery: one police delivery of {size / 1024**2:,.0f} MiB, {rows:,} rows "
        f"(written in {time.perf_counter() - start:.0f} s); each measured in a fresh process ==\n"
    )
    for mode, what in (
        ("streaming", "platform reader (streaming, a bad line rejected and skipped)"),
        ("whole-file", "peer: the reader before issue 10 (whole file in memory)"),
        ("staging", "whole staging of it: read, validate (GX), pseudonymise, stage"),
    ):
        if mode == "staging" and not args.stage_delivery:
            continue
        try:
            n, wall, cpu, rss = _measured(mode, path)
        except RuntimeError as exc:
            out(f"  {what}: {exc}\n")
            continue
        out(
            f"  {what}: {n:,} rows, wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {rss:.2f} GiB "
            f"({rss * 1024**3 / size:.2f} x the file)\n"
        )
    if not args.keep:
        shutil.rmtree(path.parent.parent.parent, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.tools.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--records", type=int, default=1_000_000, help="landing records for encoding and linkage")
    parser.add_argument("--people", type=int, default=20_000, help="persons for the model comparison and attacks")
    parser.add_argument("--seeds", type=int, nargs="+", default=[3, 8, 13, 21], help="tuning populations")
    parser.add_argument("--fresh-seed", type=int, default=99, help="the untuned population for the quality section")
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--workdir", type=Path, default=Path("bench_output"))
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--delivery-mib", type=int, default=1024, help="size of the delivery section's file")
    parser.add_argument(
        "--no-stage-delivery",
        dest="stage_delivery",
        action="store_false",
        help="delivery section: measure reading only, not the whole staging",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    logging.getLogger("veru-pseudonymise").setLevel(logging.WARNING)

    def out(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    if "delivery" in args.sections:
        bench_delivery(args, out)
    if {"encoding", "linkage"} & set(args.sections):
        bench_scale(args, out)
    if "quality" in args.sections:
        bench_quality(args, out)
    if "cohorts" in args.sections:
        for seed in args.seeds:
            bench_cohorts(args, seed, out)
    if {"compare", "attack"} & set(args.sections):
        curves = {seed: bench_population(args, seed, out) for seed in args.seeds}
        if "compare" in args.sections:
            chosen = choose_threshold(curves)
            out(
                f"== Threshold: the highest mean F1 among thresholds with precision >= {PRECISION_FLOOR} on "
                f"every seed ({', '.join(map(str, args.seeds))}): {chosen} (the platform uses {DEFAULT_MATCH_PROBABILITY})\n"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
