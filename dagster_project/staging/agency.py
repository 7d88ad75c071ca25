"""`veru-pseudonymise`: pseudonymise a delivery at the agency's own site.

    veru-pseudonymise police_2024-07-01.csv --key-file /secure/veru.key --output-dir outbox/

turns one plaintext delivery (exactly as the agency's system exports it, FEEDS.md) into
`police_2024-07-01.pseudo.csv`: the same rows with every name, date of birth, postcode, NHS
and PNC number replaced by keyed tokens. The platform ingests that file from its landing
zone exactly as it would the plaintext (same code, same tokens, same linked persons), so
the agency never has to send a name.

The file is checked first against the feed's Great Expectations suite exactly as the
platform would (`staging.ingest.prepare_plaintext`, with the same parameters: `--as-of`, the
day the platform judges deliveries on, and `--previous-rows`, the row counts of the feed's
earlier deliveries): a delivery failing a blocking expectation (a missing column, a
duplicated key) is refused with the reasons and no file is written. Rows the platform would reject (bad key,
wrong number of fields) travel in the file with their reason, so nothing is lost. Nothing
this command prints quotes a value from the file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import polars as pl

from dagster_project.feeds import FEEDS
from dagster_project.feeds.delivery import DELIVERY_NAME, Delivery, DeliveryError, read_delivery
from dagster_project.pseudonymise.keys import HashKey, MissingKeyError
from dagster_project.quality.suites import validate_frame
from dagster_project.settings import HASH_KEY_FILE_VAR
from dagster_project.staging.prepare import Quarantine, prepare_plaintext, validation_parameters
from dagster_project.staging.pseudonymised import PSEUDO_SUFFIX, write_pseudonymised

logger = logging.getLogger("veru-pseudonymise")


class Refused(Exception):
    """The delivery cannot be pseudonymised; the message says why (never a value)."""


@dataclass
class Pseudonymised:
    """What one file gave: where it was written and what the agency should know (no values)."""

    source: str
    target: Path
    rows: int
    key_id: str
    rejected: list[tuple[int, str]] = field(default_factory=list)
    problems: list[tuple[str, int]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def log(self) -> None:
        logger.info(
            "%s → %s: %d rows, %d rejected, key id %s, %.1f s",
            self.source,
            self.target.name,
            self.rows,
            len(self.rejected),
            self.key_id,
            self.seconds,
        )
        for warning in self.warnings:
            logger.warning("  %s", warning)
        for row, reason in self.rejected:
            logger.warning("  row %d rejected: %s", row, reason)
        for problem, count in self.problems:
            logger.info("  identifier set to missing: %s (%d rows)", problem, count)


def _delivery(path: Path, feed: str | None, date: str | None) -> Delivery:
    match = DELIVERY_NAME.match(path.name)
    if match and match.group("pseudo"):
        raise Refused(f"{path.name} is already pseudonymised")
    feed = feed or (match.group("feed") if match else None)
    date = date or (match.group("date") if match else None)
    if feed not in FEEDS:
        raise Refused(
            f"{path.name}: cannot tell the feed; name the file <feed>_<YYYY-MM-DD>.csv or pass "
            f"--feed (one of {', '.join(FEEDS)}). Supplied value {feed!r}."
        )
    if date is None:
        raise Refused(
            f"{path.name}: cannot tell the extract date; name the file {feed}_<YYYY-MM-DD>.csv or pass --date."
        )
    try:
        extract = dt.date.fromisoformat(date)
    except ValueError:
        raise Refused(f"{path.name}: the extract date must be YYYY-MM-DD. Supplied value {date!r}.") from None
    return Delivery(feed, path, extract)


def pseudonymise_file(
    path: Path,
    key: HashKey,
    output_dir: Path | None = None,
    *,
    feed: str | None = None,
    date: str | None = None,
    validate: bool = True,
    as_of: dt.date | None = None,
    previous_rows: tuple[int, ...] = (),
) -> Pseudonymised:
    """Pseudonymise one delivery file; raises Refused (with reasons) if it cannot be.

    as_of: the day the delivery is judged on (default today); previous_rows: the row counts
    of the feed's earlier deliveries, oldest first (the usual-size check), as the platform
    judges it."""
    start = time.perf_counter()
    delivery = _delivery(Path(path), feed, date)
    spec = FEEDS[delivery.feed]
    try:
        raw = read_delivery(delivery)
    except DeliveryError as exc:
        raise Refused(str(exc)) from None
    parameters = validation_parameters(as_of or dt.date.today(), previous_rows)
    try:
        frame, result = prepare_plaintext(
            spec, raw, key, validator=validate_frame if validate else None, parameters=parameters
        )
    except Quarantine as exc:
        if exc.result is not None and not exc.result.success:
            raise Refused(f"{delivery.file_name} fails the {spec.name} expectations: {exc.reason}") from None
        raise Refused(f"{spec.name} delivery {delivery.file_name}: {exc.reason}") from None
    warnings = [result.summary()] if result is not None and result.warning_failures else []
    target = (Path(output_dir) if output_dir else delivery.path.parent) / (
        f"{spec.name}_{delivery.extract_date.isoformat()}{PSEUDO_SUFFIX}"
    )
    write_pseudonymised(frame, target)
    rejected = frame.filter(pl.col("reject_reason").is_not_null()).select("row_number", "reject_reason")
    problems = (
        frame.select(pl.col("identifier_problems").str.split(";"))
        .explode("identifier_problems")
        .drop_nulls()
        .group_by("identifier_problems")
        .len()
        .sort("identifier_problems")
    )
    return Pseudonymised(
        source=delivery.file_name,
        target=target,
        rows=frame.height,
        key_id=key.key_id,
        rejected=list(rejected.iter_rows()),
        problems=list(problems.iter_rows()),
        warnings=warnings,
        seconds=time.perf_counter() - start,
    )


def _in_worker(path: Path, secret: bytes, source: str, output_dir: Path | None, options: dict):
    """Run in a worker process: returns the result or the refusal's text (never a value)."""
    try:
        return pseudonymise_file(path, HashKey(secret=secret, source=source), output_dir, **options)
    except (Refused, FileExistsError) as exc:
        return str(exc)


