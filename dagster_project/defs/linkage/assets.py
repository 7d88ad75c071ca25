"""The linkage asset: one Splink model across all four feeds, on tokens only."""

import dagster as dg
import polars as pl

from dagster_project import tables, warehouse
from dagster_project.clock import utcnow
from dagster_project.defs.ingest.assets import staging_key
from dagster_project.feeds import FEED_NAMES
from dagster_project.linkage.reports import PER_RECORD_REPORTS
from dagster_project.linkage.run import DEFAULT_MATCH_PROBABILITY, link_records
from dagster_project.linkage.store import write_links, write_run
from dagster_project.quality.suites import validate_frame
from dagster_project.resources import LinkageZoneResource, ModelStoreResource, WarehouseResource

PERSON_RECORDS = dg.AssetKey(["linkage", "person_records"])


class LinkageConfig(dg.Config):
    threshold_match_probability: float = DEFAULT_MATCH_PROBABILITY
    """Pairs at or above this probability are the same person (clustered transitively)."""
    seed: int = 42
    """Seed for the random sampling that estimates u-probabilities."""
    reports_max_records: int = 500_000
    """Write charts, dashboards and the clerical-review extract up to this many records (above
    it, keeping every pair's comparison columns for them costs gigabytes of memory). Aggregate
    charts go beside the model; dashboards showing record ids and tokens go to the owner-only
    reports folder (`VERU_LINKAGE_REPORTS`)."""


def read_tokens(con) -> pl.DataFrame:
    names = [tables.tokens(feed).name for feed in FEED_NAMES]
    names = [name for name in names if warehouse.table_exists(con, name)]
    if not names:
        return pl.DataFrame()
    return con.sql(" UNION ALL BY NAME ".join(f"SELECT * FROM {name}" for name in names)).pl()


def read_previous_person_ids(con) -> pl.DataFrame | None:
    if not warehouse.table_exists(con, "linkage.person_records"):
        return None
    return con.sql("SELECT source_feed || '|' || record_key AS record_id, person_id FROM linkage.person_records").pl()


def no_tokens_check(con) -> dg.AssetCheckResult:
    """The split-file model, checked: no token column or token table in the warehouse."""
    found = con.sql(
        "SELECT table_schema || '.' || table_name || '.' || column_name FROM information_schema.columns "
        "WHERE table_catalog = current_database() AND (table_schema = 'tokens' OR column_name IN "
        f"({', '.join(repr(c) for c in tables.TOKEN_COLUMNS)}))"
    ).fetchall()
    return dg.AssetCheckResult(
        check_name="warehouse_holds_no_tokens",
        asset_key=PERSON_RECORDS,
        passed=not found,
        metadata={"token_columns_found": len(found)},
        description="no token in the warehouse" if not found else f"tokens found: {', '.join(c for (c,) in found[:5])}",
    )


def coverage_check(tokens: pl.DataFrame, person_records: pl.DataFrame) -> dg.AssetCheckResult:
    staged = tokens.select("source_feed", "record_key")
    linked = person_records.filter(pl.col("person_id").is_not_null()).select("source_feed", "record_key")
    missing = staged.join(linked, on=["source_feed", "record_key"], how="anti").height
    extra = linked.join(staged, on=["source_feed", "record_key"], how="anti").height
    return dg.AssetCheckResult(
        check_name="every_record_linked",
        asset_key=PERSON_RECORDS,
        passed=missing == 0 and extra == 0,
        metadata={"staged_records": staged.height, "without_person_id": missing, "not_staged": extra},
        description=f"{missing} staged record(s) without a person_id; {extra} unknown record(s)",
    )


