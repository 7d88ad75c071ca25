"""Every table the platform writes into the staging, quality, linkage and tokens schemas: its
name, columns and types, declared once, here.

The warehouse creates a table from its declaration and refuses a frame whose columns or types
differ from it (`warehouse.append`, `replace_partition`, `replace_table`). It also refuses to
write into an existing table whose columns differ (a warehouse made by an older release): the
one-off `python -m dagster_project.tools.migrate --warehouse <file>` brings such a file to these
declarations, giving a column an older release did not write the default declared beside it
(NULL where none is: not known for those rows).

A feed's own tables are declared by functions of its name (`rejects`, `tokens`) or, where the
columns follow the feed's attributes, of those attributes (`staging`, called by
`FeedSpec.staging_table`). This module imports nothing from the package, so every layer may
use it (README, Layout).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import polars as pl

WAREHOUSE = "warehouse"
LINKAGE_ZONE = "linkage zone"  # the owner-only file that holds tokens and pairwise links
# Schemas whose tables must be declared here; a table elsewhere (reference, cohorts, aggregates)
# is made by its SQL or its publication and written as its frame is.
DECLARED_SCHEMAS = ("staging", "quality", "linkage", "tokens")
WHERE = "dagster_project/tables.py"


class SchemaMismatchError(RuntimeError):
    """A frame does not have the columns and types its table declares (never names a value)."""


def _instance(dtype: pl.DataType | type[pl.DataType]) -> pl.DataType:
    """`pl.String` and `pl.String()` alike, so declared types compare exactly."""
    return dtype() if isinstance(dtype, type) else dtype


@dataclass(frozen=True)
class Table:
    """One table: its name (`schema.table`), columns in order with their Polars types, the file
    it lives in, and the values `tools.migrate` gives columns an older release did not write."""

    name: str
    columns: tuple[tuple[str, pl.DataType], ...]
    zone: str = WAREHOUSE
    defaults: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(
        cls,
        name: str,
        columns: Mapping[str, pl.DataType | type[pl.DataType]],
        *,
        zone: str = WAREHOUSE,
        defaults: Mapping[str, object] | None = None,
    ) -> Table:
        unknown = sorted(set(defaults or {}) - set(columns))
        if unknown:
            raise ValueError(f"{name}: a default for undeclared column(s) {', '.join(unknown)}")
        return cls(name, tuple((c, _instance(t)) for c, t in columns.items()), zone, tuple((defaults or {}).items()))

    def extended(self, name: str, columns: Mapping[str, pl.DataType | type[pl.DataType]]) -> Table:
        """Another table in the same file: these columns and then `columns` (e.g. a history
        table of rows stamped with the run)."""
        return Table.of(name, {**self.schema, **columns}, zone=self.zone, defaults=dict(self.defaults))

    @property
    def schema(self) -> dict[str, pl.DataType]:
        return dict(self.columns)

    @property
    def column_names(self) -> list[str]:
        return [c for c, _ in self.columns]

    def default(self, column: str) -> object:
        """The value rows written before `column` existed take (None: NULL, not known)."""
        return dict(self.defaults).get(column)

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.schema)

    def from_rows(self, rows: Iterable[Mapping[str, object]]) -> pl.DataFrame:
        """A frame of `rows` (dicts) with exactly the declared columns and types; a column a row
        leaves out is null. A key that is not a declared column, or a value that does not fit
        its column's type, is a SchemaMismatchError naming the column (never the value)."""
        rows = list(rows)
        extra = sorted({key for row in rows for key in row} - set(self.schema))
        if extra:
            raise SchemaMismatchError(
                f"Cannot build {self.name}: column(s) {', '.join(extra)} not declared in {WHERE}."
            )
        series = []
        for column, dtype in self.columns:
            try:
                series.append(pl.Series(column, [row.get(column) for row in rows], dtype=dtype))
            except (TypeError, ValueError, pl.exceptions.PolarsError):
                raise SchemaMismatchError(
                    f"Cannot build {self.name}: a value of column {column} is not {dtype} (the value is not shown)."
                ) from None
        return pl.DataFrame(series)

    def check(self, frame: pl.DataFrame) -> pl.DataFrame:
        """`frame` with its columns in declared order, or a SchemaMismatchError naming the table
        and every column that differs from the declaration (order aside)."""
        problems = differences(self.schema, frame.schema)
        if problems:
            raise SchemaMismatchError(
                f"Cannot write {self.name}: {'; '.join(problems)}. Its columns are declared in {WHERE}."
            )
        return frame.select(self.column_names)


