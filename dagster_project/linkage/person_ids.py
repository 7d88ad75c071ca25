"""Person ids that survive re-linking.

Splink's cluster ids are record ids (which carry record keys) and change whenever a
cluster's lowest record changes. Analysts need the opposite: a person keeps their
`person_id` from run to run unless their cluster genuinely splits or merges. Each new
cluster inherits the previous id held by most of its records (greedy, largest overlap
first; each previous id goes to at most one cluster); clusters with no claim get a new id.
Splits and merges are reported as lineage events.
"""

from __future__ import annotations

import polars as pl

from dagster_project.tables import LINEAGE_COLUMNS

PERSON_ID_PREFIX = "P"
PERSON_ID_DIGITS = 9


def _format(numbers: pl.Expr) -> pl.Expr:
    return pl.lit(PERSON_ID_PREFIX) + numbers.cast(pl.String).str.zfill(PERSON_ID_DIGITS)


def assign_person_ids(clusters: pl.DataFrame, previous: pl.DataFrame | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Give each cluster a person id.

    clusters: record_id, cluster_id (every record of this run).
    previous: record_id, person_id from the previous run (or None on the first run).
    Returns (record_id → person_id, lineage events).
    """
    if previous is None or previous.is_empty():
        previous = pl.DataFrame(schema={"record_id": pl.String, "person_id": pl.String})
    overlap = (
        clusters.join(previous, on="record_id", how="inner")
        .group_by("cluster_id", "person_id")
        .agg(pl.len().alias("shared"))
        .sort(["shared", "cluster_id", "person_id"], descending=[True, False, False])
    )
    taken_clusters: set[str] = set()
    taken_ids: set[str] = set()
    inherited: dict[str, str] = {}
    for cluster_id, person_id, _ in overlap.iter_rows():
        if cluster_id in taken_clusters or person_id in taken_ids:
            continue
        inherited[cluster_id] = person_id
        taken_clusters.add(cluster_id)
        taken_ids.add(person_id)

    highest = previous.get_column("person_id").str.strip_prefix(PERSON_ID_PREFIX).cast(pl.Int64, strict=False).max()
    next_number = (highest or 0) + 1
    fresh = (
        clusters.group_by("cluster_id")
        .agg(pl.col("record_id").min().alias("first_record"))
        .filter(~pl.col("cluster_id").is_in(list(inherited)))
        .sort("first_record")
        .with_columns(person_id=_format(pl.int_range(pl.len(), dtype=pl.Int64) + next_number))
        .select("cluster_id", "person_id")
    )
    mapping = pl.concat(
        [
            pl.DataFrame(
                {"cluster_id": list(inherited), "person_id": list(inherited.values())},
                schema={"cluster_id": pl.String, "person_id": pl.String},
            ),
            fresh,
        ]
    )
    assigned = clusters.join(mapping, on="cluster_id", how="left").select("record_id", "person_id")
    return assigned, _lineage(assigned, previous)


def _lineage(assigned: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    both = assigned.join(previous, on="record_id", how="inner", suffix="_old")
    merges = (
        both.group_by("person_id")
        .agg(pl.col("person_id_old").unique().sort().alias("related_person_ids"), pl.len().alias("records"))
        .filter(pl.col("related_person_ids").list.len() > 1)
        .with_columns(event=pl.lit("merge"))
    )
    splits = (
        both.group_by("person_id_old")
        .agg(pl.col("person_id").unique().sort().alias("related_person_ids"), pl.len().alias("records"))
        .filter(pl.col("related_person_ids").list.len() > 1)
        .rename({"person_id_old": "person_id"})
        .with_columns(event=pl.lit("split"))
    )
    return pl.concat([merges, splits], how="diagonal").select(list(LINEAGE_COLUMNS)).cast(LINEAGE_COLUMNS)
