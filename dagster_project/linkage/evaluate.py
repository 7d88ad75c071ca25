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