def differences(declared: Mapping[str, object], found: Mapping[str, object]) -> list[str]:
    """How `found` columns (name → type) differ from `declared`, a phrase per column, e.g.
    'column fails_now is missing (declared Boolean)'; the order of the columns aside."""
    return [
        f"column {column} is missing (declared {dtype})"
        if column not in found
        else f"column {column} is {found[column]}, declared {dtype}"
        for column, dtype in declared.items()
        if column not in found or found[column] != dtype
    ] + [f"column {column} is not declared" for column in found if column not in declared]


# ---------------------------------------------------------------------------------------
# staging: one table per feed, attributes only (no identifier, no token)
# ---------------------------------------------------------------------------------------

# Columns every feed's staging table has, before the feed's own attributes.
STAGING_COLUMNS: dict[str, pl.DataType] = {
    "record_key": pl.String(),
    "source_feed": pl.String(),
    "delivery_file": pl.String(),
    "extract_date": pl.Date(),
    "row_number": pl.Int64(),
    "event_date": pl.Date(),
    "age_at_event": pl.Int32(),
    "ethnic_group": pl.String(),
    "home_lsoa": pl.String(),
}


def staging(feed: str, attributes: Mapping[str, pl.DataType]) -> Table:
    """`staging.<feed>`: the common columns, then the feed's parsed attributes (target → type)
    in the spec's order; an attribute named like a common column is that column."""
    own = {a: t for a, t in attributes.items() if a not in STAGING_COLUMNS}
    return Table.of(f"staging.{feed}", {**STAGING_COLUMNS, **own})


# ---------------------------------------------------------------------------------------
# tokens: the linkage zone's pseudonymous identifiers, identical for every feed
# ---------------------------------------------------------------------------------------

# What `pseudonymise.encode` makes of a record's identifiers (its docstring says what each
# encodes): exact and phonetic tokens, Bloom filters of names, and lists of tokens.
TOKEN_COLUMNS: dict[str, pl.DataType] = {
    **{
        c: pl.String()
        for c in (
            "fn_tok", "mn_tok", "sn_tok", "fn_ph", "sn_ph", "dob_tok", "dob_swap_tok", "dob_y_tok",
            "dob_m_tok", "dob_d_tok", "pc_tok", "pc_sector_tok", "pc_district_tok", "nhs_tok", "pnc_tok",
            "local_id_tok",
        )
    },
    "fn_bf": pl.Binary(),
    "sn_bf": pl.Binary(),
    **{c: pl.List(pl.String()) for c in ("sn_part_toks", "fn_nv_toks", "sn_nv_toks", "dob_band_toks")},
}  # fmt: skip
TOKEN_RECORD_COLUMNS: dict[str, pl.DataType] = {
    "source_feed": pl.String(),
    "record_key": pl.String(),
    "key_id": pl.String(),
    "encoding_version": pl.String(),
    "sex": pl.String(),
}


def tokens(feed: str) -> Table:
    """`tokens.<feed>`, in the linkage zone: each record's key, key id, sex and tokens."""
    return Table.of(f"tokens.{feed}", {**TOKEN_RECORD_COLUMNS, **TOKEN_COLUMNS}, zone=LINKAGE_ZONE)


# ---------------------------------------------------------------------------------------
# quality: what was delivered, decided, rejected and found
# ---------------------------------------------------------------------------------------

# A delivery's rejected rows as the reader finds them (`feeds.delivery`); the table adds the
# feed and the file.
REJECT_COLUMNS: dict[str, pl.DataType] = {"row_number": pl.Int64(), "line_number": pl.Int64(), "reason": pl.String()}
# A delivery's problems with identifiers and attributes (field and problem, never the value).
PROBLEM_COLUMNS: dict[str, pl.DataType] = {
    "row_number": pl.Int64(),
    "record_key": pl.String(),
    "field": pl.String(),
    "problem": pl.String(),
}
_DELIVERY_TAG = {"feed": pl.String(), "delivery_file": pl.String()}


def rejects(feed: str) -> Table:
    """`quality.rejects_<feed>`: every rejected row of the feed's deliveries, with its reason."""
    return Table.of(f"quality.rejects_{feed}", {**_DELIVERY_TAG, **REJECT_COLUMNS})


IDENTIFIER_PROBLEMS = Table.of("quality.identifier_problems", {**_DELIVERY_TAG, **PROBLEM_COLUMNS})