def pseudonymise_files(
    paths: list[Path], key: HashKey, output_dir: Path | None = None, *, jobs: int = 1, **options
) -> list[Pseudonymised | str]:
    """Pseudonymise several files, `jobs` at a time (each file is independent). Results
    come back in the order of `paths`: a `Pseudonymised`, or the reason it was refused."""
    if jobs <= 1 or len(paths) <= 1:
        return [_in_worker(p, key.secret, key.source, output_dir, options) for p in paths]
    # "spawn": forking a process that runs Polars' thread pool can deadlock.
    with ProcessPoolExecutor(max_workers=min(jobs, len(paths)), mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_in_worker, p, key.secret, key.source, output_dir, options) for p in paths]
        return [f.result() for f in futures]


def _row_counts(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("row counts are whole numbers separated by commas") from None
    if any(c < 0 for c in counts):
        raise argparse.ArgumentTypeError("row counts cannot be negative")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="veru-pseudonymise", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", nargs="+", type=Path, help="plaintext delivery files <feed>_<YYYY-MM-DD>.csv")
    parser.add_argument("--key-file", type=Path, help=f"the shared secret key (default: ${HASH_KEY_FILE_VAR})")
    parser.add_argument("--output-dir", type=Path, help="where to write (default: beside each input)")
    parser.add_argument("--feed", choices=sorted(FEEDS), help="the feed, if the file name does not say")
    parser.add_argument("--date", help="the extract date YYYY-MM-DD, if the file name does not say")
    parser.add_argument("--no-validate", action="store_true", help="skip the expectation suite (not recommended)")
    parser.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        default=None,
        help="judge the delivery as on this day, YYYY-MM-DD (default: today), as the platform does",
    )
    parser.add_argument(
        "--previous-rows",
        type=_row_counts,
        default=(),
        help="row counts of the feed's earlier deliveries, oldest first, comma-separated "
        "(the usual-size check, as the platform does)",
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="files encoded at once (default: CPUs)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    # The suite's own per-delivery log line repeats what this command reports. (Great
    # Expectations' loggers stay as the quality runtime set them: off, as their messages
    # can quote data.)
    logging.getLogger("dagster_project.quality").setLevel(logging.ERROR)
    try:
        key = HashKey.from_file(args.key_file) if args.key_file else HashKey.from_env()
    except MissingKeyError as exc:
        logger.error("%s", exc)
        return 2
    failures = 0
    options = {
        "feed": args.feed,
        "date": args.date,
        "validate": not args.no_validate,
        "as_of": args.as_of,
        "previous_rows": args.previous_rows,
    }
    for outcome in pseudonymise_files(args.files, key, args.output_dir, jobs=args.jobs, **options):
        if isinstance(outcome, str):
            logger.error("%s", outcome)
            failures += 1
        else:
            outcome.log()
    return 2 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
