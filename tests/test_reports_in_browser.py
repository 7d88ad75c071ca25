"""The linkage charts and dashboards render in a browser with no network (the aggregate charts
from beside the model, the per-record dashboards from the owner-only reports folder).

The pages are the ones the linkage asset wrote in the session's shared world (conftest.py
`shared_world`), found through the paths it records in its metadata; Chromium only reads them."""

from pathlib import Path

import pytest
from browser import not_blank, open_offline

pytestmark = pytest.mark.slow

PAGES = (
    "match_weights",
    "m_u_parameters",
    "match_weight_histogram",
    "blocking_rules",
    "comparison_viewer",
    "cluster_studio",
)


@pytest.fixture
def reports(shared_world) -> dict[str, Path]:
    (linked,) = [
        e
        for e in shared_world.result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "linkage/person_records"
    ]
    metadata = linked.materialization.metadata
    reports = {page: Path(metadata[f"chart_{page}"].value) for page in PAGES}
    private = shared_world.linkage_reports.resolve()
    assert {reports[p].parent.parent for p in ("comparison_viewer", "cluster_studio")} == {private}
    return reports


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_its_charts_offline(reports, page, tmp_path):
    shot = tmp_path / f"{page}.png"
    dom = open_offline(reports[page], shot, tmp_path / "profile", wait_for='class="marks"')
    colours, inked = not_blank(shot)
    assert colours >= 12 and inked >= 0.03, (page, colours, inked)
    assert 'class="marks"' in dom  # vega drew its marks (an SVG or canvas), i.e. the scripts ran
