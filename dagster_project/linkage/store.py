"""Writing a linkage run: the pairwise links to the linkage zone; persons, the evidence for
them, the run's figures and its scores against a ground truth to the warehouse. Every table
goes through its declaration (`tables`)."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from dagster_project import tables, warehouse
from dagster_project.linkage.evaluate import ClusterScores, PairwiseScores
from dagster_project.linkage.run import LinkageResult


def write_links(con: duckdb.DuckDBPyConnection, result: LinkageResult) -> None:
    """Replace `linkage.links` in the linkage zone (it holds record ids: owner-only)."""
    with warehouse.transaction(con):
        warehouse.replace_table(con, tables.LINKS, result.links)


def run_row(result: LinkageResult, run_id: str, linked_at: dt.datetime) -> pl.DataFrame:
    """The run's `linkage.runs` row: threshold, model, figures and timings."""
    return tables.LINKAGE_RUNS.from_rows(
        [
            {
                "run_id": run_id,
                "linked_at": linked_at,
                "threshold_match_probability": result.threshold,
                "model_path": str(result.model_path) if result.model_path else None,
                **result.stats,
                **result.timings,
            }
        ]
    )


def write_run(con: duckdb.DuckDBPyConnection, result: LinkageResult, run_id: str, linked_at: dt.datetime) -> None:
    """Replace the persons and the evidence for them, keep the run's row and its person-id
    splits and merges, in one warehouse transaction. A warehouse still holding an older
    release's pairwise links is refused (they live in the linkage zone only; `tools.migrate`)."""
    with warehouse.transaction(con):
        warehouse.refuse_misplaced(con, tables.WAREHOUSE, [tables.LINKS])
        warehouse.replace_table(con, tables.PERSON_RECORDS, result.person_records)
        warehouse.replace_table(con, tables.MATCH_WEIGHT_HISTOGRAM, result.weight_histogram)
        warehouse.replace_table(con, tables.BLOCKING_ANALYSIS, result.blocking)
        if result.clerical_review is not None:
            warehouse.replace_table(con, tables.CLERICAL_REVIEW, result.clerical_review)
        warehouse.append(con, tables.LINKAGE_RUNS, run_row(result, run_id, linked_at))
        warehouse.append(  # created on the first run even when there is nothing to record
            con,
            tables.PERSON_LINEAGE,
            result.lineage.with_columns(run_id=pl.lit(run_id), recorded_at=pl.lit(linked_at)),
        )


def evaluation_table(
    pairwise: PairwiseScores,
    clusters: ClusterScores,
    by_pair: pl.DataFrame,
    by_group: pl.DataFrame,
    run_id: str,
    evaluated_at: dt.datetime,
) -> pl.DataFrame:
    """`linkage.evaluation` rows: pairwise and cluster scores overall, pairwise by feed pair and
    by group (`linkage.evaluate`)."""
    rows = [
        {"scope": "overall", "key": "pairwise", "precision": pairwise.precision, "recall": pairwise.recall,
         "f1": pairwise.f1, "true": pairwise.true_pairs, "predicted": pairwise.predicted_pairs,
         "correct": pairwise.true_positive_pairs},
        {"scope": "overall", "key": "clusters", "precision": clusters.precision, "recall": clusters.recall,
         "f1": clusters.f1, "true": clusters.true_clusters, "predicted": clusters.predicted_clusters,
         "correct": clusters.exact_clusters},
        *[
            {"scope": "feed_pair", "key": f"{r['feed_a']}-{r['feed_b']}", "precision": r["precision"],
             "recall": r["recall"], "f1": r["f1"], "true": r["true_pairs"], "predicted": r["predicted_pairs"],
             "correct": r["true_positive_pairs"]}
            for r in by_pair.iter_rows(named=True)
        ],
        *[
            {"scope": "ethnic_group", "key": r["group"] or "unknown", "precision": r["precision"], "recall": r["recall"],
             "f1": None, "true": r["true_pairs"], "predicted": r["predicted_pairs"], "correct": r["true_positive_pairs"]}
            for r in by_group.iter_rows(named=True)
        ],
    ]  # fmt: skip
    return tables.LINKAGE_EVALUATION.from_rows({**row, "run_id": run_id, "evaluated_at": evaluated_at} for row in rows)
