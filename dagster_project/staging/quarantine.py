"""The quarantine area: deliveries that cannot be used, moved out of the landing zone with a
report of why.

Rows are planned first and written with the run's other records (`staging.store`); files are
moved afterwards, so a run killed in between leaves them in the landing zone with their
verdicts, and the next run moves them.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import polars as pl

from dagster_project.clock import utcnow
from dagster_project.staging.ingest import FeedIngest
from dagster_project.tables import QUARANTINE

logger = logging.getLogger(__name__)


def _private_dir(folder: Path) -> Path:
    """Create `folder` (and parents) readable by the owner only; tighten it if it exists."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)
    return folder


def plan_quarantine(
    result: FeedIngest, quarantine_root: Path, run_id: str
) -> tuple[pl.DataFrame, list[tuple[str, Path, dict]]]:
    """The `quality.quarantine` rows for this run's quarantined and duplicate deliveries, and
    the moves to make: (delivery file, target path, report). Nothing is moved here: the rows
    (and the verdicts) are written first, so a run killed between writing and moving leaves the
    file in the landing zone with its verdict, and the next run moves it."""
    rows, moves = [], []
    failures = {v.label: v for v in result.validations}
    folder = Path(quarantine_root) / result.feed
    for row in result.deliveries.filter(pl.col("status").is_in(["quarantined", "duplicate"])).iter_rows(named=True):
        target = folder / row["delivery_file"]
        if target.exists():
            target = folder / f"{row['delivery_file']}.{run_id}"
        validation = failures.get(row["delivery_file"])
        failing = [o.to_record() for o in validation.failures] if validation is not None else []
        report = {k: v for k, v in row.items() if k != "pseudonymised_at_source"}
        report.update(
            failing_expectations=failing, run_id=run_id, quarantined_at=utcnow().isoformat(), moved_to=str(target)
        )
        moves.append((row["delivery_file"], target, report))
        rows.append(
            {
                "feed": result.feed,
                "delivery_file": row["delivery_file"],
                "extract_date": row["extract_date"],
                "status": row["status"],
                "reason": row["reason"],
                "failing_expectations": json.dumps(failing, default=str),
                "sha256": row["sha256"],
                "size_bytes": row["size_bytes"],
                "rows_read": row["rows_read"],
                "moved_to": str(target),
                "quarantined_at": utcnow(),
                "run_id": run_id,
            }
        )
    return QUARANTINE.from_rows(rows), moves


def move_to_quarantine(feed: str, landing_root: Path, moves: list[tuple[str, Path, dict]]) -> None:
    """Move each file out of the landing zone into the quarantine area (owner-only: 0700
    folders, 0600 files), beside a JSON report of why. Files are moved, never copied: they
    hold plaintext. A name already taken gets the run id appended, so nothing is overwritten."""
    for delivery_file, target, report in moves:
        source = Path(landing_root) / feed / delivery_file
        if not source.exists() or source.is_symlink():
            continue
        _private_dir(target.parent.parent)
        _private_dir(target.parent)
        source.chmod(0o600)
        source.replace(target)
        report_path = target.parent / f"{target.name}.report.json"
        fd = os.open(report_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=2, default=str)
        report_path.chmod(0o600)
        logger.warning("%s: moved %s to the quarantine area %s", feed, delivery_file, target.parent)
