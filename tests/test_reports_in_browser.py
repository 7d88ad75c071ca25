"""The linkage charts and dashboards render in a browser with no network (the aggregate charts
from beside the model, the per-record dashboards from the owner-only reports folder)."""

from pathlib import Path

import polars as pl
import pytest

from browser import not_blank, open_offline
from dagster_project.feeds import FEEDS
from dagster_project.staging.ingest import ingest_feed
from dagster_project.linkage.run import link_records
from dagster_project.synthetic import SyntheticConfig, generate

pytestmark = pytest.mark.slow

PAGES = ("match_weights", "m_u_parameters", "match_weight_histogram", "blocking_rules", "comparison_viewer", "cluster_studio")


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    from dagster_project.pseudonymise.keys import HashKey

    root = tmp_path_factory.mktemp("reports")
    config = SyntheticConfig(landing=root / "l", truth=root / "t", reference=root / "r", people=800, seed=5, progress=False)
    generate(config)
    key = HashKey(bytes(range(32)))
    tokens = pl.concat([ingest_feed(spec, config.landing, key).tokens for spec in FEEDS.values()], how="vertical_relaxed")
    reports = link_records(tokens, model_dir=root / "models", reports=True, private_reports_dir=root / "private").reports
    assert {reports[p].parent.parent for p in ("comparison_viewer", "cluster_studio")} == {root / "private"}
    return reports


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_its_charts_offline(reports, page, tmp_path):
    shot = tmp_path / f"{page}.png"
    dom = open_offline(reports[page], shot, tmp_path / "profile", wait_for='class="marks"')
    colours, inked = not_blank(shot)
    assert colours >= 12 and inked >= 0.03, (page, colours, inked)
    assert 'class="marks"' in dom  # vega drew its marks (an SVG or canvas), i.e. the scripts ran
