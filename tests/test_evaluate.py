import polars as pl
import pytest

from dagster_project.linkage.evaluate import pairwise_scores


def frame(rows):
    return pl.DataFrame(rows, schema=["source_feed", "record_key", "person_id"], orient="row")


def test_pairwise_scores_count_pairs_inside_clusters():
    truth = frame([("p", "1", "A"), ("p", "2", "A"), ("h", "3", "A"), ("h", "4", "B"), ("y", "5", "B")])
    # predicted: {1,2} together, 3 alone (missed), {4,5} together, plus 3 wrongly with nobody.
    predicted = frame([("p", "1", "X"), ("p", "2", "X"), ("h", "3", "Y"), ("h", "4", "Z"), ("y", "5", "Z")])
    s = pairwise_scores(predicted, truth)
    assert (s.true_pairs, s.predicted_pairs, s.true_positive_pairs) == (4, 2, 2)
    assert s.precision == 1.0
    assert s.recall == pytest.approx(0.5)
    assert s.f1 == pytest.approx(2 / 3)


def test_over_linking_lowers_precision():
    truth = frame([("p", "1", "A"), ("p", "2", "B"), ("p", "3", "B")])
    predicted = frame([("p", "1", "X"), ("p", "2", "X"), ("p", "3", "X")])
    s = pairwise_scores(predicted, truth)
    assert s.precision == pytest.approx(1 / 3)
    assert s.recall == 1.0
