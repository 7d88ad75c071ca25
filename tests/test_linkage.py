"""Linkage on tokens: trains on small populations, refuses mixed keys, scores well, and keeps
every report that shows a record out of the model's folder."""

import re
import stat

import polars as pl
import pytest

from dagster_project.feeds import FEEDS
from dagster_project.linkage.evaluate import pairwise_scores
from dagster_project.linkage.reports import AGGREGATE_REPORTS, PER_RECORD_REPORTS, private_folder
from dagster_project.linkage.run import KeyMismatchError, link_records
from dagster_project.linkage.splink_compat import _clamped
from dagster_project.pseudonymise.encode import LIST_TOKEN_COLUMNS, STRING_TOKEN_COLUMNS
from dagster_project.pseudonymise.keys import HashKey
from dagster_project.staging.ingest import ingest_feed
from dagster_project.synthetic import SyntheticConfig, generate


@pytest.fixture(scope="module")
def population(tmp_path_factory):
    # Seed 2 at 1,000 people used to crash Splink 5's EM (an m-probability of exactly 0.0).
    root = tmp_path_factory.mktemp("linkage")
    config = SyntheticConfig(
        landing=root / "l", truth=root / "t", reference=root / "r", people=1000, seed=2, progress=False
    )
    generate(config)
    return config


def tokens_for(config, key):
    return pl.concat([ingest_feed(spec, config.landing, key).tokens for spec in FEEDS.values()], how="vertical_relaxed")


@pytest.fixture(scope="module")
def linked(population, tmp_path_factory):
    """One linkage run with every report, as the linkage asset makes it."""
    root = tmp_path_factory.mktemp("linked")
    tokens = tokens_for(population, HashKey(bytes(range(32)), source="test"))
    result = link_records(
        tokens, model_dir=root / "models", reports=True, private_reports_dir=root / "warehouse" / "linkage_reports"
    )
    return root, tokens, result


def test_small_population_trains_and_links_well(population, linked):
    _, _, result = linked
    truth = pl.read_csv(population.truth / "ground_truth.csv", infer_schema=False)
    scores = pairwise_scores(result.person_records, truth)
    assert scores.precision >= 0.98 and scores.recall >= 0.95, scores.as_dict()
    assert result.model_path is not None and result.model_path.exists()
    assert result.person_records.get_column("person_id").null_count() == 0


TOKEN_24 = re.compile(r"(?<![0-9a-fA-F])[0-9a-f]{24}(?![0-9a-fA-F])")  # the shape of every exact token
RECORD_KEY = re.compile("|".join(spec.key_pattern.strip("^$") for spec in FEEDS.values()))
BYTES_REPR = "b'\\\\x"  # how Splink's dashboards print a Bloom filter: b'\\x00...' inside JSON


def known_values(tokens: pl.DataFrame) -> tuple[set[str], set[str]]:
    """Every token (string and list columns) and every record key of the linked records."""
    found: set[str] = set()
    for column in STRING_TOKEN_COLUMNS:
        found |= set(tokens.get_column(column).drop_nulls().to_list())
    for column in LIST_TOKEN_COLUMNS:
        found |= set(tokens.get_column(column).explode().drop_nulls().to_list())
    return found, set(tokens.get_column("record_key").to_list())


def leaks(text: str, known: tuple[set[str], set[str]]) -> dict[str, int]:
    """What in `text` is a token, a Bloom filter or a record id (counts by kind)."""
    known_tokens, known_keys = known
    keys = {m.group(0) for m in RECORD_KEY.finditer(text)}
    return {
        "24-hex tokens": len(TOKEN_24.findall(text)),
        "known tokens": len(set(re.findall(r"[0-9a-f]{8,}", text)) & known_tokens),
        "bloom filters": text.count(BYTES_REPR),
        "record-key patterns": len(keys),
        "known record keys": len(keys & known_keys),
    }


def test_nothing_beside_the_model_holds_a_token_a_bloom_filter_or_a_record_id(linked):
    root, tokens, result = linked
    known = known_values(tokens)
    files = [p for p in (root / "models").rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"model.json", "provenance.json", "match_weights.html", "blocking_analysis.csv"}
    for path in files:
        found = leaks(path.read_bytes().decode("utf-8", errors="replace"), known)
        assert set(found.values()) == {0}, (path.name, found)


def test_the_scan_finds_what_the_dashboards_show(linked):
    """The scan is not blind: the per-record dashboards hold every kind it looks for."""
    _, tokens, result = linked
    known = known_values(tokens)
    for name in PER_RECORD_REPORTS:
        found = leaks(result.reports[name].read_text(encoding="utf-8"), known)
        assert min(found.values()) > 0, (name, found)


def test_dashboards_that_show_records_are_only_in_the_owner_only_reports_folder(linked):
    root, _, result = linked
    reports_root = root / "warehouse" / "linkage_reports"
    model_folder = result.model_path.parent
    assert set(result.reports) == set(AGGREGATE_REPORTS) | set(PER_RECORD_REPORTS)
    for name in AGGREGATE_REPORTS:
        assert result.reports[name].parent == model_folder, name
    for name in PER_RECORD_REPORTS:
        path = result.reports[name]
        assert path.parent == reports_root / model_folder.name, name  # paired with its model by name
        assert not (model_folder / path.name).exists()
    for folder in (reports_root, reports_root / model_folder.name):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    private_files = list(reports_root.rglob("*"))
    assert {p.name for p in private_files if p.is_file()} == {f"{n}.html" for n in PER_RECORD_REPORTS}
    for path in private_files:
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for path in model_folder.iterdir():
        if path.suffix in (".html", ".csv"):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_reports_folder_left_open_is_closed_and_a_run_folder_is_never_reused(tmp_path):
    root = tmp_path / "linkage_reports"
    root.mkdir(mode=0o755)
    root.chmod(0o755)
    folder = private_folder(root, "veru_tokens_v2_20250101T000000Z")
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    with pytest.raises(FileExistsError):
        private_folder(root, "veru_tokens_v2_20250101T000000Z")


def test_a_new_reports_folder_is_owner_only_whatever_the_umask(tmp_path):
    import os

    old = os.umask(0o000)
    try:
        folder = private_folder(tmp_path / "a" / "b" / "linkage_reports", "run")
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_tokens_from_two_keys_are_never_compared(population, key, other_key):
    mixed = pl.concat([tokens_for(population, key).head(50), tokens_for(population, other_key).tail(50)])
    with pytest.raises(KeyMismatchError, match="different keys"):
        link_records(mixed, model_dir=None)


def test_em_estimates_of_zero_are_clamped_to_splinks_minimum():
    lookup = {
        "sex": {0: {"m_probability": 0.0, "u_probability": 0.5}, 1: {"m_probability": 0.9, "u_probability": 1e-320}}
    }
    out = _clamped(lookup, 1e-300)
    assert out["sex"][0] == {"m_probability": 1e-300, "u_probability": 0.5}
    assert out["sex"][1] == {"m_probability": 0.9, "u_probability": 1e-300}
    assert lookup["sex"][0]["m_probability"] == 0.0  # the input is not modified
