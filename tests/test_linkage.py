"""Linkage on tokens: trains on small populations, refuses mixed keys, scores well."""

import polars as pl
import pytest

from dagster_project.feeds import FEEDS
from dagster_project.feeds.ingest import ingest_feed
from dagster_project.linkage.evaluate import pairwise_scores
from dagster_project.linkage.run import KeyMismatchError, link_records
from dagster_project.linkage.splink_compat import _clamped
from dagster_project.synthetic import SyntheticConfig, generate


@pytest.fixture(scope="module")
def population(tmp_path_factory):
    # Seed 2 at 1,000 people used to crash Splink 5's EM (an m-probability of exactly 0.0).
    root = tmp_path_factory.mktemp("linkage")
    config = SyntheticConfig(landing=root / "l", truth=root / "t", reference=root / "r", people=1000, seed=2, progress=False)
    generate(config)
    return config


def tokens_for(config, key):
    return pl.concat([ingest_feed(spec, config.landing, key).tokens for spec in FEEDS.values()], how="vertical_relaxed")


def test_small_population_trains_and_links_well(population, key, tmp_path):
    result = link_records(tokens_for(population, key), model_dir=tmp_path / "models")
    truth = pl.read_csv(population.truth / "ground_truth.csv", infer_schema=False)
    scores = pairwise_scores(result.person_records, truth)
    assert scores.precision >= 0.98 and scores.recall >= 0.95, scores.as_dict()
    assert result.model_path is not None and result.model_path.exists()
    assert result.person_records.get_column("person_id").null_count() == 0


def test_tokens_from_two_keys_are_never_compared(population, key, other_key):
    mixed = pl.concat([tokens_for(population, key).head(50), tokens_for(population, other_key).tail(50)])
    with pytest.raises(KeyMismatchError, match="different keys"):
        link_records(mixed, model_dir=None)


def test_em_estimates_of_zero_are_clamped_to_splinks_minimum():
    lookup = {"sex": {0: {"m_probability": 0.0, "u_probability": 0.5}, 1: {"m_probability": 0.9, "u_probability": 1e-320}}}
    out = _clamped(lookup, 1e-300)
    assert out["sex"][0] == {"m_probability": 1e-300, "u_probability": 0.5}
    assert out["sex"][1] == {"m_probability": 0.9, "u_probability": 1e-300}
    assert lookup["sex"][0]["m_probability"] == 0.0  # the input is not modified
