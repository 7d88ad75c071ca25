"""Shared fixtures: small fixed data, temporary paths, a throwaway key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dagster_project.pseudonymise.keys import HashKey


@pytest.fixture
def key() -> HashKey:
    return HashKey(secret=bytes(range(32)), source="test")


@pytest.fixture
def other_key() -> HashKey:
    return HashKey(secret=bytes(range(1, 33)), source="test-other")


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    for feed in ("police", "social_care", "health", "yos"):
        (root / feed).mkdir(parents=True)
    return root


def write_delivery(landing: Path, feed: str, date: str, text: str, *, bom: bool = False) -> Path:
    path = landing / feed / f"{feed}_{date}.csv"
    data = text.lstrip("\n").encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


@pytest.fixture(autouse=True)
def _no_ambient_env(monkeypatch):
    """Tests never see the developer's own environment variables."""
    for var in list(os.environ):
        if var.startswith("VERU_"):
            monkeypatch.delenv(var, raising=False)


def materialise_everything(
    *, warehouse: Path, zone: Path, landing: Path, key_file: Path, models: Path, reference: Path | None = None,
    analyst: Path | None = None, quarantine: Path | None = None, dashboard: Path | None = None,
    as_of: str = "2025-01-12", truth: Path | None = None,
):
    """Materialise every asset (with their checks) in-process against these paths."""
    import dagster as dg

    from dagster_project.definitions import defs
    from dagster_project.resources import resources_for
    from dagster_project.settings import Environment

    snapshot = Path(analyst or Path(warehouse).with_name("analyst.duckdb"))
    env = Environment(
        landing_dir=Path(landing), warehouse=Path(warehouse), hash_key_file=Path(key_file), model_dir=Path(models),
        linkage_zone=Path(zone), reference_dir=Path(reference or Path(landing).parent / "reference"),
        analyst_snapshot=snapshot, restricted_snapshot=snapshot.with_name("analyst_restricted.duckdb"),
        truth_dir=truth, quarantine_dir=Path(quarantine or Path(warehouse).with_name("quarantine")),
        dashboard_dir=Path(dashboard or Path(warehouse).with_name("quality_site")), as_of=as_of,
        linkage_reports=Path(zone).with_name("linkage_reports"),
    )
    return dg.materialize(
        [*defs.assets, *defs.asset_checks], resources=resources_for(env), instance=dg.DagsterInstance.ephemeral()
    )
