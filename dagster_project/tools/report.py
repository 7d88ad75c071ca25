"""`python -m dagster_project.tools.report`: what the last pipeline run produced, in figures.

Reads the warehouse (read-only), the Dagster instance's record of the latest run (for wall
time per stage) and, when given, a synthetic ground truth to score the linkage. The
ground truth is read here, outside the pipeline, which never sees it.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import polars as pl

from dagster_project import warehouse
from dagster_project.cohort_tables import REPORTED
from dagster_project.feeds import FEED_NAMES
from dagster_project.linkage.evaluate import PairwiseScores, pairwise_scores
from dagster_project.settings import Environment

logger = logging.getLogger(__name__)
COHORT_SIZES = REPORTED


def warehouse_figures(path: Path) -> dict:
    with warehouse.connect(path, read_only=True) as con:
        records = {
            feed: con.sql(f"SELECT count(*) FROM staging.{feed}").fetchall()[0][0]
            for feed in FEED_NAMES
            if warehouse.table_exists(con, f"staging.{feed}")
        }
        person_records = warehouse.read_table(con, "linkage.person_records")
        deliveries = warehouse.read_table(con, "quality.deliveries")
        rejects = con.sql("SELECT count(*) FROM quality.rejects").fetchall()[0][0]
        problems = con.sql("SELECT count(*) FROM quality.identifier_problems").fetchall()[0][0]
        evaluation = (
            con.sql(
                "SELECT scope, key, precision, recall, f1 FROM linkage.evaluation "
                "WHERE evaluated_at = (SELECT max(evaluated_at) FROM linkage.evaluation)"
            ).pl()
            if warehouse.table_exists(con, "linkage.evaluation")
            else None
        )
        cohorts = {
            table: con.sql(f"SELECT count(*) FROM cohorts.{table}").fetchall()[0][0]
            for table in COHORT_SIZES
            if warehouse.table_exists(con, f"cohorts.{table}")
        }
        unreported = (
            con.sql("SELECT avg((NOT reported_to_police)::INT) FROM cohorts.unreported_assaults").fetchall()[0][0]
            if warehouse.table_exists(con, "cohorts.unreported_assaults")
            else None
        )
        feed_status = (
            con.sql("SELECT feed, status, reason FROM quality.feed_status ORDER BY feed").fetchall()
            if warehouse.table_exists(con, "quality.feed_status")
            else []
        )
        multi = con.sql(
            "SELECT count(*) FILTER (WHERE feeds_present > 1), "
            "count(*) FILTER (WHERE police_victim > 0 AND police_suspect + police_offender > 0) "
            "FROM cohorts.person_summary"
        ).fetchall()[0]
    return {
        "records": records,
        "person_records": person_records,
        "deliveries": deliveries,
        "rejects": rejects,
        "problems": problems,
        "persons_multi_feed": multi[0],
        "victim_offenders": multi[1],
        "evaluation": evaluation,
        "cohorts": cohorts,
        "unreported_share": unreported,
        "feed_status": feed_status,
    }


def stage_timings() -> list[tuple[str, float]]:
    """Wall time per step of the most recent successful run in DAGSTER_HOME."""
    try:
        from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

        instance = DagsterInstance.get()
        runs = instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.SUCCESS]), limit=1)
        if not runs:
            return []
        stats = sorted(instance.get_run_step_stats(runs[0].run_id), key=lambda s: s.start_time or 0)
        return [(s.step_key, (s.end_time or 0) - (s.start_time or 0)) for s in stats]
    except Exception as exc:  # noqa: BLE001 - timings are a nicety; say why they are absent
        logger.warning("No stage timings: %s", type(exc).__name__)
        return []


def render(figures: dict, scores: PairwiseScores | None, timings: list[tuple[str, float]]) -> str:
    dashboard = Environment.from_env().dashboard_dir / "index.html"
    lines = ["", "VERU linked data platform: demo figures", "=" * 40, "Records staged per feed:"]
    total = 0
    for feed, n in figures["records"].items():
        lines.append(f"  {feed:<12} {n:>9,}")
        total += n
    lines.append(f"  {'total':<12} {total:>9,}")
    d = figures["deliveries"]
    by_status = dict(d.group_by("status").len().iter_rows()) if d.height else {}
    others = ", ".join(
        f"{n} {s.replace('_', ' ')}" for s, n in sorted(by_status.items()) if s not in ("accepted", "quarantined")
    )
    lines.append(
        f"Deliveries: {by_status.get('accepted', 0)} accepted, {by_status.get('quarantined', 0)} quarantined"
        f"{'; ' + others if others else ''}; rows rejected: {figures['rejects']:,}; "
        f"malformed identifiers set to missing: {figures['problems']:,}"
    )
    if figures.get("feed_status"):
        lines.append("Feed health (the quality dashboard's verdicts):")
        lines += [f"  {feed:<12} {status.upper():<9} {reason}" for feed, status, reason in figures["feed_status"]]
    pr = figures["person_records"]
    persons = pr.get_column("person_id").n_unique()
    lines.append(f"Linked persons: {persons:,} (from {pr.height:,} records)")
    lines.append(f"  in more than one feed: {figures['persons_multi_feed']:,}")
    lines.append(f"  police victim and suspect/offender: {figures['victim_offenders']:,}")
    if scores is not None:
        lines += [
            "Linkage against the synthetic ground truth (pairwise):",
            f"  precision {scores.precision:.4f}  recall {scores.recall:.4f}  F1 {scores.f1:.4f}",
            f"  ({scores.true_positive_pairs:,} of {scores.predicted_pairs:,} predicted pairs correct; "
            f"{scores.true_pairs:,} true pairs)",
        ]
    evaluation = figures.get("evaluation")
    if evaluation is not None and evaluation.height:
        overall = {k: (p, r, f) for _, k, p, r, f in evaluation.filter(pl.col("scope") == "overall").iter_rows()}
        if "clusters" in overall:
            p, r, f = overall["clusters"]
            lines.append(f"  clusters (a person exactly right): precision {p:.4f}  recall {r:.4f}  F1 {f:.4f}")
        groups = evaluation.filter(pl.col("scope") == "ethnic_group")
        if groups.height and "pairwise" in overall:
            lines.append(
                "  recall by ethnic group: "
                + ", ".join(f"{k} {r:.4f}" for _, k, _, r, _ in groups.sort("key").iter_rows())
            )
    if figures.get("cohorts"):
        lines.append("Cohorts (persons):")
        lines += [f"  {COHORT_SIZES[t]:<58} {n:>9,}" for t, n in figures["cohorts"].items()]
    if figures.get("unreported_share") is not None:
        lines.append(f"  A&E assault attendances unknown to police: {figures['unreported_share']:.1%}")
    if timings:
        lines.append("Wall time per stage (latest successful run, in order):")
        lines += [f"  {step:<40} {seconds:8.1f} s" for step, seconds in timings]
        lines.append(f"  {'total':<40} {sum(s for _, s in timings):8.1f} s")
    lines += [
        "",
        "Where to look:",
        f"  {dashboard.resolve().as_uri()}",
        "                   the quality dashboard: feed health, trends, linkage health, validation results",
        "                   (a static site: open it in any browser, no network needed)",
        "  make dev         the Dagster UI at http://localhost:3000: assets, checks, charts, run history",
        "  make notebooks   JupyterLab on the analyst notebooks (notebooks/*.py)",
        f"  {Environment.from_env().analyst_snapshot}   the default analyst tier (coarsened cohorts, protected aggregates), e.g.",
        '    .venv/bin/python -c "from dagster_project.analyst import connect; '
        "print(connect().sql('FROM aggregates.victims_by_council_and_sex'))\"",
        f"  {Environment.from_env().restricted_snapshot}   the restricted tier (full detail) for named analysts: "
        'connect(tier="restricted")',
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dagster_project.tools.report", description=__doc__)
    parser.add_argument("--truth", type=Path, help="ground_truth.csv written by veru-synth")
    parser.add_argument("--warehouse", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    path = args.warehouse or Environment.from_env().warehouse
    try:
        figures = warehouse_figures(path)
    except FileNotFoundError as exc:
        logger.error("%s", exc)
        return 2
    scores = None
    if args.truth:
        truth = pl.read_csv(args.truth, infer_schema=False)
        scores = pairwise_scores(figures["person_records"], truth)
    sys.stdout.write(render(figures, scores, stage_timings()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
