"""Person ids survive a new delivery (and the retraining that comes with it)."""

import shutil
from pathlib import Path

import polars as pl
import pytest
from helpers import materialise_everything

from dagster_project import warehouse
from dagster_project.feeds import FEEDS
from dagster_project.pseudonymise.keys import write_new_key
from dagster_project.synthetic import SyntheticConfig, generate

pytestmark = pytest.mark.slow


def person_records(db: Path) -> pl.DataFrame:
    with warehouse.connect(db, read_only=True) as con:
        return warehouse.read_table(con, "linkage.person_records")


def test_persons_untouched_by_a_new_delivery_keep_their_person_id(tmp_path):
    generate(
        SyntheticConfig(
            landing=tmp_path / "all",
            truth=tmp_path / "truth",
            reference=tmp_path / "ref",
            people=1500,
            seed=17,
            progress=False,
        )
    )
    landing, new_files = tmp_path / "landing", []
    for feed in FEEDS:
        deliveries = sorted((tmp_path / "all" / feed).glob("*.csv"))
        (landing / feed).mkdir(parents=True)
        for path in deliveries[:-1]:
            shutil.copy(path, landing / feed / path.name)
        new_files.append(deliveries[-1])
    key = tmp_path / "key"
    write_new_key(key)
    paths = dict(
        warehouse=tmp_path / "w.duckdb",
        zone=tmp_path / "z.duckdb",
        landing=landing,
        key_file=key,
        models=tmp_path / "models",
    )
    assert materialise_everything(**paths).success
    before = person_records(tmp_path / "w.duckdb")

    for path in new_files:  # the second delivery arrives
        shutil.copy(path, landing / path.parent.name / path.name)
    assert materialise_everything(**paths).success
    after = person_records(tmp_path / "w.duckdb")

    new_keys = pl.concat(
        [
            pl.read_csv(p, infer_schema=False, columns=[FEEDS[p.parent.name].key]).select(
                pl.lit(p.parent.name).alias("source_feed"), pl.col(FEEDS[p.parent.name].key).alias("record_key")
            )
            for p in new_files
        ]
    )
    joined = before.join(after, on=["source_feed", "record_key"], suffix="_after")
    touched_now = after.join(new_keys, on=["source_feed", "record_key"]).get_column("person_id").unique()
    touched_before = before.join(new_keys, on=["source_feed", "record_key"]).get_column("person_id").unique()
    untouched = joined.filter(
        ~pl.col("person_id").is_in(touched_before.implode()) & ~pl.col("person_id_after").is_in(touched_now.implode())
    )
    kept = untouched.group_by("person_id").agg((pl.col("person_id_after") == pl.col("person_id")).all().alias("kept"))
    assert kept.height > 500  # most persons are untouched by one delivery
    assert kept.get_column("kept").mean() >= 0.99, kept.get_column("kept").mean()
    assert after.height > before.height
