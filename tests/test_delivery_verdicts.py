"""Verdicts are kept (issue 10, finding 1): a run on a wrong date, or with a stricter suite, never
moves accepted history out of the landing zone or out of staging; a person can put a quarantined
delivery back with `veru-release`. Through the staging assets and the dashboard, as a run does it."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest

from dagster_project import warehouse
from dagster_project.feeds import FEEDS
from dagster_project.settings import Environment
from dagster_project.staging.release import ReleaseRefused, release
from dagster_project.tools.break_feeds import break_feed
from dagster_project.tools.drill import healthy_world, last_date, statuses
from dagster_project.tools.drill import materialise as run

pytestmark = pytest.mark.slow


def staged_counts(root: Path) -> dict[str, int]:
    with warehouse.connect(root / "veru.duckdb", read_only=True) as con:
        return {f: con.sql(f"SELECT count(*) FROM staging.{f}").fetchall()[0][0] for f in FEEDS}


def delivery_rows(root: Path, feed: str) -> pl.DataFrame:
    with warehouse.connect(root / "veru.duckdb", read_only=True) as con:
        return con.sql("SELECT * FROM quality.deliveries WHERE feed = ? ORDER BY delivery_file", params=[feed]).pl()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tuple[Path, dt.date]:
    root = tmp_path_factory.mktemp("verdicts")
    as_of = healthy_world(root, people=500, seed=73)
    return root, as_of


def copy(world, tmp_path: Path) -> Path:
    root = tmp_path / "world"
    shutil.copytree(world[0], root, ignore=shutil.ignore_patterns("*.wal"))
    return root


def env_for(root: Path) -> Environment:
    return Environment(
        landing_dir=root / "landing",
        warehouse=root / "veru.duckdb",
        hash_key_file=root / "key",
        model_dir=root / "models",
        linkage_zone=root / "zone.duckdb",
        quarantine_dir=root / "quarantine",
    )


def test_a_run_on_a_wrong_date_loses_nothing_and_the_right_date_restores_health(world, tmp_path):
    root = copy(world, tmp_path)
    before = staged_counts(root)
    files = sorted(p.name for p in (root / "landing" / "police").iterdir())

    wrong = run(root, dt.date(2024, 1, 6))  # a server clock set a year early
    assert wrong.success
    assert staged_counts(root) == before
    assert sorted(p.name for p in (root / "landing" / "police").iterdir()) == files
    assert not (root / "quarantine").exists() or not any((root / "quarantine").rglob("*.csv"))
    status, reason = statuses(root)["police"]
    assert status == "degraded" and "dated" in reason and "after 2024-01-06" in reason

    right = run(root, world[1])
    assert right.success and staged_counts(root) == before
    assert {f: s for f, (s, _) in statuses(root).items()} == dict.fromkeys(FEEDS, "healthy")


def test_a_quarantined_delivery_released_by_a_person_is_loaded_by_the_next_run(world, tmp_path):
    root = copy(world, tmp_path)
    broken = break_feed(root / "landing", "police", "dob_format_changed")
    as_of = last_date(root, "police") + dt.timedelta(days=7)
    assert run(root, as_of).success
    assert statuses(root)["police"][0] == "broken"
    quarantined = root / "quarantine" / "police" / broken.name
    assert quarantined.exists() and not broken.exists()

    with pytest.raises(ReleaseRefused, match="--note"):
        release(quarantined, env=env_for(root), note=" ")
    done = release(
        quarantined, env=env_for(root), note="format change confirmed with the force", released_by="analyst1"
    )
    assert done.landing_path == broken and broken.exists() and not quarantined.exists()
    assert (quarantined.parent / f"{broken.name}.released.json").exists()

    before = staged_counts(root)["police"]
    assert run(root, as_of).success
    row = delivery_rows(root, "police").filter(pl.col("delivery_file") == broken.name).row(0, named=True)
    assert row["status"] == "accepted" and "released on" in row["reason"] and "by analyst1" in row["reason"]
    assert staged_counts(root)["police"] >= before  # its records are served
    assert broken.exists()  # and it stays


def test_release_refuses_what_no_review_can_make_loadable(world, tmp_path):
    root = copy(world, tmp_path)
    env = env_for(root)
    broken = break_feed(root / "landing", "health", "gzip_named_csv")
    as_of = last_date(root, "health") + dt.timedelta(days=7)
    assert run(root, as_of).success
    quarantined = root / "quarantine" / "health" / broken.name
    with pytest.raises(ReleaseRefused, match="cannot be loaded whatever anyone decides"):
        release(quarantined, env=env, note="looked fine")
    assert quarantined.exists() and not broken.exists()

    report = quarantined.with_name(quarantined.name + ".report.json")
    with pytest.raises(ReleaseRefused, match="quarantine report"):
        release(report, env=env, note="x")
    outside = tmp_path / "health_2024-01-01.csv"
    outside.write_text("x")
    with pytest.raises(ReleaseRefused, match="not inside the quarantine area"):
        release(outside, env=env, note="x")
