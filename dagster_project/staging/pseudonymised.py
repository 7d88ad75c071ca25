"""Pseudonymised deliveries: what leaves the encoding step, in memory or as a file.

A plaintext delivery becomes a *pseudonymised delivery*: one row per source row, holding
the feed's non-identifying columns exactly as delivered, the age at the event (computed
from the date of birth before it is dropped), the problems found in identifiers (field and
problem, never the value), the key id and encoding version, and the tokens. Rows the
platform cannot use (bad key, wrong number of fields) are kept with their reason.

The platform stages every plaintext delivery through this same form, so a delivery an
agency pseudonymised at its own site (`veru-pseudonymise`, written as
`<feed>_<date>.pseudo.csv`) is staged exactly like the plaintext original would be.
"""

from __future__ import annotations

import os
import re
import tempfile
from functools import cache
from pathlib import Path

import polars as pl

from dagster_project.feeds import FEEDS
from dagster_project.feeds.delivery import RawDelivery
from dagster_project.feeds.spec import CHECKED_DATE_SUFFIX, FeedSpec, age_at, key_rejects
from dagster_project.pseudonymise.encode import (
    BLOOM_COLUMNS,
    ENCODING_VERSION,
    LIST_TOKEN_COLUMNS,
    STRING_TOKEN_COLUMNS,
    TOKEN_SCHEMA,
    encode_identity,
)
from dagster_project.pseudonymise.keys import HashKey
from dagster_project.pseudonymise.standardise import collect_problems
from dagster_project.quality.suites import derived_suite

PSEUDO_SUFFIX = ".pseudo.csv"
LIST_SEPARATOR = "|"
META_COLUMNS = ("row_number", "line_number", "reject_reason")
DERIVED_COLUMNS = ("age_at_event", "identifier_problems", "key_id", "encoding_version")


def non_identifier_columns(spec: FeedSpec) -> list[str]:
    return [c for c in spec.columns if c not in spec.identifiers]


def pseudonymised_columns(spec: FeedSpec) -> list[str]:
    """Column order of a pseudonymised delivery of `spec`."""
    return [*META_COLUMNS, *non_identifier_columns(spec), *DERIVED_COLUMNS, *TOKEN_SCHEMA]


def schema(spec: FeedSpec) -> dict[str, pl.DataType]:
    return {
        "row_number": pl.Int64(),
        "line_number": pl.Int64(),
        "reject_reason": pl.String(),
        **{c: pl.String() for c in non_identifier_columns(spec)},
        "age_at_event": pl.Int32(),
        "identifier_problems": pl.String(),
        "key_id": pl.String(),
        "encoding_version": pl.String(),
        **TOKEN_SCHEMA,
    }


def record_ids(feed: str, record_keys: pl.Series) -> pl.Series:
    """`<feed>|<record key>`: a record's identity across feeds (seeds its Bloom noise)."""
    return pl.select(pl.concat_str([pl.lit(f"{feed}|"), pl.lit(record_keys)])).to_series().alias("record_id")


def pseudonymise_delivery(spec: FeedSpec, raw: RawDelivery, key: HashKey) -> pl.DataFrame:
    """Plaintext delivery → pseudonymised delivery (plaintext identifiers dropped here)."""
    good, bad_keys = key_rejects(raw.frame, spec)
    # Only the event date is parsed here (dates of birth are checked against it and the age
    # at the event is computed from it); every other attribute travels exactly as delivered.
    event = next(a for a in spec.attributes if a.target == "event_at")
    df = event.kind.apply(good, event.source, "__event_at")
    df = df.with_columns(event_date=pl.col("__event_at").dt.date()).drop("__event_at", "__event_at_problem")
    df = spec.identity(df)
    problems = (
        collect_problems(df, ["row_number"])
        .group_by("row_number", maintain_order=True)
        .agg(pl.format("{}:{}", "field", "problem").str.join(";").alias("identifier_problems"))
    )
    tokens = encode_identity(df, key, record_ids(spec.name, df.get_column("record_key")))
    accepted = pl.concat(
        [
            df.select(
                "row_number",
                *(["line_number"] if "line_number" in df.columns else []),
                *non_identifier_columns(spec),
                pl.when(pl.col("dob").is_not_null() & pl.col("event_date").is_not_null())
                .then(age_at(pl.col("dob"), pl.col("event_date")))
                .alias("age_at_event"),
            ),
            tokens,
        ],
        how="horizontal",
    ).join(problems, on="row_number", how="left")
    accepted = accepted.with_columns(key_id=pl.lit(key.key_id), encoding_version=pl.lit(ENCODING_VERSION))
    rejected = pl.concat([raw.rejects, bad_keys.select("row_number", "line_number", "reason")]).rename(
        {"reason": "reject_reason"}
    )
    return (
        pl.concat([accepted, rejected], how="diagonal_relaxed")
        .sort("row_number")
        .select(list(schema(spec)))
        .cast(schema(spec))
    )