@dg.asset(
    key=PERSON_RECORDS,
    deps=[staging_key(feed) for feed in FEED_NAMES],
    group_name="linkage",
    kinds={"splink", "duckdb"},
    description=(
        "Which linked person each source record belongs to: one row per (source_feed, "
        "record_key) with its person_id. Splink trained without labels on pseudonymous tokens "
        "of all four feeds; person ids carry over between runs."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "person_records_expectations",
            asset=PERSON_RECORDS,
            description="The person_records Great Expectations suite passes.",
        ),
        dg.AssetCheckSpec(
            "every_record_linked", asset=PERSON_RECORDS, description="Every staged record has exactly one person_id."
        ),
        dg.AssetCheckSpec(
            "warehouse_holds_no_tokens",
            asset=PERSON_RECORDS,
            description="The warehouse analysts read holds no token column and no token table.",
        ),
    ],
)
def person_records(
    context: dg.AssetExecutionContext,
    config: LinkageConfig,
    warehouse_db: WarehouseResource,
    linkage_zone: LinkageZoneResource,
    model_store: ModelStoreResource,
) -> dg.MaterializeResult:
    """Link the tokens of every staged feed and write `linkage.person_records`."""
    with linkage_zone.connect() as con:
        tokens = read_tokens(con)
    with warehouse_db.connect() as con:
        previous = read_previous_person_ids(con)
    if tokens.is_empty():
        raise dg.Failure("No staged records in any feed: nothing to link. Materialise the staging assets first.")

    result = link_records(
        tokens,
        model_dir=model_store.root,
        previous=previous,
        threshold=config.threshold_match_probability,
        seed=config.seed,
        reports=tokens.height <= config.reports_max_records,
        private_reports_dir=model_store.reports_root,
    )
    with linkage_zone.connect() as con:
        write_links(con, result)
    with warehouse_db.connect() as con:
        write_run(con, result, context.run_id, utcnow())
    with warehouse_db.connect(read_only=True) as con:
        tokens_check = no_tokens_check(con)

    model_metadata = {"model_json": dg.MetadataValue.path(str(result.model_path))} if result.model_path else {}
    # Aggregate charts sit beside the model; the dashboards that show record ids and tokens
    # are in the owner-only reports folder (linkage/reports.py says which is which).
    model_metadata.update(
        {f"chart_{name}": dg.MetadataValue.path(str(path.resolve())) for name, path in result.reports.items()}
    )
    private = [path for name, path in result.reports.items() if name in PER_RECORD_REPORTS]
    if private:
        model_metadata["private_reports_folder"] = dg.MetadataValue.path(str(private[0].parent.resolve()))
    suite = validate_frame(result.person_records, "person_records", label=context.run_id)
    sizes = result.person_records.group_by("person_id").len().get_column("len")
    size_counts = sizes.value_counts().sort("len").head(10)
    return dg.MaterializeResult(
        metadata={
            "records": dg.MetadataValue.int(result.stats["records"]),
            "persons": dg.MetadataValue.int(result.stats["persons"]),
            "links_at_threshold": dg.MetadataValue.int(result.stats["links_at_threshold"]),
            "largest_cluster": dg.MetadataValue.int(result.stats["largest_cluster"]),
            "threshold_match_probability": dg.MetadataValue.float(result.threshold),
            "cluster_sizes": dg.MetadataValue.md(
                "| records per person | persons |\n| --- | --- |\n"
                + "\n".join(f"| {a} | {b} |" for a, b in size_counts.iter_rows())
            ),
            "person_id_splits_and_merges": dg.MetadataValue.int(result.lineage.height),
            "clusters_split_at_weak_links": dg.MetadataValue.int(result.stats["clusters_split_at_weak_links"]),
            "clerical_review_pairs": dg.MetadataValue.int(
                result.clerical_review.height if result.clerical_review is not None else 0
            ),
            "blocking_analysis": dg.MetadataValue.md(
                "| blocking rule | new comparisons | cumulative |\n| --- | --- | --- |\n"
                + "\n".join(
                    f"| `{rule}` | {marginal:,} | {cumulative:,} |"
                    for rule, marginal, cumulative in result.blocking.select(
                        "blocking_rule", "marginal_comparisons", "cumulative_comparisons"
                    ).iter_rows()
                )
            ),
            **{k: dg.MetadataValue.float(round(v, 2)) for k, v in result.timings.items()},
            **model_metadata,
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="person_records_expectations",
                asset_key=PERSON_RECORDS,
                passed=suite.success and suite.warning_failures == 0,
                description=suite.summary(),
                metadata={"blocking_failures": suite.blocking_failures, "warning_failures": suite.warning_failures},
            ),
            coverage_check(tokens, result.person_records),
            tokens_check,
        ],
    )
