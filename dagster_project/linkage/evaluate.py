"""Linkage quality against a ground truth: pairwise precision, recall and F1.

Pairs are counted, never enumerated: within a group of n records there are n(n-1)/2 pairs,
so true positives are the pairs inside each (predicted person, true person) intersection.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


def _pairs(counts: pl.Expr) -> pl.Expr:
    return (counts * (counts - 1) / 2).sum()


@dataclass(frozen=True)
class PairwiseScores:
    records: int
    predicted_pairs: int
    true_pairs: int
    true_positive_pairs: int

    @property
    def precision(self) -> float:
        return self.true_positive_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {
            "records": self.records,
            "predicted_pairs": self.predicted_pairs,
            "true_pairs": self.true_pairs,
            "true_positive_pairs": self.true_positive_pairs,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


def pairwise_scores(person_records: pl.DataFrame, truth: pl.DataFrame) -> PairwiseScores:
    """Compare predicted `person_id` with `truth` (source_feed, record_key, person_id).

    Only records present in both are scored; a record missing from either is an error the
    caller should check separately (every staged record must have a person id).
    """
    joined = person_records.select("source_feed", "record_key", "person_id").join(
        truth.select("source_feed", "record_key", pl.col("person_id").alias("true_id")),
        on=["source_feed", "record_key"],
        how="inner",
    )

    def count(*by: str) -> int:
        return int(joined.group_by(*by).len().select(_pairs(pl.col("len"))).item() or 0)

    return PairwiseScores(
        records=joined.height,
        predicted_pairs=count("person_id"),
        true_pairs=count("true_id"),
        true_positive_pairs=count("person_id", "true_id"),
    )


def scores_by_group(
    person_records: pl.DataFrame, truth: pl.DataFrame, persons: pl.DataFrame, group: str
) -> pl.DataFrame:
    """Pairwise recall and precision per group of true persons (e.g. ethnic group).

    persons: the truth's person attributes (person_id, `group`). A true pair belongs to its
    person's group. A predicted pair belongs to a group when both its records' true persons
    are in it; predicted pairs joining records of two groups are false and counted in
    `cross_group_false_pairs`, which every group's precision would otherwise hide.
    """
    joined = (
        person_records.select("source_feed", "record_key", "person_id")
        .join(
            truth.select("source_feed", "record_key", pl.col("person_id").alias("true_id")),
            on=["source_feed", "record_key"],
            how="inner",
        )
        .join(
            persons.select(pl.col("person_id").alias("true_id"), pl.col(group).alias("group")), on="true_id", how="left"
        )
    )

    def pairs(*by: str) -> pl.DataFrame:
        return joined.group_by(*by).len().group_by("group").agg(_pairs(pl.col("len")).alias("pairs"))

    true_pairs = pairs("group", "true_id").rename({"pairs": "true_pairs"})
    predicted = pairs("group", "person_id").rename({"pairs": "predicted_pairs"})
    correct = pairs("group", "person_id", "true_id").rename({"pairs": "true_positive_pairs"})
    cross = joined.group_by("person_id").agg(pl.col("group").n_unique().alias("groups"))
    cross_total = int(
        joined.join(cross.filter(pl.col("groups") > 1), on="person_id")
        .group_by("person_id", "group")
        .len()
        .group_by("person_id")
        .agg(
            ((pl.col("len").sum() * (pl.col("len").sum() - 1) - (pl.col("len") * (pl.col("len") - 1)).sum()) / 2).alias(
                "x"
            )
        )
        .get_column("x")
        .sum()
        or 0
    )
    return (
        true_pairs.join(predicted, on="group", how="full", coalesce=True)
        .join(correct, on="group", how="full", coalesce=True)
        .fill_null(0)
        .with_columns(
            recall=pl.when(pl.col("true_pairs") > 0).then(pl.col("true_positive_pairs") / pl.col("true_pairs")),
            precision=pl.when(pl.col("predicted_pairs") > 0).then(
                pl.col("true_positive_pairs") / pl.col("predicted_pairs")
            ),
            cross_group_false_pairs=pl.lit(cross_total),
        )
        .sort("group")
    )


def _joined(person_records: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    return person_records.select("source_feed", "record_key", "person_id").join(
        truth.select("source_feed", "record_key", pl.col("person_id").alias("true_id")),
        on=["source_feed", "record_key"],
        how="inner",
    )


def scores_by_feed_pair(person_records: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """Pairwise precision, recall and F1 for pairs between each two feeds (and within one)."""
    joined = _joined(person_records, truth)

    def pairs(by: list[str], name: str) -> pl.DataFrame:
        counts = joined.group_by([*by, "source_feed"]).len()
        cross = counts.join(counts, on=by, suffix="_r").filter(pl.col("source_feed") <= pl.col("source_feed_r"))
        return (
            cross.with_columns(
                pairs=pl.when(pl.col("source_feed") == pl.col("source_feed_r"))
                .then(pl.col("len") * (pl.col("len") - 1) / 2)
                .otherwise(pl.col("len") * pl.col("len_r"))
            )
            .group_by(pl.col("source_feed").alias("feed_a"), pl.col("source_feed_r").alias("feed_b"))
            .agg(pl.col("pairs").sum().cast(pl.Int64).alias(name))
        )

    frame = (
        pairs(["true_id"], "true_pairs")
        .join(pairs(["person_id"], "predicted_pairs"), on=["feed_a", "feed_b"], how="full", coalesce=True)
        .join(
            pairs(["person_id", "true_id"], "true_positive_pairs"), on=["feed_a", "feed_b"], how="full", coalesce=True
        )
        .fill_null(0)
    )
    return (
        frame.with_columns(
            precision=pl.when(pl.col("predicted_pairs") > 0).then(
                pl.col("true_positive_pairs") / pl.col("predicted_pairs")
            ),
            recall=pl.when(pl.col("true_pairs") > 0).then(pl.col("true_positive_pairs") / pl.col("true_pairs")),
        )
        .with_columns(f1=2 * pl.col("precision") * pl.col("recall") / (pl.col("precision") + pl.col("recall")))
        .sort("feed_a", "feed_b")
    )


@dataclass(frozen=True)
class ClusterScores:
    predicted_clusters: int
    true_clusters: int
    exact_clusters: int

    @property
    def precision(self) -> float:
        return self.exact_clusters / self.predicted_clusters if self.predicted_clusters else 1.0

    @property
    def recall(self) -> float:
        return self.exact_clusters / self.true_clusters if self.true_clusters else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def cluster_scores(person_records: pl.DataFrame, truth: pl.DataFrame) -> ClusterScores:
    """A predicted person is correct when it holds exactly one true person's records, all of them."""
    joined = _joined(person_records, truth)
    true_sizes = joined.group_by("true_id").len().rename({"len": "true_size"})
    predicted = joined.group_by("person_id").agg(
        pl.col("true_id").n_unique().alias("ids"), pl.col("true_id").first(), pl.len()
    )
    exact = (
        predicted.filter(pl.col("ids") == 1).join(true_sizes, on="true_id").filter(pl.col("len") == pl.col("true_size"))
    )
    return ClusterScores(predicted.height, true_sizes.height, exact.height)