# ---------------------------------------------------------------------------------------
# The file form
# ---------------------------------------------------------------------------------------


# In the file, the source row and line numbers are named apart from the row numbers a
# reader gives the file's own rows.
FILE_NAMES = {"row_number": "source_row_number", "line_number": "source_line_number"}


def file_columns(spec: FeedSpec) -> list[str]:
    """The header of a pseudonymised delivery file of `spec`."""
    return [FILE_NAMES.get(c, c) for c in pseudonymised_columns(spec)]


def to_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as text: Bloom filters as hex, token lists joined with '|'."""
    return (
        frame.with_columns(
            *[pl.col(c).bin.encode("hex") for c in BLOOM_COLUMNS],
            *[pl.col(c).list.join(LIST_SEPARATOR) for c in LIST_TOKEN_COLUMNS],
        )
        .cast(pl.String)
        .rename(FILE_NAMES)
    )


# What each column of a pseudonymised file must hold to be read back, and how it is read.
_CELL_FORMATS = {
    **{c: ("hex Bloom filter", lambda e: e.str.decode("hex", strict=False)) for c in BLOOM_COLUMNS},
    "row_number": ("whole number", lambda e: e.cast(pl.Int64, strict=False)),
    "line_number": ("whole number", lambda e: e.cast(pl.Int64, strict=False)),
    "age_at_event": ("whole number of years", lambda e: e.cast(pl.Int32, strict=False)),
}


def from_text(spec: FeedSpec, frame: pl.DataFrame) -> pl.DataFrame:
    """The inverse of `to_text` (columns as read from a pseudonymised CSV, all strings).

    A file made by `veru-pseudonymise` reads back exactly. A cell that cannot be read (a row
    number that is not a number, a Bloom filter that is not hex) rejects its row, with the
    column named, instead of failing the run; a row whose own row or line number cannot be
    read keeps the pseudonymised file's (`row_number`/`line_number` of the reader). Reject
    reasons written in the file are kept only when they are one the platform writes.
    """
    reader_rows = frame.select(
        pl.col("row_number").alias("__file_row")
        if "row_number" in frame.columns
        else pl.lit(None, pl.Int64).alias("__file_row"),
        pl.col("line_number").alias("__file_line")
        if "line_number" in frame.columns
        else pl.lit(None, pl.Int64).alias("__file_line"),
    )
    text = frame.select(file_columns(spec)).rename({v: k for k, v in FILE_NAMES.items()})
    parsed = text.with_columns(
        *[read(pl.col(c)).alias(c) for c, (_, read) in _CELL_FORMATS.items()],
        *[pl.col(c).str.split(LIST_SEPARATOR) for c in LIST_TOKEN_COLUMNS],
    )
    broken = pl.DataFrame({c: text.get_column(c).is_not_null() & parsed.get_column(c).is_null() for c in _CELL_FORMATS})
    unreadable = broken.select(
        pl.coalesce(
            [
                pl.when(pl.col(c)).then(pl.lit(f"in the pseudonymised file: {c} is not a {what}"))
                for c, (what, _) in _CELL_FORMATS.items()
            ]
        ).alias("__unreadable")
    )
    parsed = pl.concat([parsed, reader_rows, unreadable], how="horizontal").with_columns(
        reject_reason=pl.coalesce("__unreadable", _known_reason(spec, pl.col("reject_reason"))),
        row_number=pl.coalesce("row_number", "__file_row"),
        line_number=pl.coalesce("line_number", "__file_line"),
    )
    parsed = _key_rules(spec, parsed)
    return parsed.select(list(schema(spec))).cast(schema(spec))


def _known_reason(spec: FeedSpec, reason: pl.Expr) -> pl.Expr:
    """A reject reason from an agency's file, if it is one the platform itself writes (so it
    holds no value from the data); otherwise a fixed text. The file is landing-zone input: a
    free-text reason could carry a name."""
    key = re.escape(spec.key)
    known = "|".join(
        [
            r"row has \d+ fields, the header has \d+",
            r"malformed CSV row(: [a-z ,()'-]+)?",
            rf"{key} is missing",
            rf"{key} does not match the format " + re.escape(spec.key_pattern),
            rf"{key} [A-Z0-9-]{{1,20}} appears more than once \(rows [0-9, ]+\)",
            r"line longer than [0-9,]+ bytes \(line breaks missing\?\)",
        ]
    )
    return (
        pl.when(reason.is_null())
        .then(None)
        .when(reason.str.contains(f"^(?:{known})$"))
        .then(reason)
        .otherwise(pl.lit("rejected at the agency (its reason is not one the platform writes, so it is not shown)"))
    )


def _key_rules(spec: FeedSpec, frame: pl.DataFrame) -> pl.DataFrame:
    """The record-key rules of a plaintext delivery (`feeds.spec.key_rejects`), applied to the
    rows of a pseudonymised file not already rejected: a missing, malformed or repeated key
    rejects the row (an edited or concatenated file must not merge two records into one)."""
    key = pl.col(spec.key).str.strip_chars()
    open_rows = pl.col("reject_reason").is_null()
    repeated = pl.when(open_rows).then(key).otherwise(None)
    return frame.with_columns(
        reject_reason=pl.when(~open_rows)
        .then(pl.col("reject_reason"))
        .when(key.is_null())
        .then(pl.lit(f"in the pseudonymised file: {spec.key} is missing"))
        .when(~key.str.contains(spec.key_pattern))
        .then(pl.lit(f"in the pseudonymised file: {spec.key} does not match the format {spec.key_pattern}"))
        .when(pl.len().over(repeated) > 1)
        .then(pl.lit(f"in the pseudonymised file: {spec.key} appears more than once"))
        .otherwise(None)
    )


def write_pseudonymised(frame: pl.DataFrame, path: Path) -> Path:
    """Write atomically (a reader never sees a half-written file); refuses to overwrite."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} already exists; refusing to overwrite it.")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        to_text(frame).write_csv(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


# ---------------------------------------------------------------------------------------
# Validation of a pseudonymised delivery
# ---------------------------------------------------------------------------------------

HEX_TOKEN = r"^[0-9a-f]{24}$"
HEX_BLOOM = r"^[0-9a-f]{64}$"
HEX_LIST = r"^[0-9a-f]{24}(\|[0-9a-f]{24})*$"


def _expect(kind: str, column: str, severity: str, description: str, **kwargs) -> dict:
    return {
        "type": kind,
        "kwargs": {"column": column, **kwargs},
        "meta": {"severity": severity, "description": description},
        "severity": "critical" if severity == "blocking" else "warning",
    }


def suite(spec: FeedSpec):
    """The feed's suite for pseudonymised deliveries: the feed suite without its identifier
    expectations, with the pseudonymised layout and the token formats."""
    return _suite(spec.name)


@cache
def _suite(feed: str):
    spec = FEEDS[feed]
    extra = [
        _expect(
            "expect_column_values_to_not_be_null",
            "key_id",
            "blocking",
            "Every row names the key its tokens were made with.",
        ),
        _expect(
            "expect_column_values_to_not_be_null",
            "encoding_version",
            "blocking",
            "Every row names its encoding version.",
        ),
        *[
            _expect(
                "expect_column_values_to_match_regex",
                c,
                "blocking",
                f"{c} is a 24-character hex token.",
                regex=HEX_TOKEN,
            )
            for c in STRING_TOKEN_COLUMNS
        ],
        *[
            _expect(
                "expect_column_values_to_match_regex",
                c,
                "blocking",
                f"{c} is a 256-bit Bloom filter in hex.",
                regex=HEX_BLOOM,
            )
            for c in BLOOM_COLUMNS
        ],
        *[
            _expect(
                "expect_column_values_to_match_regex", c, "blocking", f"{c} is a list of hex tokens.", regex=HEX_LIST
            )
            for c in LIST_TOKEN_COLUMNS
        ],
        _expect(
            "expect_column_values_to_match_regex",
            "age_at_event",
            "warning",
            "Age at the event is a whole number of years from 0 to 129.",
            regex=r"^(1[0-2][0-9]|[1-9]?[0-9])$",
        ),
    ]
    return derived_suite(
        spec.name,
        f"{spec.name}_pseudonymised",
        drop_columns=[*spec.identifiers, *(c + CHECKED_DATE_SUFFIX for c in spec.identifiers)],
        columns=file_columns(spec),
        extra=extra,
    )
