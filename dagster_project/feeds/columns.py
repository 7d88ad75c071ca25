"""Declarative parsing of non-identifying attribute columns.

Each kind turns a raw string column into a typed target column plus `<target>_problem`
(null when fine or missing; a short word when the value broke the feed's format, in which
case the value becomes missing and the problem is counted). A kind's `dtype` is its target
column's type, in the feed's staging table too (`FeedSpec.staging_table`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import polars as pl


def _present(source: str) -> pl.Expr:
    return pl.col(source).is_not_null()


@dataclass(frozen=True)
class Code:
    """A coded value. `mapping` gives raw code → stored value (identity for a plain set)."""

    mapping: Mapping[str, str | None]
    dtype: ClassVar[pl.DataType] = pl.String()

    @classmethod
    def of(cls, *values: str) -> Code:
        return cls({v: v for v in values})

    def apply(self, df: pl.DataFrame, source: str, target: str) -> pl.DataFrame:
        raw = pl.col(source).str.strip_chars()
        known = raw.is_in(list(self.mapping))
        value = raw.replace_strict(dict(self.mapping), default=None, return_dtype=pl.String)
        return df.with_columns(
            pl.when(known).then(value).alias(target),
            pl.when(_present(source) & ~known).then(pl.lit("not_in_code_set")).alias(f"{target}_problem"),
        )


@dataclass(frozen=True)
class Flag:
    """`Y`/`N` → boolean."""

    dtype: ClassVar[pl.DataType] = pl.Boolean()

    def apply(self, df: pl.DataFrame, source: str, target: str) -> pl.DataFrame:
        raw = pl.col(source).str.strip_chars().str.to_uppercase()
        return df.with_columns(
            pl.when(raw == "Y").then(True).when(raw == "N").then(False).alias(target),
            pl.when(_present(source) & ~raw.is_in(["Y", "N"])).then(pl.lit("not_Y_or_N")).alias(f"{target}_problem"),
        )


@dataclass(frozen=True)
class Count:
    """A non-negative integer."""

    dtype: ClassVar[pl.DataType] = pl.Int32()

    def apply(self, df: pl.DataFrame, source: str, target: str) -> pl.DataFrame:
        raw = pl.col(source).str.strip_chars()
        ok = raw.str.contains(r"^[0-9]{1,6}$")
        return df.with_columns(
            pl.when(ok).then(raw.cast(self.dtype, strict=False)).alias(target),
            pl.when(_present(source) & ~ok.fill_null(False)).then(pl.lit("not_a_count")).alias(f"{target}_problem"),
        )


@dataclass(frozen=True)
class Pattern:
    """A string that must match a regular expression (kept as is)."""

    regex: str
    upper: bool = False
    dtype: ClassVar[pl.DataType] = pl.String()

    def apply(self, df: pl.DataFrame, source: str, target: str) -> pl.DataFrame:
        raw = pl.col(source).str.strip_chars()
        if self.upper:
            raw = raw.str.to_uppercase()
        ok = raw.str.contains(self.regex)
        return df.with_columns(
            pl.when(ok).then(raw).alias(target),
            pl.when(_present(source) & ~ok.fill_null(False)).then(pl.lit("invalid_format")).alias(f"{target}_problem"),
        )


@dataclass(frozen=True)
class Timestamp:
    """A date or date-time in a strftime format, stored as Datetime (dates at midnight)."""

    fmt: str
    date_only: bool = False
    dtype: ClassVar[pl.DataType] = pl.Datetime("us")

    def apply(self, df: pl.DataFrame, source: str, target: str) -> pl.DataFrame:
        raw = pl.col(source).str.strip_chars()
        if self.date_only:
            parsed = raw.str.strptime(pl.Date, self.fmt, strict=False).cast(self.dtype)
        else:
            parsed = raw.str.strptime(self.dtype, self.fmt, strict=False)
        return df.with_columns(
            parsed.alias(target),
            pl.when(_present(source) & parsed.is_null()).then(pl.lit("unparseable")).alias(f"{target}_problem"),
        )


@dataclass(frozen=True)
class Attribute:
    source: str
    target: str
    kind: Code | Flag | Count | Pattern | Timestamp

    def apply(self, df: pl.DataFrame) -> pl.DataFrame:
        return self.kind.apply(df, self.source, self.target)


# ---------------------------------------------------------------------------------------
# Code sets shared by several feeds
# ---------------------------------------------------------------------------------------

# Every feed's ethnicity code is reconciled to the 2011 census 18+1 categories, written as
# the police self-defined codes (W1 ... O9), and to the five high-level groups.
ETHNIC_GROUP_OF = {
    "W1": "White", "W2": "White", "W3": "White", "W9": "White",
    "M1": "Mixed", "M2": "Mixed", "M3": "Mixed", "M9": "Mixed",
    "A1": "Asian", "A2": "Asian", "A3": "Asian", "A4": "Asian", "A9": "Asian",
    "B1": "Black", "B2": "Black", "B9": "Black",
    "O1": "Other", "O9": "Other",
}  # fmt: skip
POLICE_ETHNICITY = Code({**{c: c for c in ETHNIC_GROUP_OF}, "NS": None})
DFE_ETHNICITY = Code(
    {
        "WBRI": "W1", "WIRI": "W2", "WIRT": "W3", "WROM": "W9", "WOTH": "W9",
        "MWBC": "M1", "MWBA": "M2", "MWAS": "M3", "MOTH": "M9",
        "AIND": "A1", "APKN": "A2", "ABAN": "A3", "CHNE": "A4", "AOTH": "A9",
        "BCRB": "B1", "BAFR": "B2", "BOTH": "B9",
        "OOTH": "O9", "REFU": None, "NOBT": None,
    }
)  # fmt: skip
NHS_ETHNICITY = Code(
    {
        "A": "W1", "B": "W2", "C": "W9",
        "D": "M1", "E": "M2", "F": "M3", "G": "M9",
        "H": "A1", "J": "A2", "K": "A3", "L": "A9", "R": "A4",
        "M": "B1", "N": "B2", "P": "B9",
        "S": "O9", "Z": None,
    }
)  # fmt: skip


def with_ethnic_group(df: pl.DataFrame, column: str = "ethnicity") -> pl.DataFrame:
    return df.with_columns(
        ethnic_group=pl.col(column).replace_strict(ETHNIC_GROUP_OF, default=None, return_dtype=pl.String)
    )
