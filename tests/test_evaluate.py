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


def test_scores_by_feed_pair_count_cross_feed_pairs():
    from dagster_project.linkage.evaluate import scores_by_feed_pair

    truth = frame([("p", "1", "A"), ("h", "2", "A"), ("h", "3", "A"), ("p", "4", "B")])
    predicted = frame([("p", "1", "X"), ("h", "2", "X"), ("h", "3", "Y"), ("p", "4", "X")])
    s = {(r["feed_a"], r["feed_b"]): r for r in scores_by_feed_pair(predicted, truth).iter_rows(named=True)}
    # true: h-p pairs 1*2=2, h-h 1; predicted: X holds p1,h2,p4 -> h-p 2, p-p 1; Y alone
    assert (s[("h", "p")]["true_pairs"], s[("h", "p")]["predicted_pairs"], s[("h", "p")]["true_positive_pairs"]) == (
        2,
        2,
        1,
    )
    assert s[("h", "h")]["recall"] == 0.0
    assert s[("p", "p")]["precision"] == 0.0


def test_cluster_scores_count_only_exact_clusters():
    from dagster_project.linkage.evaluate import cluster_scores

    truth = frame([("p", "1", "A"), ("p", "2", "A"), ("p", "3", "B"), ("p", "4", "C")])
    predicted = frame([("p", "1", "X"), ("p", "2", "X"), ("p", "3", "Y"), ("p", "4", "Y")])
    s = cluster_scores(predicted, truth)
    assert (s.predicted_clusters, s.true_clusters, s.exact_clusters) == (2, 3, 1)
    assert s.precision == 0.5 and s.recall == pytest.approx(1 / 3)
