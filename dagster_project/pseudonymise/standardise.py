"""Standardise identifiers before they are encoded: one function per identifier type.

Every function takes a Polars frame and the name of a raw column, adds standardised
column(s) and a `<field>_problem` column (null when the value is fine or simply missing,
otherwise a short word naming what was wrong). A malformed identifier becomes missing and
its problem is counted; it is never silently dropped and its value is never logged.

All functions are idempotent: standardising an already standardised value returns it
unchanged (property-tested).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable

import polars as pl
from unidecode import unidecode

# Titles and honorifics removed from name fields (after upper-casing and punctuation removal).
TITLES = frozenset({"MR", "MRS", "MS", "MISS", "MX", "DR", "MASTER", "SIR", "DAME", "PROF", "REV", "LADY", "LORD"})
# Dates that source systems use as placeholders for "unknown".
DEFAULT_DATES = frozenset({dt.date(1900, 1, 1), dt.date(1901, 1, 1), dt.date(1899, 12, 31)})
EARLIEST_BIRTH = dt.date(1900, 1, 1)

# UK postcode: outward code (A9, A99, AA9, AA99, A9A, AA9A) + inward code (9AA).
POSTCODE_RE = r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][ABD-HJLNP-UW-Z]{2})$"
# Police national computer id: 2- or 4-digit year, serial, check letter.
PNC_RE = r"^([0-9]{2}|[0-9]{4})/([0-9]{1,7})([A-Z])$"
PNC_CHECK_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"


def map_unique(series: pl.Series, fn: Callable[[str], object], dtype: pl.DataType) -> pl.Series:
    """Apply a Python function to each distinct non-null value once, then broadcast back.

    Identifier columns repeat heavily (names, dates), so this is far cheaper than a per-row
    Python call.
    """
    uniques = series.drop_nulls().unique()
    mapped = pl.Series(series.name, [fn(v) for v in uniques.to_list()], dtype=dtype)
    lookup = pl.DataFrame({"__k": uniques, "__v": mapped})
    return (
        series.to_frame("__k")
        .join(lookup, on="__k", how="left", maintain_order="left")
        .get_column("__v")
        .alias(series.name)
    )


# ---------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------


def _clean_name_expr(raw: pl.Expr) -> pl.Expr:
    """Upper-case A-Z words separated by single spaces; apostrophes dropped, other marks split."""
    return raw.str.to_uppercase().str.replace_all(r"['’`]", "").str.replace_all(r"[^A-Z]+", " ").str.strip_chars()


def _ascii(series: pl.Series) -> pl.Series:
    """Transliterate accented and non-Latin letters to ASCII (Zoë → Zoe, Łukasz → Lukasz)."""
    needs = series.str.contains(r"[^\x00-\x7F]").fill_null(False)
    if not needs.any():
        return series
    translit = map_unique(series.filter(needs), unidecode, pl.String)
    return series.scatter(needs.arg_true(), translit)


def name_words(series: pl.Series, *, drop_titles: bool) -> pl.Series:
    """A name field as a list of standardised words (titles removed if asked)."""
    cleaned = pl.select(_clean_name_expr(pl.lit(_ascii(series)))).to_series()
    words = cleaned.str.split(" ").list.eval(pl.element().filter(pl.element() != ""))
    if drop_titles:
        words = words.list.eval(pl.element().filter(~pl.element().is_in(list(TITLES))))
    return words.alias(series.name)


_APOSTROPHES = re.compile(r"['’`]")
_NOT_LETTERS = re.compile(r"[^A-Z]+")


def standard_name_text(value: str) -> str:
    """One name standardised as `name_words` does a column (no titles removed), words
    joined by single spaces. For lookups of single names, where Polars would be slow."""
    ascii_text = unidecode(value) if not value.isascii() else value
    return _NOT_LETTERS.sub(" ", _APOSTROPHES.sub("", ascii_text.upper())).strip()


def standardise_forenames(df: pl.DataFrame, column: str) -> pl.DataFrame:
    """`forename` (first given name), `middle_names` (the rest, space separated)."""
    raw = df.get_column(column)
    words = name_words(raw, drop_titles=True)
    present = raw.is_not_null() & (raw.str.strip_chars() != "")
    first = words.list.first()
    middle = words.list.slice(1).list.join(" ")
    return df.with_columns(
        forename=first,
        middle_names=pl.when(middle != "").then(middle),
        forename_problem=pl.when(present & first.is_null()).then(pl.lit("no_letters")),
    )


def standardise_surname(df: pl.DataFrame, column: str) -> pl.DataFrame:
    """`surname` (all parts, space separated) and `surname_parts` (list, for double-barrels)."""
    raw = df.get_column(column)
    words = name_words(raw, drop_titles=False)
    present = raw.is_not_null() & (raw.str.strip_chars() != "")
    joined = words.list.join(" ")
    return df.with_columns(
        surname=pl.when(joined != "").then(joined),
        surname_parts=pl.when(words.list.len() > 0).then(words),
        surname_problem=pl.when(present & (words.list.len() == 0)).then(pl.lit("no_letters")),
    )


def split_full_name(df: pl.DataFrame, column: str) -> pl.DataFrame:
    """Split a `SURNAME, Forename Middle` field into raw `surname_raw` and `forenames_raw`.

    A value without a comma cannot be split reliably; its problem is recorded and the whole
    value is kept as the forenames so the person can still be matched on the rest.
    """
    raw = df.get_column(column)
    has_comma = raw.str.contains(",", literal=True).fill_null(False)
    parts = raw.str.splitn(",", 2)
    return df.with_columns(
        surname_raw=pl.when(has_comma).then(parts.struct.field("field_0")),
        forenames_raw=pl.when(has_comma).then(parts.struct.field("field_1")).otherwise(raw),
        full_name_problem=pl.when(raw.is_not_null() & ~has_comma).then(pl.lit("no_comma")),
    )


# ---------------------------------------------------------------------------------------
# Dates of birth
# ---------------------------------------------------------------------------------------


def _check_dob(df: pl.DataFrame, parsed: pl.Expr, raw: pl.Expr, reference: pl.Expr | None) -> pl.DataFrame:
    """Turn a parsed date into `dob` and `dob_problem` (defaults, future, pre-1900 → missing)."""
    problem = (
        pl.when(raw.is_null())
        .then(None)
        .when(parsed.is_null())
        .then(pl.lit("unparseable"))
        .when(parsed.is_in(list(DEFAULT_DATES)))
        .then(pl.lit("default_date"))
        .when(parsed < pl.lit(EARLIEST_BIRTH))
        .then(pl.lit("before_1900"))
    )
    if reference is not None:
        problem = problem.when(parsed > reference).then(pl.lit("after_event"))
    problem = problem.otherwise(None)
    return df.with_columns(dob_problem=problem).with_columns(dob=pl.when(pl.col("dob_problem").is_null()).then(parsed))


def standardise_dob(df: pl.DataFrame, column: str, fmt: str, *, reference: str | None = None) -> pl.DataFrame:
    """Parse a date of birth written as `fmt` (strftime) into `dob` (Date) + `dob_problem`.

    `reference` names a Date column (the event date): a birth after it is impossible.
    """
    raw = pl.col(column).str.strip_chars()
    raw = pl.when(raw != "").then(raw)
    parsed = raw.str.strptime(pl.Date, fmt, strict=False)
    ref = pl.col(reference) if reference else None
    return _check_dob(df, parsed, raw, ref)


def standardise_dob_two_digit_year(df: pl.DataFrame, column: str, *, reference: str, min_age: int = 5) -> pl.DataFrame:
    """Parse `dd-Mon-yy` dates of birth of children and young adults.

    The century is resolved against the event date in `reference`: 20yy unless that would
    make the person younger than `min_age` at the event, in which case 19yy.
    """
    raw = pl.col(column).str.strip_chars()
    raw = pl.when(raw != "").then(raw)
    parts = raw.str.to_titlecase().str.extract_groups(r"^(\d{1,2})-([A-Z][a-z]{2})-(\d{2})$")
    months = {
        m: i
        for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)
    }
    day = parts.struct.field("1").cast(pl.Int32, strict=False)
    month = parts.struct.field("2").replace_strict(months, default=None, return_dtype=pl.Int32)
    yy = parts.struct.field("3").cast(pl.Int32, strict=False)
    ref_year = pl.col(reference).dt.year()
    year = pl.when(2000 + yy > ref_year - min_age).then(1900 + yy).otherwise(2000 + yy)
    parsed = _safe_date(year, month, day)
    return _check_dob(df, parsed, raw, pl.col(reference))


def _safe_date(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    """Build a date, giving null (not an error) for impossible day/month combinations."""
    iso = pl.format(
        "{}-{}-{}",
        year.cast(pl.String),
        month.cast(pl.String).str.zfill(2),
        day.cast(pl.String).str.zfill(2),
    )
    return iso.str.strptime(pl.Date, "%Y-%m-%d", strict=False)


# ---------------------------------------------------------------------------------------
# Postcodes
# ---------------------------------------------------------------------------------------


def standardise_postcode(df: pl.DataFrame, column: str) -> pl.DataFrame:
    """Normalise a UK postcode to `LU1 3AB` form and split it into its parts.

    Adds `postcode`, `postcode_area` (LU), `postcode_district` (LU1), `postcode_sector`
    (LU1 3) and `postcode_problem` ("impossible_postcode" when it is not a UK postcode).
    """
    compact = pl.col(column).str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")
    compact = pl.when(compact != "").then(compact)
    groups = compact.str.extract_groups(POSTCODE_RE)
    outward = groups.struct.field("1")
    inward = groups.struct.field("2")
    return df.with_columns(
        postcode=pl.when(outward.is_not_null()).then(pl.format("{} {}", outward, inward)),
        postcode_area=outward.str.extract(r"^([A-Z]{1,2})"),
        postcode_district=outward,
        postcode_sector=pl.when(outward.is_not_null()).then(pl.format("{} {}", outward, inward.str.slice(0, 1))),
        postcode_problem=pl.when(compact.is_not_null() & outward.is_null()).then(pl.lit("impossible_postcode")),
    )


# ---------------------------------------------------------------------------------------
# NHS numbers
# ---------------------------------------------------------------------------------------


def nhs_check_digit_valid(digits: pl.Expr) -> pl.Expr:
    """True when a 10-digit string passes the NHS modulus-11 check."""
    total = pl.sum_horizontal([digits.str.slice(i, 1).cast(pl.Int32, strict=False) * (10 - i) for i in range(9)])
    check = 11 - (total % 11)
    check = pl.when(check == 11).then(0).otherwise(check)
    return (check != 10) & (check == digits.str.slice(9, 1).cast(pl.Int32, strict=False))


def standardise_nhs_number(df: pl.DataFrame, column: str) -> pl.DataFrame:
    """10 digits that pass the modulus-11 check → `nhs_number`; otherwise missing + problem."""
    compact = pl.col(column).str.replace_all(r"[\s-]", "")
    compact = pl.when(compact != "").then(compact)
    well_formed = compact.str.contains(r"^[0-9]{10}$")
    valid = well_formed & nhs_check_digit_valid(compact)
    return df.with_columns(
        nhs_number=pl.when(valid.fill_null(False)).then(compact),
        nhs_number_problem=pl.when(compact.is_null())
        .then(None)
        .when(~well_formed)
        .then(pl.lit("not_10_digits"))
        .when(~valid)
        .then(pl.lit("failed_mod11")),
    )


# ---------------------------------------------------------------------------------------
# Police national computer numbers
# ---------------------------------------------------------------------------------------


def standardise_pnc(df: pl.DataFrame, column: str) -> pl.DataFrame:
    """Unify `YY/NNNNNNL` and `YYYY/NNNNNNNL` to `YY/NNNNNNNL` and verify the check letter."""
    compact = pl.col(column).str.to_uppercase().str.replace_all(r"\s", "")
    compact = pl.when(compact != "").then(compact)
    groups = compact.str.extract_groups(PNC_RE)
    yy = groups.struct.field("1").str.slice(-2)
    serial = groups.struct.field("2").str.zfill(7)
    letter = groups.struct.field("3")
    expected_index = pl.concat_str([yy, serial]).cast(pl.Int64, strict=False) % 23
    expected = expected_index.replace_strict(dict(enumerate(PNC_CHECK_LETTERS)), default=None, return_dtype=pl.String)
    unified = pl.format("{}/{}{}", yy, serial, letter)
    ok = letter == expected
    return df.with_columns(
        pnc=pl.when(ok.fill_null(False)).then(unified),
        pnc_problem=pl.when(compact.is_null())
        .then(None)
        .when(groups.struct.field("1").is_null())
        .then(pl.lit("invalid_format"))
        .when(~ok)
        .then(pl.lit("check_letter_mismatch")),
    )


def pnc_check_letter(year_two_digits: int, serial: int) -> str:
    """The PNC check letter for a year (last two digits) and serial number."""
    return PNC_CHECK_LETTERS[int(f"{year_two_digits:02d}{serial:07d}") % 23]


# ---------------------------------------------------------------------------------------
# Problems
# ---------------------------------------------------------------------------------------


def problem_columns(df: pl.DataFrame) -> list[str]:
    return [c for c in df.columns if c.endswith("_problem")]


def collect_problems(df: pl.DataFrame, id_columns: Iterable[str]) -> pl.DataFrame:
    """Long table (id columns..., field, problem) of every non-null `<field>_problem`."""
    ids = list(id_columns)
    cols = problem_columns(df)
    schema = {**{c: df.schema[c] for c in ids}, "field": pl.String, "problem": pl.String}
    if not cols:
        return pl.DataFrame(schema=schema)
    long = df.select(ids + cols).unpivot(index=ids, on=cols, variable_name="field", value_name="problem")
    return (
        long.filter(pl.col("problem").is_not_null())
        .with_columns(pl.col("field").str.strip_suffix("_problem"))
        .select(list(schema))
        .cast(schema)
    )
