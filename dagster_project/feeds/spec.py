"""What a feed is: its columns, its key, how its attributes and identifiers are parsed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from dagster_project import tables
from dagster_project.feeds.columns import Attribute, with_ethnic_group
from dagster_project.feeds.delivery import DeliveryError, RawDelivery
from dagster_project.pseudonymise.standardise import collect_problems
from dagster_project.tables import PROBLEM_COLUMNS, REJECT_COLUMNS


@dataclass(frozen=True)
class FeedSpec:
    """One agency extract, exactly as FEEDS.md describes it."""

    name: str
    key: str
    key_pattern: str
    columns: tuple[str, ...]
    attributes: tuple[Attribute, ...]
    # Adds standardised identity columns (forename, surname, dob, postcode, ...) to a frame
    # that already holds the parsed attributes (so `event_date` is available). Runs only
    # where plaintext is pseudonymised (`staging.pseudonymised`).
    identity: Callable[[pl.DataFrame], pl.DataFrame]
    description: str
    # The plaintext identifier columns: they never leave the encoding step.
    identifiers: tuple[str, ...] = ()
    # (column, strftime format) of the dates whose range the suite checks (event date, birth):
    # `with_checked_dates` adds each as `<column>__date` for `expect_column_values_to_be_between`.
    checked_dates: tuple[tuple[str, str], ...] = ()

    @property
    def attribute_targets(self) -> list[str]:
        return [a.target for a in self.attributes]

    @property
    def staging_table(self) -> tables.Table:
        """`staging.<feed>`: the columns every feed stages, then this feed's attributes."""
        return tables.staging(self.name, {a.target: a.kind.dtype for a in self.attributes})


@dataclass
class ParsedDelivery:
    records: pl.DataFrame  # row_number, record_key, parsed attributes, age, tokens, key id
    rejects: pl.DataFrame  # row_number, line_number, reason
    problems: pl.DataFrame  # row_number, record_key, field, problem


CHECKED_DATE_SUFFIX = "__date"

# When a record key reappears in a later delivery, the new version replaces the old one field
# by field: a value present (and valid) in the new version wins, but a field blank or invalid
# in the new version keeps the earlier version's value. FEEDS.md says an empty field means
# "missing", not "erase": a blank in a re-sent record is far more often an export fault (a
# column that went empty, a format the platform cannot read) than a deliberate erasure, and
# a date of birth or a name lost from a record can break its links. To correct a value an
# agency sends the right value; no field can be blanked by a correction.
#
# Fields that travel together are kept or replaced together, named by the column whose
# presence decides (e.g. every date-of-birth token goes with dob_tok).
TOKEN_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fn_tok", ("fn_tok", "mn_tok", "fn_ph", "fn_bf", "fn_nv_toks")),
    ("sn_tok", ("sn_tok", "sn_ph", "sn_bf", "sn_part_toks", "sn_nv_toks")),
    ("dob_tok", ("dob_tok", "dob_swap_tok", "dob_y_tok", "dob_m_tok", "dob_d_tok", "dob_band_toks")),
    # the age needs both the date of birth and the event date: a correction lacking either keeps it
    ("age_at_event", ("age_at_event",)),
    ("pc_tok", ("pc_tok", "pc_sector_tok", "pc_district_tok")),
    ("nhs_tok", ("nhs_tok",)),
    ("pnc_tok", ("pnc_tok",)),
    ("local_id_tok", ("local_id_tok",)),
)
ATTRIBUTE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("event_at", ("event_at", "event_date")),
    ("ethnicity", ("ethnicity", "ethnic_group")),
)


