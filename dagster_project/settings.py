"""The one place that knows which environment the platform runs in.

Every path and secret comes from an environment variable with a documented default
(DESIGN.md, "Names the rest of the world relies on"). Relative defaults resolve against
the current working directory, which is the project root for `make demo` and Dagster.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

LANDING_DIR_VAR = "VERU_LANDING_DIR"
WAREHOUSE_VAR = "VERU_WAREHOUSE"
HASH_KEY_FILE_VAR = "VERU_HASH_KEY_FILE"
MODEL_DIR_VAR = "VERU_MODEL_DIR"
LINKAGE_ZONE_VAR = "VERU_LINKAGE_ZONE"
REFERENCE_DIR_VAR = "VERU_REFERENCE_DIR"
ANALYST_SNAPSHOT_VAR = "VERU_ANALYST_SNAPSHOT"
TRUTH_DIR_VAR = "VERU_TRUTH_DIR"  # synthetic data only: enables the linkage evaluation asset
QUARANTINE_DIR_VAR = "VERU_QUARANTINE_DIR"
DASHBOARD_DIR_VAR = "VERU_DASHBOARD_DIR"
AS_OF_VAR = "VERU_AS_OF"  # the date feed freshness is judged on (default: today)
MAX_DELIVERY_BYTES_VAR = "VERU_MAX_DELIVERY_BYTES"  # larger deliveries are refused unread
RESTRICTED_SNAPSHOT_VAR = "VERU_RESTRICTED_SNAPSHOT"  # the detailed snapshot for named analysts
ANALYST_GROUP_VAR = "VERU_ANALYST_GROUP"  # the group that may read the analyst snapshots
LINKAGE_REPORTS_VAR = "VERU_LINKAGE_REPORTS"  # owner-only folder for model reports holding tokens
EXPECTATIONS_DIR_VAR = "VERU_EXPECTATIONS_DIR"  # suites other than those shipped in the package

DEFAULT_LANDING_DIR = "landing"
DEFAULT_WAREHOUSE = "warehouse/veru.duckdb"
DEFAULT_MODEL_DIR = "linkage_models/runs"
DEFAULT_LINKAGE_ZONE = "warehouse/linkage_zone.duckdb"
DEFAULT_REFERENCE_DIR = "reference"
DEFAULT_ANALYST_SNAPSHOT = "warehouse/analyst.duckdb"
DEFAULT_QUARANTINE_DIR = "quarantine"
DEFAULT_DASHBOARD_DIR = "quality_site"
DEFAULT_MAX_DELIVERY_BYTES = 2 * 1024**3
DEFAULT_RESTRICTED_SNAPSHOT = "warehouse/analyst_restricted.duckdb"
DEFAULT_LINKAGE_REPORTS = "warehouse/linkage_reports"


@dataclass(frozen=True)
class Environment:
    """Resolved locations for one process."""

    landing_dir: Path
    warehouse: Path
    hash_key_file: Path | None
    model_dir: Path
    linkage_zone: Path
    reference_dir: Path = Path(DEFAULT_REFERENCE_DIR)
    analyst_snapshot: Path = Path(DEFAULT_ANALYST_SNAPSHOT)
    truth_dir: Path | None = None
    quarantine_dir: Path = Path(DEFAULT_QUARANTINE_DIR)
    dashboard_dir: Path = Path(DEFAULT_DASHBOARD_DIR)
    as_of: str = ""  # ISO date; empty means today
    max_delivery_bytes: int = DEFAULT_MAX_DELIVERY_BYTES
    restricted_snapshot: Path = Path(DEFAULT_RESTRICTED_SNAPSHOT)
    analyst_group: str = ""  # empty: the snapshots keep the owner's primary group
    linkage_reports: Path = Path(DEFAULT_LINKAGE_REPORTS)
    # the key file VERU_HASH_KEY_FILE named when this was read from the environment; while
    # hash_key_file is that file, resources name it through EnvVar (never shown as plain config)
    hash_key_file_from_env: Path | None = None
    expectations_dir: Path | None = None  # None: the suites shipped in the package

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Environment:
        env = os.environ if environ is None else environ
        key_file = env.get(HASH_KEY_FILE_VAR) or None
        return cls(
            landing_dir=Path(env.get(LANDING_DIR_VAR) or DEFAULT_LANDING_DIR),
            warehouse=Path(env.get(WAREHOUSE_VAR) or DEFAULT_WAREHOUSE),
            hash_key_file=Path(key_file) if key_file else None,
            model_dir=Path(env.get(MODEL_DIR_VAR) or DEFAULT_MODEL_DIR),
            linkage_zone=Path(env.get(LINKAGE_ZONE_VAR) or DEFAULT_LINKAGE_ZONE),
            reference_dir=Path(env.get(REFERENCE_DIR_VAR) or DEFAULT_REFERENCE_DIR),
            analyst_snapshot=Path(env.get(ANALYST_SNAPSHOT_VAR) or DEFAULT_ANALYST_SNAPSHOT),
            truth_dir=Path(env[TRUTH_DIR_VAR]) if env.get(TRUTH_DIR_VAR) else None,
            quarantine_dir=Path(env.get(QUARANTINE_DIR_VAR) or DEFAULT_QUARANTINE_DIR),
            dashboard_dir=Path(env.get(DASHBOARD_DIR_VAR) or DEFAULT_DASHBOARD_DIR),
            as_of=env.get(AS_OF_VAR) or "",
            max_delivery_bytes=_positive_int(env, MAX_DELIVERY_BYTES_VAR, DEFAULT_MAX_DELIVERY_BYTES),
            restricted_snapshot=Path(env.get(RESTRICTED_SNAPSHOT_VAR) or DEFAULT_RESTRICTED_SNAPSHOT),
            analyst_group=env.get(ANALYST_GROUP_VAR) or "",
            linkage_reports=Path(env.get(LINKAGE_REPORTS_VAR) or DEFAULT_LINKAGE_REPORTS),
            hash_key_file_from_env=Path(key_file) if key_file else None,
            expectations_dir=Path(env[EXPECTATIONS_DIR_VAR]) if env.get(EXPECTATIONS_DIR_VAR) else None,
        )


def _positive_int(env, name: str, default: int) -> int:
    text = env.get(name)
    if not text:
        return default
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise ValueError(f"{name} must be a whole number of bytes; supplied value {text!r}.") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive; supplied value {text!r}.")
    return value
