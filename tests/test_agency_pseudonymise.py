"""Deliveries pseudonymised at the agency's site, mixed landing zones, and key rotation."""

import contextlib
import shutil
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from helpers import materialise_everything

from dagster_project import warehouse
from dagster_project.feeds import FEEDS
from dagster_project.pseudonymise.keys import HashKey, write_new_key
from dagster_project.staging.agency import Refused, main, pseudonymise_file
from dagster_project.staging.ingest import ingest_feed
from dagster_project.synthetic import SyntheticConfig, generate

pytestmark = pytest.mark.slow

BAD_ROWS = {
    "police": ",43/000125/23,VICTIM,NOKEY,Nobody,01/01/2000,M,W1,LU2 7XY,,105/01,Public order,2023-07-01 01:00,E01015124,N,N,N\n"
    "NL999999999,43/000126/23,VICTIM,SHORT,Row\n",
}


@pytest.fixture(scope="module")
def plaintext(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("agency")
    generate(
        SyntheticConfig(
            landing=root / "landing",
            truth=root / "truth",
            reference=root / "reference",
            people=400,
            seed=21,
            progress=False,
        )
    )
    first = sorted((root / "landing" / "police").glob("*.csv"))[0]
    with first.open("a", encoding="utf-8") as fh:  # rows the platform must reject, with reasons
        fh.write(BAD_ROWS["police"])
    return root / "landing"


def pseudonymised_copy(landing: Path, target: Path, key: HashKey, feeds=tuple(FEEDS)) -> Path:
    """A landing zone where `feeds` arrive pseudonymised by the agency, the rest plaintext.

    A delivery the platform would quarantine (e.g. header-only) is refused by the command,
    so the agency would not send it: it is left out, as it would be.
    """
    for feed in FEEDS:
        (target / feed).mkdir(parents=True, exist_ok=True)
        for path in sorted((landing / feed).glob("*.csv")):
            if feed not in feeds:
                shutil.copy(path, target / feed / path.name)
                continue
            with contextlib.suppress(Refused):
                pseudonymise_file(path, key, target / feed)
    return target


def materialise(root: Path, landing: Path, key_file: Path) -> dg.ExecuteInProcessResult:
    return materialise_everything(
        warehouse=root / "veru.duckdb",
        zone=root / "zone.duckdb",
        landing=landing,
        key_file=key_file,
        models=root / "models",
    )


def person_records(db: Path) -> pl.DataFrame:
    with warehouse.connect(db, read_only=True) as con:
        return warehouse.read_table(con, "linkage.person_records").sort("source_feed", "record_key")


def comparable(frame: pl.DataFrame) -> pl.DataFrame:
    """Drop the delivery file name, the one thing that differs (`.csv` vs `.pseudo.csv`)."""
    return frame.drop("delivery_file", strict=False)


def test_agency_output_stages_exactly_like_the_plaintext(plaintext, tmp_path, key):
    pseudo_landing = pseudonymised_copy(plaintext, tmp_path / "landing", key)
    for spec in FEEDS.values():
        a = ingest_feed(spec, plaintext, key)
        b = ingest_feed(spec, pseudo_landing, key)
        assert comparable(a.staging).equals(comparable(b.staging)), spec.name
        assert a.tokens.equals(b.tokens), spec.name
        assert comparable(a.rejects).equals(comparable(b.rejects)), spec.name
        assert comparable(a.problems).equals(comparable(b.problems)), spec.name
    police = ingest_feed(FEEDS["police"], pseudo_landing, key)
    assert police.rejects.height == 2 and police.deliveries["pseudonymised_at_source"].all()


@pytest.mark.parametrize("pseudonymised_feeds", [tuple(FEEDS), ("police", "health")], ids=["all", "mixed"])
def test_agency_output_gives_the_same_linked_persons(shared_world, tmp_path, pseudonymised_feeds):
    """The plaintext run is the session's shared world; the same deliveries, pseudonymised at the
    agency under the same key, are materialised here and must link into the same persons."""
    assert shared_world.result.success
    landing = pseudonymised_copy(shared_world.landing, tmp_path / "landing", shared_world.key, pseudonymised_feeds)
    assert materialise(tmp_path / "pseudo", landing, shared_world.key_file).success
    assert person_records(shared_world.warehouse).equals(person_records(tmp_path / "pseudo" / "veru.duckdb"))


def test_key_rotation_re_encodes_from_landing_and_never_mixes_tokens(plaintext, tmp_path):
    old_file, new_file = tmp_path / "old.key", tmp_path / "new.key"
    old, new = write_new_key(old_file), write_new_key(new_file)
    landing = pseudonymised_copy(plaintext, tmp_path / "landing", old, feeds=("yos",))
    root = tmp_path / "run"
    assert materialise(root, landing, old_file).success
    before = person_records(root / "veru.duckdb")

    # Rotate: the platform switches to the new key. Plaintext deliveries are re-encoded
    # from the landing zone; YOS's deliveries, made with the old key, are refused.
    result = materialise(root, landing, new_file)
    assert result.success
    with warehouse.connect(root / "zone.duckdb", read_only=True) as con:
        key_ids = {k for f in FEEDS for (k,) in con.sql(f"SELECT DISTINCT key_id FROM tokens.{f}").fetchall()}
        yos_tokens = con.sql("SELECT count(*) FROM tokens.yos").fetchall()[0][0]
    assert key_ids == {new.key_id}
    assert yos_tokens == 0
    with warehouse.connect(root / "veru.duckdb", read_only=True) as con:
        reasons = con.sql("SELECT DISTINCT reason FROM quality.deliveries WHERE feed = 'yos'").fetchall()
    assert len(reasons) == 1 and old.key_id in reasons[0][0] and new.key_id in reasons[0][0]
    yos_check = [c for c in result.get_asset_check_evaluations() if c.asset_key.path == ["staging", "yos"]]
    assert yos_check and not yos_check[0].passed

    # The agency re-runs the tool with the new key: everything is back, ids carried over.
    for path in (landing / "yos").glob("*.pseudo.csv"):
        path.unlink()
    pseudonymised_copy(plaintext, landing, new, feeds=("yos",))
    assert materialise(root, landing, new_file).success
    after = person_records(root / "veru.duckdb")
    assert after.height == before.height
    kept = before.join(after, on=["source_feed", "record_key"], suffix="_after")
    assert (kept["person_id"] == kept["person_id_after"]).mean() >= 0.99


def test_the_command_refuses_broken_deliveries_without_quoting_data(tmp_path, key, capsys, caplog):
    bad = tmp_path / "police_2024-01-01.csv"
    bad.write_text("nominal_link_id,surname\nNL000000001,ZQXWSENTINEL\n", encoding="utf-8")
    with pytest.raises(Refused, match="fails the police expectations"):
        pseudonymise_file(bad, key)
    assert not (tmp_path / "police_2024-01-01.pseudo.csv").exists()
    key_file = tmp_path / "k"
    write_new_key(key_file)
    assert main([str(bad), "--key-file", str(key_file)]) == 2
    assert "SENTINEL" not in capsys.readouterr().err + caplog.text
    with pytest.raises(Refused, match="cannot tell the feed"):
        pseudonymise_file(tmp_path / "extract.csv", key)
