"""Every broken-delivery scenario is flagged on the dashboard with the right status and a reason
that names the problem; the run does not crash; the other feeds and the broken feed's last good
data stay intact; a later good delivery clears the flag."""

import datetime as dt
import shutil
from pathlib import Path

import pytest

from dagster_project import warehouse
from dagster_project.feeds import FEEDS
from dagster_project.feeds.delivery import discover
from dagster_project.tools.break_feeds import SCENARIOS, break_feed, late_as_of
from dagster_project.tools.drill import FEED_FOR, healthy_world, last_date, statuses
from dagster_project.tools.drill import materialise as run

pytestmark = pytest.mark.slow


def staged(root: Path) -> dict[str, list[tuple]]:
    with warehouse.connect(root / "veru.duckdb", read_only=True) as con:
        return {f: con.sql(f"SELECT record_key, delivery_file FROM staging.{f} ORDER BY ALL").fetchall() for f in FEEDS}


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> tuple[Path, dict]:
    """A healthy world: four good deliveries per feed, materialised once."""
    root = tmp_path_factory.mktemp("good")
    healthy_world(root, people=1200, seed=41)
    assert {f: s for f, (s, _) in statuses(root).items()} == dict.fromkeys(FEEDS, "healthy"), statuses(root)
    return root, staged(root)


def test_every_scenario_is_covered():
    assert set(FEED_FOR) == set(SCENARIOS) and len(SCENARIOS) >= 10


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_broken_delivery_is_flagged_kept_apart_and_cleared_by_a_good_one(good, tmp_path, name):
    source, before = good
    root = tmp_path / "world"
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("*.wal"))
    scenario, feed = SCENARIOS[name], FEED_FOR[name]
    good_file = discover(root / "landing", feed)[0][-1].path

    broken = break_feed(root / "landing", feed, name)
    as_of = late_as_of(root / "landing", feed) if broken is None else last_date(root, feed) + dt.timedelta(days=7)
    result = run(root, as_of)
    assert result.success, name  # the run does not crash

    status, reason = statuses(root)[feed]
    assert status == scenario.status, (name, reason)
    for word in scenario.reason_words:
        assert word in reason.lower(), (name, word, reason)
    others = {f: s for f, (s, _) in statuses(root).items() if f != feed}
    if name != "late":
        assert set(others.values()) == {"healthy"}, others
    after = staged(root)
    for other in FEEDS:
        if other != feed:
            assert after[other] == before[other], other  # other feeds untouched
    if scenario.status in ("broken", "late") or name == "delivered_twice":
        assert after[feed] == before[feed]  # the last good data, exactly
    else:
        assert {k for k, _ in before[feed]} <= {k for k, _ in after[feed]}  # loaded on top of the good data

    # the dashboard says it, and Dagster says the same as an asset check
    page = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert f'data-feed="{feed}" data-status="{scenario.status}"' in page
    checks = {(c.asset_key.path[-1], c.check_name): c for c in result.get_asset_check_evaluations()}
    health = checks[(feed, "feed_health")]
    assert not health.passed and health.metadata["status"].value == scenario.status
    overall = checks[("dashboard", "feeds_healthy")]
    assert not overall.passed and overall.metadata[feed].value == scenario.status
    assert f"{feed} {scenario.status.upper()}" in overall.description
    if scenario.status == "broken":  # moved to the quarantine area with its report
        assert broken is not None and not broken.exists()
        assert (root / "quarantine" / feed / broken.name).exists()
        assert (root / "quarantine" / feed / f"{broken.name}.report.json").exists()

    # a later good delivery clears the flag (after the data engineer's remedy, where one is needed)
    if scenario.remedy is not None:
        scenario.remedy(broken)
    header, *rows = good_file.read_bytes().decode("utf-8").splitlines(keepends=True)
    fresh_date = max(as_of, last_date(root, feed)) + dt.timedelta(days=30)
    (root / "landing" / feed / f"{feed}_{fresh_date.isoformat()}.csv").write_text(
        header + "".join(rows[:-1]), encoding="utf-8"
    )  # the same records re-sent, less one: a different, good file
    cleared = run(root, fresh_date + dt.timedelta(days=3))
    assert cleared.success
    assert statuses(root)[feed][0] == "healthy", statuses(root)[feed]
    checks = {(c.asset_key.path[-1], c.check_name): c for c in cleared.get_asset_check_evaluations()}
    assert checks[(feed, "feed_health")].passed, checks[(feed, "feed_health")].description
    assert checks[("dashboard", "feeds_healthy")].metadata[feed].value == "healthy"


@pytest.mark.skipif(
    shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
    reason="Chromium is not installed (`make test` installs it)",
)
def test_the_dashboard_shows_a_broken_feed_as_broken_in_a_browser_with_no_network(good, tmp_path):
    from browser import not_blank, open_offline
    from PIL import Image

    source, _ = good
    root = tmp_path / "world"
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("*.wal"))
    break_feed(root / "landing", "police", "wrong_delimiter")
    assert run(root, last_date(root, "police") + dt.timedelta(days=7)).success
    index = root / "site" / "index.html"
    assert "http://" not in index.read_text(encoding="utf-8") and "https://" not in index.read_text(encoding="utf-8")

    shot = tmp_path / "dashboard.png"
    dom = open_offline(index, shot, tmp_path / "profile")
    colours, inked = not_blank(shot)
    assert colours >= 12 and inked >= 0.05, (colours, inked)
    assert 'data-feed="police" data-status="broken"' in dom and "BROKEN" in dom
    assert "1 broken: police" in dom  # the banner names it
    # the banner and the card are drawn in the broken colour (#c62828), impossible to miss
    image = Image.open(shot).convert("RGB")
    red = sum(1 for r, g, b in image.getdata() if r > 180 and g < 70 and b < 70)
    assert red / (image.width * image.height) > 0.01, red

    # the linked Data Docs page of the broken delivery opens offline too
    page = next((root / "site" / "validations" / "police").glob("police_*.html"))
    page_dom = open_offline(page, tmp_path / "page.png", tmp_path / "profile2")
    assert "Expectation Validation Result" in page_dom or "Validation" in page_dom


def test_the_drill_reports_each_scenario_and_whether_it_was_flagged_as_expected(tmp_path, capsys):
    from dagster_project.tools.drill import main

    code = main(["--workdir", str(tmp_path / "drill"), "--people", "600", "--seed", "5", "--scenarios", "header_only"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "header_only (yos): BROKEN [ok]" in printed and "banner: ✖ 1 broken: yos" in printed
    assert "1 of 1 scenarios flagged as expected" in printed
    assert not (tmp_path / "drill").exists()  # nothing left behind without --keep
