"""Train, predict and cluster: the tokens of every feed in, person ids out."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
from splink import DuckDBAPI, Linker

from dagster_project.linkage import model
from dagster_project.linkage.clusters import SplitStats, split_conflicting_clusters
from dagster_project.linkage.person_ids import assign_person_ids
from dagster_project.linkage.reports import (
    blocking_analysis,
    clerical_review,
    level_labels,
    private_folder,
    write_reports,
)
from dagster_project.linkage.splink_compat import clamp_em_estimates, fill_unobserved_m

logger = logging.getLogger(__name__)

# Pairs at or above this match probability are the same person. Chosen from the pairwise
# precision/recall curves on synthetic populations of 20,000 (tuning seeds 3, 8, 13, 21;
# thresholds in SWEEP_THRESHOLDS) by the rule in `choose_threshold`: the highest mean F1
# among thresholds whose precision is at least 0.995 on every seed. `make bench` re-derives
# it on every run.
DEFAULT_MATCH_PROBABILITY = 0.95
PRECISION_FLOOR = 0.995
SWEEP_THRESHOLDS = (0.5, 0.9, 0.95, 0.99, 0.999, 0.9999)
# Pairs scored below this probability are not kept at all (they only feed the histogram).
PREDICTION_FLOOR = 0.001


def choose_threshold(
    curves: dict[int, dict[float, tuple[float, float]]], floor: float = PRECISION_FLOOR
) -> float | None:
    """The threshold with the highest mean F1 among those whose precision reaches `floor`
    on every population. curves: seed → threshold → (precision, recall)."""
    thresholds = set.intersection(*(set(c) for c in curves.values())) if curves else set()
    eligible = [t for t in thresholds if all(curves[s][t][0] >= floor for s in curves)]

    def mean_f1(t: float) -> float:
        return sum(2 * p * r / (p + r) for p, r in (curves[s][t] for s in curves)) / len(curves)

    return max(eligible, key=mean_f1) if eligible else None


class KeyMismatchError(RuntimeError):
    """Tokens made under different keys cannot be compared."""


@dataclass
class LinkageResult:
    person_records: pl.DataFrame  # source_feed, record_key, person_id
    lineage: pl.DataFrame
    links: pl.DataFrame  # record_id_l, record_id_r, match_weight, match_probability (>= threshold)
    weight_histogram: pl.DataFrame  # match_weight bin, pairs
    model_path: Path | None
    model_json: dict
    threshold: float
    stats: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    # person_records at other thresholds (the same trained model and predictions)
    alternatives: dict[float, pl.DataFrame] = field(default_factory=dict)
    blocking: pl.DataFrame | None = None  # comparisons generated per prediction blocking rule
    clerical_review: pl.DataFrame | None = None  # borderline pairs: record keys and levels only
    reports: dict[str, Path] = field(default_factory=dict)  # charts and dashboards written, name → path


def _check_comparable(tokens: pl.DataFrame) -> str:
    """Tokens are comparable only under one key and one encoding version; returns the key id."""
    for column, what in (("key_id", "keys"), ("encoding_version", "encoding versions")):
        values = sorted(tokens.get_column(column).drop_nulls().unique().to_list())
        if len(values) > 1:
            raise KeyMismatchError(
                f"Refusing to link tokens made with different {what}: {values} are present. "
                "Re-encode every feed from the landing zone with the current key and version."
            )
    key_ids = tokens.get_column("key_id").drop_nulls().unique().to_list()
    return key_ids[0] if key_ids else ""


def _train(linker: Linker, n_records: int, seed: int, variant: str) -> None:
    training = linker.training
    training.estimate_probability_two_random_records_match(model.DETERMINISTIC_RULES, recall=0.8)
    max_pairs = min(2e7, max(1e6, n_records * 50.0))
    training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    with clamp_em_estimates():
        for rule in model.training_rules(variant):
            training.estimate_parameters_using_expectation_maximisation(rule, estimate_without_term_frequencies=True)
    fill_unobserved_m(linker, identifier_pairs(linker))


def identifier_pairs(linker: Linker) -> int:
    """How many record pairs share an NHS number, a PNC id or a council child id."""
    table = linker._input_tables_dict[next(iter(linker._input_tables_dict))].physical_name
    counts = [
        f"SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) AS n FROM {table} WHERE {c} IS NOT NULL GROUP BY {c})"
        for c in ("nhs_tok", "pnc_tok", "local_id_tok")
    ]
    return int(sum(linker._db_api._con.sql(sql).fetchall()[0][0] or 0 for sql in counts))


def _final_clusters(con: duckdb.DuckDBPyConnection, source: str, clusters: pl.DataFrame):
    """The input records with their final cluster ids (after contradiction splitting)."""
    con.register("__veru_final", clusters.to_arrow())
    try:
        return (
            con.sql(f"SELECT r.*, c.cluster_id FROM {source} r JOIN __veru_final c USING (record_id)").pl().to_arrow()
        )
    finally:
        con.unregister("__veru_final")


def save_model(linker: Linker, model_dir: Path, key_id: str) -> tuple[Path, dict]:
    """Save the trained model as versioned JSON; never overwrites an earlier model."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = Path(model_dir) / f"{model.MODEL_NAME}_v{model.MODEL_VERSION}_{stamp}"
    folder.mkdir(parents=True, exist_ok=False)
    path = folder / "model.json"
    model_json = linker.misc.save_model_to_json(str(path), overwrite=False)
    (folder / "provenance.json").write_text(
        json.dumps(
            {"model": model.MODEL_NAME, "version": model.MODEL_VERSION, "trained_at": stamp, "key_id": key_id},
            indent=2,
        ),
        encoding="utf-8",
    )
    return path, model_json


