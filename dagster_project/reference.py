"""Reference geography: neighbourhood (LSOA 2021) → council → deprivation decile, residents.

The platform reads three files from `VERU_REFERENCE_DIR` (default `reference/`), in the
column layout of the Office for National Statistics' own lookups so the real files drop in:

| file | columns | real source |
|---|---|---|
| lsoa_lookup.csv | lsoa21cd, lsoa21nm, lad22cd, lad22nm, imd_decile | ONS LSOA (2021) to LAD lookup, with the English Indices of Deprivation decile |
| postcode_lookup.csv | pcds, lsoa21cd | ONS National Statistics Postcode Lookup (NSPL) |
| lsoa_population.csv | lsoa21cd, sex, age_band, residents | ONS mid-year population estimates by LSOA, banded |

`make demo` uses the synthetic stand-ins `veru-synth` writes. Postcodes never reach the
warehouse: the postcode lookup is turned into a keyed token → LSOA table, kept in the linkage
zone, and a record's home neighbourhood is found by its postcode token.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dagster_project.pseudonymise.encode import Encoder
from dagster_project.pseudonymise.keys import HashKey
from dagster_project.pseudonymise.standardise import standardise_postcode

# The population file's age bands: (first age above the band, label); the last band is open.
# `sql/macros.sql`'s age_band macro states the same bands in SQL (tests/test_shared_rules.py).
AGE_BAND_LIMITS: tuple[tuple[int | None, str], ...] = (
    (10, "0-9"), (15, "10-14"), (18, "15-17"), (25, "18-24"), (35, "25-34"),
    (45, "35-44"), (55, "45-54"), (65, "55-64"), (None, "65+"),
)  # fmt: skip
AGE_BANDS: tuple[str, ...] = tuple(label for _, label in AGE_BAND_LIMITS)

FILES = {
    "lsoa_lookup.csv": {"lsoa21cd": pl.String, "lsoa21nm": pl.String, "lad22cd": pl.String, "lad22nm": pl.String,
                        "imd_decile": pl.Int32},
    "postcode_lookup.csv": {"pcds": pl.String, "lsoa21cd": pl.String},
    "lsoa_population.csv": {"lsoa21cd": pl.String, "sex": pl.String, "age_band": pl.String, "residents": pl.Int64},
}  # fmt: skip


class ReferenceError(RuntimeError):
    """A reference file is missing or not in the expected layout."""


def read(name: str, directory: Path) -> pl.DataFrame:
    """One reference file, with the expected columns and types (extra columns ignored)."""
    path = Path(directory) / name
    if not path.is_file():
        raise ReferenceError(f"Reference file {path} does not exist (set VERU_REFERENCE_DIR).")
    schema = FILES[name]
    frame = pl.read_csv(path, infer_schema=False)
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise ReferenceError(f"Reference file {path} lacks column(s) {', '.join(missing)}.")
    try:
        return frame.select(list(schema)).cast(schema)
    except pl.exceptions.PolarsError as exc:
        raise ReferenceError(f"Reference file {path} has a value of the wrong type ({type(exc).__name__}).") from None


def postcode_tokens(postcodes: pl.DataFrame, key: HashKey) -> pl.DataFrame:
    """The postcode lookup keyed by postcode token: (pc_tok, lsoa21cd)."""
    std = standardise_postcode(postcodes, "pcds")
    tokens = Encoder(key).tokens(std.get_column("postcode"), "postcode")
    return (
        pl.DataFrame({"pc_tok": tokens, "lsoa21cd": std.get_column("lsoa21cd")})
        .drop_nulls("pc_tok")
        .unique("pc_tok", keep="first")
    )


def age_band(age: pl.Expr) -> pl.Expr:
    """The population file's age bands for an age in years (null stays null)."""
    (first_limit, first_label), *rest = AGE_BAND_LIMITS
    expr = pl.when(age < first_limit).then(pl.lit(first_label))
    for limit, label in rest:
        expr = expr.when(age < limit if limit is not None else age.is_not_null()).then(pl.lit(label))
    return expr


def age_band_of(age: int) -> str:
    """The age band of an age in years."""
    return next(label for limit, label in AGE_BAND_LIMITS if limit is None or age < limit)
