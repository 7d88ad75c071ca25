"""``veru-synth``: write synthetic landing feeds, their ground truth and reference geography."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys

from .config import SyntheticConfig
from .generator import generate
from .output import OutputDirectoryError

logger = logging.getLogger("dagster_project.synthetic")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as yyyy-mm-dd. Supplied value {text!r}.") from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="veru-synth",
        description="Generate synthetic police, social care, A&E and YOS feeds with ground truth.",
    )
    p.add_argument(
        "--people", type=int, default=20_000, help="distinct true persons appearing in some feed (default 20000)"
    )
    p.add_argument(
        "--seed", type=int, default=2024, help="random seed; output is byte-identical per seed and arguments"
    )
    p.add_argument("--landing", default="landing", help="landing directory for the feed deliveries")
    p.add_argument("--truth", default="truth", help="directory for ground truth files")
    p.add_argument("--reference", default="reference", help="directory for the reference geography lookups")
    p.add_argument("--deliveries", type=int, default=4, help="incremental deliveries per feed (default 4)")
    p.add_argument(
        "--start", type=_date, default=dt.date(2023, 1, 1), help="first day of the period (default 2023-01-01)"
    )
    p.add_argument(
        "--end", type=_date, default=dt.date(2024, 12, 31), help="last day of the period (default 2024-12-31)"
    )
    p.add_argument(
        "--target-records", type=int, default=None, help="choose the people count to give about N records in total"
    )
    p.add_argument("--replace", action="store_true", help="delete output directories made by an earlier run first")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        config = SyntheticConfig(
            landing=args.landing,
            truth=args.truth,
            reference=args.reference,
            people=args.people,
            seed=args.seed,
            deliveries=args.deliveries,
            start=args.start,
            end=args.end,
            target_records=args.target_records,
            replace=args.replace,
            progress=not args.quiet,
        )
        generate(config)
    except (ValueError, OutputDirectoryError) as exc:
        logger.error("veru-synth: %s", exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
