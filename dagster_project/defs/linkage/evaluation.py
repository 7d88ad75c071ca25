"""How good the linkage is, measured against a synthetic ground truth."""

from collections.abc import Iterator

import dagster as dg
import polars as pl

from dagster_project import tables, warehouse
from dagster_project.clock import utcnow
from dagster_project.defs.linkage.assets import PERSON_RECORDS
from dagster_project.linkage.evaluate import (
    cluster_scores,
    pairwise_scores,
    scores_by_feed_pair,
    scores_by_group,
)
from dagster_project.linkage.store import evaluation_table
from dagster_project.markdown import markdown_table
from dagster_project.resources import GroundTruthResource, WarehouseResource

EVALUATION = dg.AssetKey(["linkage", "evaluation"])
# The bar the platform is held to (issue 4): precision, recall, largest recall gap by group.
TARGET_PRECISION = 0.995
TARGET_RECALL = 0.98
MAX_GROUP_RECALL_GAP = 0.02


@dg.asset(
    key=EVALUATION,
    deps=[PERSON_RECORDS],
    group_name="linkage",
    kinds={"polars"},
    output_required=False,
    description=(
        "Linkage quality against the synthetic ground truth: pairwise and cluster precision, "
        "recall and F1, overall, by feed pair and by ethnic group. Written to linkage.evaluation. "
        "Skipped (not materialised) where no ground truth is configured, as in every real deployment."
    ),
)
def linkage_evaluation(
    context: dg.AssetExecutionContext, warehouse_db: WarehouseResource, ground_truth: GroundTruthResource
) -> Iterator[dg.MaterializeResult]:
    """Score `linkage.person_records` against the ground truth and keep the scores."""
    if not ground_truth.configured:
        context.log.info("No synthetic ground truth configured (VERU_TRUTH_DIR): nothing to evaluate.")
        return
    truth, persons = ground_truth.read()
    with warehouse_db.connect() as con:
        records = warehouse.read_table(con, "linkage.person_records")
    pairwise = pairwise_scores(records, truth)
    clusters = cluster_scores(records, truth)
    by_pair = scores_by_feed_pair(records, truth)
    by_group = scores_by_group(records, truth, persons, "ethnic_group")

    table = evaluation_table(pairwise, clusters, by_pair, by_group, context.run_id, utcnow())
    with warehouse_db.connect() as con, warehouse.transaction(con):
        warehouse.append(con, tables.LINKAGE_EVALUATION, table)

    gap = pairwise.recall - (by_group.get_column("recall").min() or 0.0)
    yield dg.MaterializeResult(
        metadata={
            "pairwise_precision": dg.MetadataValue.float(round(pairwise.precision, 4)),
            "pairwise_recall": dg.MetadataValue.float(round(pairwise.recall, 4)),
            "pairwise_f1": dg.MetadataValue.float(round(pairwise.f1, 4)),
            "cluster_precision": dg.MetadataValue.float(round(clusters.precision, 4)),
            "cluster_recall": dg.MetadataValue.float(round(clusters.recall, 4)),
            "cluster_f1": dg.MetadataValue.float(round(clusters.f1, 4)),
            "largest_group_recall_gap_points": dg.MetadataValue.float(round(gap * 100, 2)),
            "by_feed_pair": dg.MetadataValue.md(
                markdown_table(by_pair.select("feed_a", "feed_b", "precision", "recall", "f1", "true_pairs"), digits=4)
            ),
            "by_ethnic_group": dg.MetadataValue.md(
                markdown_table(by_group.select("group", "precision", "recall", "true_pairs"), digits=4)
            ),
        },
    )


@dg.asset_check(
    asset=EVALUATION,
    description=f"Pairwise precision >= {TARGET_PRECISION}, recall >= {TARGET_RECALL}, and no "
    f"ethnic group's recall more than {MAX_GROUP_RECALL_GAP * 100:.0f} points below the overall.",
)
def quality_targets(context: dg.AssetCheckExecutionContext, warehouse_db: WarehouseResource) -> dg.AssetCheckResult:
    """The run's evaluation (`linkage.evaluation`) against the platform's targets (issue 4)."""
    run_id = context.op_execution_context.run_id
    with warehouse_db.connect() as con:
        rows = con.sql(
            "SELECT scope, key, precision, recall FROM linkage.evaluation WHERE run_id = ?", params=[run_id]
        ).pl()
    overall = rows.filter(pl.col("scope") == "overall", pl.col("key") == "pairwise").row(0, named=True)
    groups = rows.filter(pl.col("scope") == "ethnic_group")
    precision, recall = overall["precision"], overall["recall"]
    gap = recall - (groups.get_column("recall").min() or 0.0)
    failures = [
        msg
        for ok, msg in (
            (precision >= TARGET_PRECISION, f"precision {precision:.4f} < {TARGET_PRECISION}"),
            (recall >= TARGET_RECALL, f"recall {recall:.4f} < {TARGET_RECALL}"),
            (gap <= MAX_GROUP_RECALL_GAP, f"a group's recall is {gap * 100:.1f} points below the overall"),
        )
        if not ok
    ]
    return dg.AssetCheckResult(
        passed=not failures,
        severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(failures) or "all targets met",
        metadata={
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "group_gap_points": round(gap * 100, 2),
        },
    )
