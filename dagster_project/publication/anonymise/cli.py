"""The command line: `python -m dagster_project.publication.anonymise --snapshot <file>` measures a
snapshot (`figures`) and, for a default-tier one, checks it follows from its events (`derivation`)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import duckdb

from dagster_project.publication.anonymise.derivation import derivation_problems
from dagster_project.publication.anonymise.figures import breaches, figures_markdown, is_default_tier, measure
from dagster_project.publication.anonymise.tier import K


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.publication.anonymise",
        description="Measure k-anonymity of an analyst snapshot (default tier, restricted tier, or an old single snapshot).",
    )
    parser.add_argument("--snapshot", type=Path, required=True, help="the snapshot file (opened read-only)")
    parser.add_argument("--k", type=int, default=K)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    if not args.snapshot.is_file():
        parser.error(f"no snapshot file at {args.snapshot}")
    with duckdb.connect(str(args.snapshot), read_only=True) as con:
        default = is_default_tier(con)
        figures = measure(con, args.k)
    tier = "default tier (coarsened)" if default else "full detail"
    sys.stdout.write(f"{args.snapshot}: {tier}, k = {args.k}\n{figures_markdown(figures, args.k)}\n")
    if not default:
        return 0
    failing = breaches(figures)
    underivable = derivation_problems(args.snapshot)
    sys.stdout.write(
        "Every column of every default-tier table follows from its published events.\n"
        if not underivable
        else "Columns the published events do not give:\n" + "".join(f"- {u}\n" for u in underivable)
    )
    if failing:
        sys.stdout.write("BREACH: " + "; ".join(f.spec.description for f in failing) + "\n")
    if underivable:
        sys.stdout.write(f"BREACH: {len(underivable)} column(s) say more than the published events\n")
    return 1 if failing or underivable else 0