# One row per file in the landing zone at the feed's latest run (statuses: staging.ingest).
DELIVERIES = Table.of(
    "quality.deliveries",
    {
        **_DELIVERY_TAG,
        "extract_date": pl.Date(),
        "pseudonymised_at_source": pl.Boolean(),
        "sha256": pl.String(),
        "size_bytes": pl.Int64(),
        "lines": pl.Int64(),
        "blank_lines": pl.Int64(),
        "rows_read": pl.Int64(),
        "rows_rejected": pl.Int64(),
        "rows_accepted": pl.Int64(),
        "status": pl.String(),
        "reason": pl.String(),
        "fails_now": pl.Boolean(),  # served because accepted earlier, but failing a blocking check now
    },
    # Before deliveries could be pseudonymised at source every one was plaintext; before kept
    # verdicts no delivery was served while failing its checks.
    defaults={"pseudonymised_at_source": False, "fails_now": False},
)
_RUN_STAMP = {"run_id": pl.String(), "checked_at": pl.Datetime("us")}
DELIVERY_HISTORY = DELIVERIES.extended("quality.delivery_history", _RUN_STAMP)

# Append-only: the newest row of a (feed, sha256) is its verdict (`feeds.verdicts`).
DELIVERY_VERDICTS = Table.of(
    "quality.delivery_verdicts",
    {
        "feed": pl.String(),
        "sha256": pl.String(),
        "delivery_file": pl.String(),
        "extract_date": pl.Date(),
        "size_bytes": pl.Int64(),
        "verdict": pl.String(),
        "reason": pl.String(),
        "decided_at": pl.Datetime("us"),
        "decided_by": pl.String(),  # "pipeline" or the person who released it
        "run_id": pl.String(),
    },
)

QUARANTINE = Table.of(
    "quality.quarantine",
    {
        **_DELIVERY_TAG,
        "extract_date": pl.Date(),
        "status": pl.String(),
        "reason": pl.String(),
        "failing_expectations": pl.String(),  # JSON: the failed expectations' counts, never values
        "sha256": pl.String(),
        "size_bytes": pl.Int64(),
        "rows_read": pl.Int64(),
        "moved_to": pl.String(),
        "quarantined_at": pl.Datetime("us"),
        "run_id": pl.String(),
    },
)

# One row per feed: its health now (`quality.health`); the history keeps every judgement.
FEED_STATUS = Table.of(
    "quality.feed_status",
    {
        "feed": pl.String(),
        "status": pl.String(),
        "reason": pl.String(),
        "latest_delivery": pl.String(),
        "latest_extract_date": pl.Date(),
        "latest_status": pl.String(),
        "latest_rows": pl.Int64(),
        "latest_size_bytes": pl.Int64(),
        "usual_rows": pl.Float64(),
        "days_since_delivery": pl.Int64(),
        "cadence_days": pl.Int64(),
        "max_days": pl.Int64(),
        "records_served": pl.Int64(),
        "last_good_delivery": pl.String(),
        "as_of": pl.Date(),
        "run_id": pl.String(),
    },
)
FEED_STATUS_HISTORY = FEED_STATUS.extended("quality.feed_status_history", {"checked_at": pl.Datetime("us")})

# One row per expectation per validation (`quality.results`): counts and suite-defined names only.
VALIDATION_RESULTS = Table.of(
    "quality.validation_results",
    {
        "suite_name": pl.String(),
        "label": pl.String(),
        "suite_success": pl.Boolean(),
        "evaluated_rows": pl.Int64(),
        "expectation_type": pl.String(),
        "column": pl.String(),
        "severity": pl.String(),
        "description": pl.String(),
        "success": pl.Boolean(),
        "element_count": pl.Int64(),
        "unexpected_count": pl.Int64(),
        "unexpected_percent": pl.Float64(),
        "observed_value": pl.Float64(),
        "exception": pl.String(),
        "judged": pl.Boolean(),
        "problem": pl.String(),
        "feed": pl.String(),  # a feed's name, or 'cohorts', 'linkage', ...
        "run_id": pl.String(),
        "validated_at": pl.Datetime("us"),
    },
    # Before rate limits went unjudged on small deliveries, every outcome was judged.
    defaults={"judged": True},
)

# ---------------------------------------------------------------------------------------
# linkage: persons, the evidence for them, and how each run went
# ---------------------------------------------------------------------------------------

