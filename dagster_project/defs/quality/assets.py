"""The quality dashboard: a static site rebuilt after every run from the `quality.*` tables."""

from pathlib import Path

import dagster as dg

from dagster_project import tables, warehouse
from dagster_project.clock import utcnow
from dagster_project.defs.ingest.assets import staging_key
from dagster_project.defs.linkage.assets import PERSON_RECORDS
from dagster_project.feeds import FEEDS
from dagster_project.quality.dashboard import STATUS_STYLE, build_site
from dagster_project.quality.health import restate, write_status
from dagster_project.quality.results import record_validations
from dagster_project.resources import QualityResource, WarehouseResource

DASHBOARD = dg.AssetKey(["quality", "dashboard"])


@dg.asset(
    key=DASHBOARD,
    deps=[*(staging_key(f) for f in FEEDS), PERSON_RECORDS],
    group_name="quality",
    kinds={"html"},
    description=(
        "The quality dashboard (`VERU_DASHBOARD_DIR`, default `quality_site/`): each feed's status "
        "(healthy / late / degraded / broken) with the reason in words, latest delivery against the "
        "feed's history, row-count and null-rate trends, linkage health, the quarantine log, and every "
        "delivery's Great Expectations Data Docs page. Self-contained: opens from disk with no network."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "linkage_health",
            asset=DASHBOARD,
            description="Match rate and cluster sizes of linkage.person_records are within their expected bands.",
        ),
        dg.AssetCheckSpec(
            "feeds_healthy",
            asset=DASHBOARD,
            description="Every feed is healthy as of the dashboard's date (the dashboard's banner, as a check).",
        ),
    ],
)
def dashboard(
    context: dg.AssetExecutionContext, warehouse_db: WarehouseResource, quality: QualityResource
) -> dg.MaterializeResult:
    site = Path(quality.dashboard_dir)
    as_of = quality.today()
    with warehouse_db.connect() as con:
        # judged again on the dashboard's date (a feed can go late with no run of its own), so the
        # table says what the page says
        judged = warehouse.read_declared(con, tables.FEED_STATUS).iter_rows(named=True)
        restated = [new for old in judged if (new := restate(old, as_of)) is not old]
        if restated:
            with warehouse.transaction(con):
                for record in restated:
                    write_status(con, record, utcnow())
        statuses, linkage = build_site(con, site, as_of=as_of, run_id=context.run_id)
        if linkage is not None:
            with warehouse.transaction(con):
                record_validations(con, [linkage], feed="linkage", run_id=context.run_id)
    summary = ", ".join(f"{feed} {row['status']}" for feed, row in statuses.items())
    if linkage is None:
        check = dg.AssetCheckResult(
            passed=False, severity=dg.AssetCheckSeverity.WARN, description="no linkage yet", check_name="linkage_health"
        )
    else:
        check = dg.AssetCheckResult(
            check_name="linkage_health",
            passed=linkage.success and not linkage.warning_failures,
            severity=dg.AssetCheckSeverity.ERROR if not linkage.success else dg.AssetCheckSeverity.WARN,
            description=linkage.summary(),
        )
    unwell = {f: r for f, r in statuses.items() if r["status"] != "healthy"}
    feeds_check = dg.AssetCheckResult(
        check_name="feeds_healthy",
        passed=not unwell,
        severity=dg.AssetCheckSeverity.ERROR
        if any(r["status"] == "broken" for r in unwell.values())
        else dg.AssetCheckSeverity.WARN,
        description="; ".join(f"{f} {r['status'].upper()}: {r['reason']}" for f, r in unwell.items())
        or "all feeds healthy",
        metadata={f: r["status"] for f, r in statuses.items()},
    )
    return dg.MaterializeResult(
        metadata={
            "dashboard": dg.MetadataValue.path(str((site / "index.html").resolve())),
            "feeds": dg.MetadataValue.md(
                "| feed | status | reason |\n|---|---|---|\n"
                + "\n".join(
                    f"| {f} | {STATUS_STYLE[r['status']][1]} {r['status']} | {r['reason']} |"
                    for f, r in statuses.items()
                )
            ),
            "summary": summary,
        },
        check_results=[check, feeds_check],
    )
