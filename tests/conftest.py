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
    as_of: str = "2025-01-12",
):
    """Materialise every asset (with their checks) in-process against these paths."""
    import dagster as dg

    from dagster_project.definitions import defs
    from dagster_project.resources import (
        AnalystSnapshotResource,
        HashKeyResource,
        LandingZoneResource,
        LinkageZoneResource,
        ModelStoreResource,
        QualityResource,
        ReferenceResource,
        WarehouseResource,
    )

    return dg.materialize(
        list(defs.assets),
        resources={
            "warehouse_db": WarehouseResource(path=str(warehouse)),
            "linkage_zone": LinkageZoneResource(path=str(zone)),
            "landing": LandingZoneResource(path=str(landing)),
            "hash_key": HashKeyResource(key_file=str(key_file)),
            "model_store": ModelStoreResource(
                path=str(models), reports_path=str(Path(zone).with_name("linkage_reports"))
            ),
            "reference": ReferenceResource(path=str(reference or landing.parent / "reference")),
            "analyst": AnalystSnapshotResource(
                path=str(analyst or Path(warehouse).with_name("analyst.duckdb")),
                restricted_path=str(Path(analyst or Path(warehouse).with_name("analyst.duckdb")).with_name(
                    "analyst_restricted.duckdb"
                )),
            ),
            "quality": QualityResource(
                quarantine_dir=str(quarantine or Path(warehouse).with_name("quarantine")),
                dashboard_dir=str(dashboard or Path(warehouse).with_name("quality_site")),
                as_of=as_of,
            ),
        },
        instance=dg.DagsterInstance.ephemeral(),
    )