def link_records(
    tokens: pl.DataFrame,
    *,
    model_dir: Path | None,
    previous: pl.DataFrame | None = None,
    threshold: float = DEFAULT_MATCH_PROBABILITY,
    trained_model: Path | None = None,
    seed: int = 42,
    threads: int = 2,
    variant: str = "fuzzy",
    other_thresholds: tuple[float, ...] = (),
    reports: bool = False,
    private_reports_dir: Path | None = None,
) -> LinkageResult:
    """Link every record in `tokens` (the union of the feeds' token tables).

    variant: "fuzzy" (the platform's model) or "exact" (whole-field exact tokens only, to
    measure what the fuzzy encodings add).
    previous: record_id → person_id from the last run, so person ids carry over.
    trained_model: a saved model JSON to reuse instead of training.
    other_thresholds: also cluster at these thresholds (`LinkageResult.alternatives`), for
    precision/recall curves.
    reports: write the aggregate charts beside the saved model, and keep the comparison
    levels of predictions for the clerical-review extract (costs memory at national scale).
    private_reports_dir: with `reports`, where the dashboards that show record ids and tokens
    (comparison viewer, cluster studio) go, in an owner-only folder named like the model's
    (`VERU_LINKAGE_REPORTS`); without it they are not written.
    """
    timings: dict[str, float] = {}
    key_id = _check_comparable(tokens)
    records = tokens.with_columns(record_id=pl.concat_str([pl.col("source_feed"), pl.lit("|"), pl.col("record_key")]))
    con = duckdb.connect()
    con.execute(f"SET threads = {int(threads)}").fetchall()
    db_api = DuckDBAPI(con)
    sdf = db_api.register(records.to_arrow(), dataset_display_name="veru_records")
    settings = str(trained_model) if trained_model else model.settings(variant)
    if reports and not trained_model:
        settings.retain_intermediate_calculation_columns = True
        settings.retain_matching_columns = True
    linker = Linker(sdf, settings, log_level=None)
    blocking = blocking_analysis(linker, sample=1.0 if records.height <= 2_000_000 else 0.2)

    start = time.perf_counter()
    model_path = None
    if trained_model is None:
        _train(linker, records.height, seed, variant)
        timings["train_s"] = time.perf_counter() - start
    if model_dir is not None and trained_model is None:
        model_path, model_json = save_model(linker, model_dir, key_id)
    else:
        model_json = linker.misc.save_model_to_json()
        model_path = trained_model

    start = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=PREDICTION_FLOOR)
    timings["predict_s"] = time.perf_counter() - start
    pred = predictions.physical_name
    histogram = con.sql(
        f"SELECT floor(match_weight) AS match_weight_bin, count(*) AS pairs FROM {pred} "
        "GROUP BY ALL ORDER BY match_weight_bin"
    ).pl()
    links = con.sql(
        f"SELECT record_id_l, record_id_r, match_weight, match_probability FROM {pred} "
        f"WHERE match_probability >= {threshold}"
    ).pl()

    source = sdf.physical_name

    def cluster_at(probability: float) -> tuple[pl.DataFrame, SplitStats]:
        clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=probability
        )
        found = con.sql(f"SELECT record_id, cluster_id FROM {clustered.physical_name}").pl()
        return split_conflicting_clusters(
            con, source, pred, found, math.log2(probability / (1 - probability)), dates_of_birth=variant == "fuzzy"
        )

    start = time.perf_counter()
    clusters, split = cluster_at(threshold)
    timings["cluster_s"] = time.perf_counter() - start
    alternatives = {}
    for other in other_thresholds:
        alternatives[other] = (
            records.select("record_id", "source_feed", "record_key")
            .join(cluster_at(other)[0].rename({"cluster_id": "person_id"}), on="record_id")
            .select("source_feed", "record_key", "person_id")
        )

    threshold_weight = math.log2(threshold / (1 - threshold))
    review = None
    written: dict[str, Path] = {}
    if reports:
        review = clerical_review(
            con.sql(f"SELECT * FROM {pred} WHERE abs(match_weight - {threshold_weight}) <= 3").pl(),
            level_labels(linker),
            threshold_weight,
        )
        if model_path is not None:
            final = db_api.register(_final_clusters(con, source, clusters), dataset_display_name="final_clusters")
            folder = Path(model_path).parent
            private = private_folder(private_reports_dir, folder.name) if private_reports_dir is not None else None
            written = write_reports(linker, predictions, final, folder, blocking, private)

    assigned, lineage = assign_person_ids(clusters, previous)
    person_records = (
        records.select("record_id", "source_feed", "record_key")
        .join(assigned, on="record_id", how="left")
        .select("source_feed", "record_key", "person_id")
        .sort("source_feed", "record_key")
    )
    sizes = person_records.group_by("person_id").len()
    stats = {
        "records": person_records.height,
        "persons": sizes.height,
        "pairs_scored": int(histogram.get_column("pairs").sum()) if histogram.height else 0,
        "links_at_threshold": links.height,
        "largest_cluster": int(sizes.get_column("len").max() or 0),
        "clusters_with_contradictions": split.clusters_with_conflicts,
        "clusters_split_at_weak_links": split.clusters_split,
        "clusters_left_with_contradictions": split.clusters_left_with_conflicts,
        "singletons": int((sizes.get_column("len") == 1).sum()),
        "key_id": key_id,
    }
    con.close()
    return LinkageResult(
        person_records=person_records,
        lineage=lineage,
        links=links,
        weight_histogram=histogram,
        model_path=model_path,
        model_json=model_json,
        threshold=threshold,
        stats=stats,
        timings=timings,
        alternatives=alternatives,
        blocking=blocking,
        clerical_review=review,
        reports=written,
    )