PERSON_RECORDS = Table.of(
    "linkage.person_records", {"source_feed": pl.String(), "record_key": pl.String(), "person_id": pl.String()}
)
# Splits and merges of persons between runs (`linkage.person_ids`).
LINEAGE_COLUMNS: dict[str, pl.DataType] = {
    "event": pl.String(),  # "merge" (one new person from several old) or "split" (one old into several new)
    "person_id": pl.String(),  # the person the event is about (new id for merge, old id for split)
    "related_person_ids": pl.List(pl.String()),
    "records": pl.Int64(),
}
PERSON_LINEAGE = Table.of(
    "linkage.person_lineage", {**LINEAGE_COLUMNS, "run_id": pl.String(), "recorded_at": pl.Datetime("us")}
)
# Pairs at or above the threshold: record ids, so in the linkage zone only.
LINKS = Table.of(
    "linkage.links",
    {
        "record_id_l": pl.String(),
        "record_id_r": pl.String(),
        "match_weight": pl.Float64(),
        "match_probability": pl.Float64(),
    },
    zone=LINKAGE_ZONE,
)
MATCH_WEIGHT_HISTOGRAM = Table.of(
    "linkage.match_weight_histogram", {"match_weight_bin": pl.Float64(), "pairs": pl.Int64()}
)
BLOCKING_ANALYSIS = Table.of(
    "linkage.blocking_analysis",
    {
        "blocking_rule": pl.String(),
        "marginal_comparisons": pl.Int64(),
        "cumulative_comparisons": pl.Int64(),
        "total_possible_comparisons": pl.Int64(),
        "is_estimate": pl.Boolean(),
    },
)
# Borderline pairs for agencies to check at source: record keys and, for each comparison of
# the model (`linkage.model`), the label of the level the pair reached; never a token.
CLERICAL_REVIEW = Table.of(
    "linkage.clerical_review",
    {
        "source_feed_l": pl.String(),
        "record_key_l": pl.String(),
        "source_feed_r": pl.String(),
        "record_key_r": pl.String(),
        "match_weight": pl.Float64(),
        "match_probability": pl.Float64(),
        "linked": pl.Boolean(),
        **{c: pl.String() for c in ("forename", "surname", "dob", "postcode", "nhs_number", "pnc", "local_id", "sex")},
    },
)
# One row per linkage run: its figures (`linkage.run.LinkageResult.stats`) and timings in seconds.
LINKAGE_RUNS = Table.of(
    "linkage.runs",
    {
        "run_id": pl.String(),
        "linked_at": pl.Datetime("us"),
        "threshold_match_probability": pl.Float64(),
        "model_path": pl.String(),
        **{
            c: pl.Int64()
            for c in (
                "records",
                "persons",
                "pairs_scored",
                "links_at_threshold",
                "largest_cluster",
                "clusters_with_contradictions",
                "clusters_split_at_weak_links",
                "clusters_left_with_contradictions",
                "singletons",
            )
        },
        "key_id": pl.String(),
        "train_s": pl.Float64(),
        "predict_s": pl.Float64(),
        "cluster_s": pl.Float64(),
    },
)
# Scores against a synthetic ground truth (`defs.linkage.evaluation`); pair counts as DOUBLE,
# as every warehouse so far has them.
LINKAGE_EVALUATION = Table.of(
    "linkage.evaluation",
    {
        "scope": pl.String(),  # overall, feed_pair or ethnic_group
        "key": pl.String(),
        "precision": pl.Float64(),
        "recall": pl.Float64(),
        "f1": pl.Float64(),
        "true": pl.Float64(),
        "predicted": pl.Float64(),
        "correct": pl.Float64(),
        "run_id": pl.String(),
        "evaluated_at": pl.Datetime("us"),
    },
)

# Every declared table that is not one feed's own (those: `staging`, `rejects`, `tokens`).
SHARED_TABLES: tuple[Table, ...] = (
    IDENTIFIER_PROBLEMS,
    DELIVERIES,
    DELIVERY_HISTORY,
    DELIVERY_VERDICTS,
    QUARANTINE,
    FEED_STATUS,
    FEED_STATUS_HISTORY,
    VALIDATION_RESULTS,
    PERSON_RECORDS,
    PERSON_LINEAGE,
    LINKS,
    MATCH_WEIGHT_HISTOGRAM,
    BLOCKING_ANALYSIS,
    CLERICAL_REVIEW,
    LINKAGE_RUNS,
    LINKAGE_EVALUATION,
)
