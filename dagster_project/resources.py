"""Dagster resources shared by every domain, configured from the environment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import duckdb

from dagster_project import warehouse
from dagster_project.pseudonymise.keys import HashKey, MissingKeyError
from dagster_project.settings import (
    AS_OF_VAR,
    DEFAULT_DASHBOARD_DIR,
    DEFAULT_LINKAGE_REPORTS,
    DEFAULT_MAX_DELIVERY_BYTES,
    DEFAULT_QUARANTINE_DIR,
    DEFAULT_RESTRICTED_SNAPSHOT,
    HASH_KEY_FILE_VAR,
    Environment,
)

if TYPE_CHECKING:
    import polars as pl


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file (`VERU_WAREHOUSE`): readable by its owner only (it holds every
    person-level detail and the quality tables; analysts read the published snapshots)."""

    path: str

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(self.path, read_only=read_only, private=True) as con:
            yield con


class LinkageZoneResource(dg.ConfigurableResource):
    """The linkage zone (`VERU_LINKAGE_ZONE`): a separate DuckDB file, readable by its owner
    only, holding every token and the pairwise link evidence. Analysts never get it: the
    warehouse they read holds attributes and person ids only (the split-file model)."""

    path: str

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(self.path, read_only=read_only, private=True) as con:
            yield con


class LandingZoneResource(dg.ConfigurableResource):
    """Where agencies drop their delivery files (`VERU_LANDING_DIR`); deliveries larger than
    `max_delivery_bytes` (`VERU_MAX_DELIVERY_BYTES`) are refused unread."""

    path: str
    max_delivery_bytes: int = DEFAULT_MAX_DELIVERY_BYTES

    @property
    def root(self) -> Path:
        return Path(self.path)


class AnalystSnapshotResource(dg.ConfigurableResource):
    """Where the analyst snapshots are published: the default tier (`VERU_ANALYST_SNAPSHOT`),
    the restricted tier for named analysts (`VERU_RESTRICTED_SNAPSHOT`), and the group that
    may read them (`VERU_ANALYST_GROUP`; empty keeps the owner's primary group)."""

    path: str
    restricted_path: str = DEFAULT_RESTRICTED_SNAPSHOT
    group: str = ""

    @property
    def root(self) -> Path:
        return Path(self.path)

    @property
    def restricted_root(self) -> Path:
        return Path(self.restricted_path)


class ReferenceResource(dg.ConfigurableResource):
    """The reference geography files (`VERU_REFERENCE_DIR`): see `dagster_project.reference`."""

    path: str

    @property
    def root(self) -> Path:
        return Path(self.path)


class HashKeyResource(dg.ConfigurableResource):
    """The secret pseudonymisation key, read from the file named by `VERU_HASH_KEY_FILE`.

    Without a key file the pipeline refuses to run: nothing can be staged unencoded.
    """

    key_file: str = ""

    def load(self) -> HashKey:
        if not self.key_file:
            raise MissingKeyError(
                f"No pseudonymisation key: {HASH_KEY_FILE_VAR} is not set. The pipeline refuses "
                "to run without a secret key; set it to the key file's path (for a local demo, "
                "`python -m dagster_project.keys ensure-dev-key secrets/dev.key`)."
            )
        return HashKey.from_file(self.key_file)


class ModelStoreResource(dg.ConfigurableResource):
    """Where trained linkage models and their charts are written (`VERU_MODEL_DIR`), and the
    owner-only folder for reports that embed tokens (`VERU_LINKAGE_REPORTS`)."""

    path: str
    reports_path: str = DEFAULT_LINKAGE_REPORTS

    @property
    def root(self) -> Path:
        return Path(self.path)

    @property
    def reports_root(self) -> Path:
        return Path(self.reports_path)


class GroundTruthResource(dg.ConfigurableResource):
    """A synthetic ground truth (`VERU_TRUTH_DIR`, written by veru-synth): ground_truth.csv
    and persons.csv. Only the evaluation asset reads it; real deployments have none."""

    path: str = ""

    @property
    def configured(self) -> bool:
        """A ground truth is configured (empty path: none, the evaluation is skipped)."""
        return bool(self.path)

    def read(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        import polars as pl

        root = Path(self.path)
        return (
            pl.read_csv(root / "ground_truth.csv", infer_schema=False),
            pl.read_csv(root / "persons.csv", infer_schema=False),
        )


class QualityResource(dg.ConfigurableResource):
    """Where broken deliveries and the quality dashboard go, and the date freshness is judged on.

    quarantine_dir (`VERU_QUARANTINE_DIR`): quarantined delivery files are moved here (never
    copied: they hold plaintext), each beside a report of why. Protect it like the landing zone.
    dashboard_dir (`VERU_DASHBOARD_DIR`): the static quality dashboard, rebuilt every run.
    as_of (`VERU_AS_OF`, ISO date): "today" for freshness and future-date checks; empty = today.
    """

    quarantine_dir: str = DEFAULT_QUARANTINE_DIR
    dashboard_dir: str = DEFAULT_DASHBOARD_DIR
    as_of: str = ""

    def today(self) -> dt.date:
        if not self.as_of:
            return dt.date.today()
        try:
            return dt.date.fromisoformat(self.as_of)
        except ValueError:
            raise ValueError(f"{AS_OF_VAR} must be an ISO date (YYYY-MM-DD); supplied value {self.as_of!r}.") from None


def resources_for(env: Environment) -> dict[str, dg.ConfigurableResource]:
    """Every resource the definitions use, for one environment: the app's (`definitions`, from
    the process environment), the tests', the drill's and the benchmarks' (built in code)."""
    # A key file named by the environment goes through EnvVar, so Dagster never displays its
    # path as plain config; an Environment built in code names its own key file.
    if env.hash_key_file_from_env is not None and env.hash_key_file == env.hash_key_file_from_env:
        key_file: str | dg.EnvVar = dg.EnvVar(HASH_KEY_FILE_VAR)
    else:
        key_file = str(env.hash_key_file) if env.hash_key_file else ""
    return {
        "warehouse_db": WarehouseResource(path=str(env.warehouse)),
        "linkage_zone": LinkageZoneResource(path=str(env.linkage_zone)),
        "landing": LandingZoneResource(path=str(env.landing_dir), max_delivery_bytes=env.max_delivery_bytes),
        "reference": ReferenceResource(path=str(env.reference_dir)),
        "analyst": AnalystSnapshotResource(
            path=str(env.analyst_snapshot), restricted_path=str(env.restricted_snapshot), group=env.analyst_group
        ),
        "hash_key": HashKeyResource(key_file=key_file),
        "model_store": ModelStoreResource(path=str(env.model_dir), reports_path=str(env.linkage_reports)),
        "quality": QualityResource(
            quarantine_dir=str(env.quarantine_dir), dashboard_dir=str(env.dashboard_dir), as_of=env.as_of
        ),
        "ground_truth": GroundTruthResource(path=str(env.truth_dir) if env.truth_dir else ""),
    }
