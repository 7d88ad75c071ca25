"""The reference geography asset: ONS-layout lookups into the warehouse and linkage zone."""

import dagster as dg
import polars as pl

from dagster_project import reference as lookups
from dagster_project import warehouse
from dagster_project.resources import HashKeyResource, LinkageZoneResource, ReferenceResource, WarehouseResource

GEOGRAPHY = dg.AssetKey(["reference", "geography"])


@dg.asset(
    key=GEOGRAPHY,
    group_name="reference",
    kinds={"duckdb"},
    description=(
        "Neighbourhoods (LSOA 2021) with their council and deprivation decile, residents by sex "
        "and age band (warehouse `reference.lsoa`, `reference.population`), and the postcode "
        "lookup keyed by postcode token (linkage zone `reference.postcode_lsoa`), from "
        "VERU_REFERENCE_DIR. Synthetic for the demo; the real ONS files drop in."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "reference_files_present", asset=GEOGRAPHY, description="All three reference files were found and read."
        )
    ],
)
def reference_geography(
    context: dg.AssetExecutionContext,
    warehouse_db: WarehouseResource,
    linkage_zone: LinkageZoneResource,
    hash_key: HashKeyResource,
    reference: ReferenceResource,
) -> dg.MaterializeResult:
    """Load the lookups. Missing files leave empty tables and a failed check, never a crash:
    without them, records simply have no home neighbourhood."""
    problems = []
    frames = {}
    for name, schema in lookups.FILES.items():
        try:
            frames[name] = lookups.read(name, reference.root)
        except lookups.ReferenceError as exc:
            problems.append(str(exc))
            frames[name] = pl.DataFrame(schema=schema)
            context.log.warning("%s", exc)
    key = hash_key.load()
    postcode_lsoa = lookups.postcode_tokens(frames["postcode_lookup.csv"], key)
    with linkage_zone.connect() as con, warehouse.transaction(con):
        warehouse.replace_table(con, "reference.postcode_lsoa", postcode_lsoa)
    with warehouse_db.connect() as con, warehouse.transaction(con):
        warehouse.replace_table(con, "reference.lsoa", frames["lsoa_lookup.csv"])
        warehouse.replace_table(con, "reference.population", frames["lsoa_population.csv"])
    lsoa = frames["lsoa_lookup.csv"]
    return dg.MaterializeResult(
        metadata={
            "neighbourhoods": dg.MetadataValue.int(lsoa.height),
            "councils": dg.MetadataValue.int(lsoa.get_column("lad22nm").n_unique()),
            "postcodes": dg.MetadataValue.int(postcode_lsoa.height),
            "residents": dg.MetadataValue.int(int(frames["lsoa_population.csv"].get_column("residents").sum() or 0)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="reference_files_present",
                asset_key=GEOGRAPHY,
                passed=not problems,
                severity=dg.AssetCheckSeverity.WARN,
                description="; ".join(problems) or "all reference files read",
            )
        ],
    )
