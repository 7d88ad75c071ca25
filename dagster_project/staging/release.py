"""`veru-release`: put a quarantined delivery back after a person has looked at it.

    veru-release quarantine/police/police_2025-01-05.csv --note "dob format checked with the force"

The file goes back to `landing/<feed>/` under its delivery name and its verdict becomes
`released` (`quality.delivery_verdicts`, with who released it, when and why), so the next run
loads it whatever its blocking checks say; the checks still run and their result is shown on the
dashboard beside "released by ... after review". Only what a person can vouch for is released:

- a file that cannot be read at all (not UTF-8, compressed under a .csv name, empty) or lacks
  an agreed column cannot be loaded whatever anyone decides: fix it and deliver it again;
- a duplicate is byte-identical to a delivery already loaded: there is nothing to release;
- a file changed since it was quarantined (its sha256 differs from the report's) is refused.

Paths and environment as for the pipeline: `VERU_QUARANTINE_DIR`, `VERU_LANDING_DIR`,
`VERU_WAREHOUSE`. The warehouse must not be in use by a run (DuckDB allows one writer).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import hashlib
import json
import logging
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project import warehouse
from dagster_project.clock import utcnow
from dagster_project.feeds.catalogue import FEEDS
from dagster_project.feeds.delivery import DELIVERY_NAME, Delivery, DeliveryError, read_delivery
from dagster_project.feeds.spec import check_columns
from dagster_project.feeds.verdicts import RELEASED, Verdict, frame
from dagster_project.settings import Environment
from dagster_project.staging.pseudonymised import file_columns
from dagster_project.tables import DELIVERY_VERDICTS

logger = logging.getLogger(__name__)

REPORT_SUFFIX = ".report.json"
RELEASED_REPORT_SUFFIX = ".released.json"


class ReleaseRefused(Exception):
    """The file cannot be released; the message says why and what to do instead."""


@dataclass(frozen=True)
class Released:
    feed: str
    delivery_file: str
    landing_path: Path
    verdict: Verdict


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(4 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _report(path: Path) -> dict:
    report_path = path.with_name(path.name + REPORT_SUFFIX)
    if not report_path.is_file():
        return {}
    try:
        return json.loads(report_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        raise ReleaseRefused(f"{report_path.name} cannot be read as JSON; release it by hand or re-deliver") from None


def release(
    path: Path, *, env: Environment, note: str, released_by: str | None = None, now: dt.datetime | None = None
) -> Released:
    """Check `path` (a file in the quarantine area), record its `released` verdict and move it
    back to the landing zone. Raises ReleaseRefused naming the file and the reason."""
    path = Path(path)
    if not note or not note.strip():
        raise ReleaseRefused("say why it is safe to release (--note): the reason is kept with the verdict")
    quarantine_root = env.quarantine_dir.resolve()
    if path.is_symlink() or not path.is_file():
        raise ReleaseRefused(f"{path.name} is not a regular file in the quarantine area")
    resolved = path.resolve()
    if quarantine_root not in resolved.parents:
        raise ReleaseRefused(f"{path.name} is not inside the quarantine area ({env.quarantine_dir})")
    if path.name.endswith((REPORT_SUFFIX, RELEASED_REPORT_SUFFIX)):
        raise ReleaseRefused(f"{path.name} is a quarantine report; release the delivery file beside it")

    report = _report(path)
    feed = report.get("feed") or resolved.parent.name
    if feed not in FEEDS:
        raise ReleaseRefused(f"{path.name}: cannot tell its feed (folder {resolved.parent.name!r} is not a feed)")
    delivery_file = report.get("delivery_file") or re.sub(r"\.[0-9a-f-]{8,}$", "", path.name)
    match = DELIVERY_NAME.match(delivery_file)
    if not match or match.group("feed") != feed:
        raise ReleaseRefused(
            f"{path.name}: its delivery name is not {feed}_<YYYY-MM-DD>.csv; rename it and put it in the landing zone"
        )
    if report.get("status") == "duplicate":
        raise ReleaseRefused(
            f"{delivery_file} was set aside as a duplicate ({report.get('reason')}): nothing to release"
        )

    sha256 = _sha256(path)
    if report.get("sha256") and report["sha256"] != sha256:
        raise ReleaseRefused(f"{path.name} has changed since it was quarantined (its sha256 differs from the report's)")

    spec = FEEDS[feed]
    delivery = Delivery(
        feed,
        path,
        dt.date.fromisoformat(match.group("date")),
        pseudonymised=bool(match.group("pseudo")),
        compressed=bool(match.group("gz")),
    )
    try:
        raw = read_delivery(delivery, max_bytes=env.max_delivery_bytes)
        if delivery.pseudonymised:
            check_columns(spec, raw, file_columns(spec))
        else:
            check_columns(spec, raw, list(spec.columns))
    except DeliveryError as exc:
        raise ReleaseRefused(
            f"{delivery_file} cannot be loaded whatever anyone decides ({exc.problem}): fix it and deliver it again"
        ) from None

    target = env.landing_dir / feed / delivery_file
    if target.exists() or target.is_symlink():
        raise ReleaseRefused(f"{delivery_file} is already in the landing zone ({target}); nothing moved")

    verdict = Verdict(
        feed=feed,
        sha256=sha256,
        delivery_file=delivery_file,
        extract_date=delivery.extract_date,
        size_bytes=path.stat().st_size,
        verdict=RELEASED,
        reason=note.strip(),
        decided_at=now or utcnow(),
        decided_by=released_by or getpass.getuser(),
        run_id=None,
    )
    try:
        with warehouse.connect(env.warehouse) as con, warehouse.transaction(con):
            warehouse.append(con, DELIVERY_VERDICTS, frame([verdict]))
    except duckdb.IOException:
        raise ReleaseRefused(
            f"the warehouse {env.warehouse} is in use (a run is writing to it); try again when the run has finished"
        ) from None
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    report_path = path.with_name(path.name + REPORT_SUFFIX)
    if report_path.exists():
        report_path.replace(path.with_name(path.name + RELEASED_REPORT_SUFFIX))
    logger.info("%s: released %s back to the landing zone (%s)", feed, delivery_file, verdict.describe())
    return Released(feed, delivery_file, target, verdict)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="veru-release", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", nargs="+", type=Path, help="quarantined delivery files (in VERU_QUARANTINE_DIR)")
    parser.add_argument("--note", required=True, help="why it is safe to load (kept with the verdict)")
    parser.add_argument("--by", help="who reviewed it (default: the current user)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    env = Environment.from_env()
    failures = 0
    for path in args.files:
        try:
            done = release(path, env=env, note=args.note, released_by=args.by)
        except ReleaseRefused as exc:
            logger.error("not released: %s", exc)
            failures += 1
            continue
        sys.stdout.write(f"released {done.delivery_file} to {done.landing_path}: the next run loads it\n")
    return 2 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