def keep_groups(spec: FeedSpec, columns: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """(presence column, member columns) for every field of a staged record of `spec` that a
    correction may not blank: the token groups, the event date, ethnicity, and each other
    parsed attribute on its own. Only columns present in `columns` are listed."""
    present = set(columns)
    groups = [
        (lead, tuple(m for m in members if m in present))
        for lead, members in (*TOKEN_GROUPS, *ATTRIBUTE_GROUPS)
        if lead in present
    ]
    grouped = {m for _, members in groups for m in members}
    groups += [(t, (t,)) for t in spec.attribute_targets if t in present and t not in grouped]
    return groups


def with_checked_dates(spec: FeedSpec, frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` plus a Datetime `<column>__date` for each of the feed's checked date columns
    present in it (null where the text is missing or not in the feed's format: the format
    expectations count those)."""
    columns = []
    for column, fmt in spec.checked_dates:
        if column not in frame.columns:
            continue
        text = pl.col(column).str.strip_chars()
        if "%b" in fmt:
            text = text.str.to_titlecase()
        if any(code in fmt for code in ("%H", "%M", "%S")):
            parsed = text.str.strptime(pl.Datetime("us"), fmt, strict=False)
        else:
            parsed = text.str.strptime(pl.Date, fmt, strict=False).cast(pl.Datetime("us"))
        columns.append(parsed.alias(column + CHECKED_DATE_SUFFIX))
    return frame.with_columns(columns) if columns else frame


def key_rejects(df: pl.DataFrame, spec: FeedSpec) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split off rows whose key is missing, malformed or duplicated within the delivery.

    Returns (good rows with a `record_key` column, rejects as row_number/line_number/reason).
    """
    key = pl.col(spec.key).str.strip_chars()
    dup_rows = pl.col("row_number").cast(pl.String).implode().over("record_key").list.join(", ")
    checked = df.with_columns(record_key=key).with_columns(
        __reason=pl.when(pl.col("record_key").is_null())
        .then(pl.lit(f"{spec.key} is missing"))
        .when(~pl.col("record_key").str.contains(spec.key_pattern))
        .then(pl.lit(f"{spec.key} does not match the format {spec.key_pattern}"))
        .when(pl.len().over("record_key") > 1)
        .then(pl.format(f"{spec.key} {{}} appears more than once (rows {{}})", pl.col("record_key"), dup_rows))
    )
    bad = checked.filter(pl.col("__reason").is_not_null())
    good = checked.filter(pl.col("__reason").is_null()).drop("__reason")
    line = pl.col("line_number") if "line_number" in bad.columns else pl.lit(None, dtype=pl.Int64).alias("line_number")
    rejects = bad.select("row_number", line, pl.col("__reason").alias("reason")).cast(REJECT_COLUMNS)
    return good, rejects


def age_at(dob: pl.Expr, when: pl.Expr) -> pl.Expr:
    """Whole years between a date of birth and an event date."""
    before_birthday = (when.dt.month() < dob.dt.month()) | (
        (when.dt.month() == dob.dt.month()) & (when.dt.day() < dob.dt.day())
    )
    return (when.dt.year() - dob.dt.year() - before_birthday.cast(pl.Int32)).cast(pl.Int32)


def check_columns(spec: FeedSpec, raw: RawDelivery, expected: list[str]) -> None:
    """Raise DeliveryError naming the columns a delivery lacks."""
    missing = [c for c in expected if c not in raw.header]
    if missing and len(missing) == len(expected) > 1:
        raise DeliveryError(spec.name, raw.delivery.path, f"none of the {len(expected)} agreed columns found")
    if missing:
        raise DeliveryError(spec.name, raw.delivery.path, f"missing column(s): {', '.join(missing)}")


def stage_delivery(spec: FeedSpec, pseudo: pl.DataFrame) -> ParsedDelivery:
    """A pseudonymised delivery → staged records (attributes parsed, tokens kept), rejects
    and problems (attribute problems found here plus the identifier problems it carries)."""
    rejects = pseudo.filter(pl.col("reject_reason").is_not_null()).select(
        "row_number", "line_number", pl.col("reject_reason").alias("reason")
    )
    df = pseudo.filter(pl.col("reject_reason").is_null()).with_columns(record_key=pl.col(spec.key).str.strip_chars())
    for attribute in spec.attributes:
        df = attribute.apply(df)
    df = df.with_columns(event_date=pl.col("event_at").dt.date())
    if "ethnicity" in df.columns:
        df = with_ethnic_group(df)
    identifier_problems = (
        df.select("row_number", "record_key", pl.col("identifier_problems").str.split(";"))
        .explode("identifier_problems")
        .drop_nulls("identifier_problems")
        .with_columns(pl.col("identifier_problems").str.split_exact(":", 1).struct.rename_fields(["field", "problem"]))
        .unnest("identifier_problems")
    )
    problems = (
        pl.concat([collect_problems(df, ["row_number", "record_key"]), identifier_problems], how="vertical_relaxed")
        .cast(PROBLEM_COLUMNS)
        .sort("row_number", "field")
    )
    df = df.drop([c for c in df.columns if c.endswith("_problem")] + ["identifier_problems", "reject_reason"])
    return ParsedDelivery(records=df, rejects=rejects.cast(REJECT_COLUMNS), problems=problems)
