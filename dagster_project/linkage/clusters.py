"""Clusters that never hold two records which cannot be the same person.

Connected components at a threshold are transitive: one record that scores high against
two people (a namesake with no date of birth, sharing an address) bridges them into one
"person". Some record pairs contradict each other outright:

- both dates of birth recorded and years apart, and not a day/month swap or a year typo
  (dates of birth in disjoint 5-year bands, with day and month differing);
- two different PNC ids, or two different NHS numbers (both validated).

A cluster containing such a pair is re-clustered on its own edges at stepwise higher match
weights until no contradicting pair shares a component. Links that strong identifiers
support survive; weak bridges are cut. If contradictions remain at the highest step (say an
NHS number shared by two records whose dates of birth are years apart), the cluster is left
as it is: an agreeing identifier outweighs a disagreeing one.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

# Extra bits of match weight per step (the base is the linkage threshold's weight).
WEIGHT_STEPS = (3.0, 6.0, 10.0, 15.0, 20.0)

IDENTIFIER_CONFLICT_SQL = """
    (l.pnc_tok IS NOT NULL AND r.pnc_tok IS NOT NULL AND l.pnc_tok <> r.pnc_tok)
    OR (l.nhs_tok IS NOT NULL AND r.nhs_tok IS NOT NULL AND l.nhs_tok <> r.nhs_tok)
"""
# Needs the date-part and year-band encodings (not whole-field tokens only).
DOB_CONFLICT_SQL = """
    (l.dob_tok IS NOT NULL AND r.dob_tok IS NOT NULL
        AND NOT list_has_any(l.dob_band_toks, r.dob_band_toks)
        AND NOT (l.dob_m_tok = r.dob_m_tok AND l.dob_d_tok = r.dob_d_tok)
        AND l.dob_swap_tok IS DISTINCT FROM r.dob_tok)
"""


@dataclass
class SplitStats:
    clusters_with_conflicts: int = 0
    clusters_split: int = 0
    clusters_left_with_conflicts: int = 0


def conflicting_pairs(
    con: duckdb.DuckDBPyConnection, records: str, clusters: str, *, dates_of_birth: bool = True
) -> pl.DataFrame:
    """Pairs of records in the same cluster that cannot be the same person."""
    condition = IDENTIFIER_CONFLICT_SQL + (f" OR {DOB_CONFLICT_SQL}" if dates_of_birth else "")
    return con.sql(
        f"""
        WITH c AS (SELECT r.*, k.cluster_id FROM {records} r JOIN {clusters} k USING (record_id))
        SELECT l.cluster_id, l.record_id AS record_id_l, r.record_id AS record_id_r
        FROM c l JOIN c r ON l.cluster_id = r.cluster_id AND l.record_id < r.record_id
        WHERE {condition}
        """
    ).pl()


def _components(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, str]:
    parent = {n: n for n in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {n: find(n) for n in nodes}


def split_conflicting_clusters(
    con: duckdb.DuckDBPyConnection,
    records: str,
    predictions: str,
    clusters: pl.DataFrame,
    base_weight: float,
    *,
    dates_of_birth: bool = True,
) -> tuple[pl.DataFrame, SplitStats]:
    """Re-cluster every cluster that holds a contradicting pair (see module docstring).

    clusters: record_id, cluster_id. predictions: Splink's scored pairs (record_id_l,
    record_id_r, match_weight). dates_of_birth: also treat dates of birth years apart as a
    contradiction (uses the date-part encodings; off for the exact-tokens-only model).
    Returns the new clusters and what was done.
    """
    stats = SplitStats()
    con.register("__veru_clusters", clusters.to_arrow())
    try:
        conflicts = conflicting_pairs(con, records, "__veru_clusters", dates_of_birth=dates_of_birth)
    finally:
        con.unregister("__veru_clusters")
    if conflicts.is_empty():
        return clusters, stats
    affected = conflicts.get_column("cluster_id").unique()
    stats.clusters_with_conflicts = affected.len()
    members = clusters.filter(pl.col("cluster_id").is_in(affected.implode()))
    con.register("__veru_members", members.to_arrow())
    try:
        edges = con.sql(
            f"""
            SELECT m.cluster_id, p.record_id_l, p.record_id_r, p.match_weight
            FROM {predictions} p
            JOIN __veru_members m ON p.record_id_l = m.record_id
            JOIN __veru_members m2 ON p.record_id_r = m2.record_id AND m2.cluster_id = m.cluster_id
            WHERE p.match_weight >= {base_weight}
            """
        ).pl()
    finally:
        con.unregister("__veru_members")

    replacements: dict[str, str] = {}
    for (cluster_id,), nodes_frame in members.group_by(["cluster_id"]):
        nodes = nodes_frame.get_column("record_id").to_list()
        cluster_edges = edges.filter(pl.col("cluster_id") == cluster_id)
        bad = conflicts.filter(pl.col("cluster_id") == cluster_id).select("record_id_l", "record_id_r").rows()
        assignment = None
        for step in WEIGHT_STEPS:
            kept = cluster_edges.filter(pl.col("match_weight") >= base_weight + step)
            candidate = _components(nodes, kept.select("record_id_l", "record_id_r").rows())
            if all(candidate[a] != candidate[b] for a, b in bad):
                assignment = candidate
                break
        if assignment is None:
            stats.clusters_left_with_conflicts += 1
            continue
        stats.clusters_split += 1
        replacements.update(assignment)
    if not replacements:
        return clusters, stats
    new_ids = pl.DataFrame({"record_id": list(replacements), "new_cluster_id": list(replacements.values())})
    return (
        clusters.join(new_ids, on="record_id", how="left")
        .with_columns(cluster_id=pl.coalesce("new_cluster_id", "cluster_id"))
        .drop("new_cluster_id"),
        stats,
    )
