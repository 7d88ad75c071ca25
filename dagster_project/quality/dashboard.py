"""The quality dashboard: a static, self-contained HTML site built from the `quality.*` tables.

`index.html` shows every feed's status (healthy / late / degraded / broken) with its reason in
words, the latest delivery's date and size against the feed's history, trends of row counts
and identifier null rates per delivery, linkage health, and the quarantine log; it links to
`validations.html`, the index of every delivery's Great Expectations Data Docs page. Charts
are inline SVG, styles are inline: the site opens from disk with no network. It holds counts,
rates, file names and expectation wording only, never a value from a delivery.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from pathlib import Path

import duckdb
import polars as pl

from dagster_project import tables, warehouse
from dagster_project.feeds import FEEDS
from dagster_project.quality.datadocs import render_index_page, write_page
from dagster_project.quality.suites import validate_frame

logger = logging.getLogger(__name__)

STATUS_STYLE = {  # colour, symbol, words
    "healthy": ("#1b7f3b", "✔", "Healthy"),
    "degraded": ("#b35c00", "▲", "Degraded"),
    "late": ("#8a3ffc", "⏱", "Late"),
    "broken": ("#c62828", "✖", "Broken"),
}
NULL_RATE_COLUMNS = ("dob", "date_of_birth", "postcode", "nhs_number", "pnc_id", "sex", "ethnicity", "gender")

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;background:#f4f5f7;color:#1d1d1f}
header{background:#1f2937;color:#fff;padding:16px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#cbd5e1;font-size:13px}
main{padding:20px 28px;max-width:1280px}
.banner{padding:14px 18px;border-radius:6px;font-size:18px;font-weight:600;margin-bottom:18px;color:#fff}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15);padding:16px;border-top:8px solid #999}
.card h2{margin:0 0 6px;font-size:19px;display:flex;justify-content:space-between;align-items:center}
.badge{color:#fff;border-radius:14px;padding:3px 12px;font-size:15px;font-weight:700;letter-spacing:.03em}
.reason{font-size:14px;margin:8px 0 10px;line-height:1.4}
.card.broken{background:#fff5f5}.card.late{background:#f8f3ff}
table{border-collapse:collapse;font-size:13px;width:100%}td,th{padding:3px 6px;text-align:left;border-bottom:1px solid #e5e7eb}
th{color:#555;font-weight:600}.num{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;gap:16px;flex-wrap:wrap;margin-top:8px}.chart h3{font-size:12px;margin:0 0 2px;color:#555}
section{margin-top:26px}section h2{font-size:18px}a{color:#0b57d0}
.legend span{display:inline-block;margin-right:10px;font-size:12px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
"""


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def _num(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"
    return f"{value:,}"


def linkage_measurements(con: duckdb.DuckDBPyConnection) -> pl.DataFrame | None:
    """One row of linkage measurements for the `linkage_health` suite (None before any linkage)."""
    if not warehouse.table_exists(con, "linkage.person_records"):
        return None
    return con.sql(
        """
        WITH c AS (SELECT person_id, count(*) AS n FROM linkage.person_records GROUP BY person_id)
        SELECT coalesce(sum(n), 0)::BIGINT AS records, count(*)::BIGINT AS persons,
               coalesce(sum(n) FILTER (WHERE n > 1) / nullif(sum(n), 0), 0)::DOUBLE AS match_rate,
               coalesce(sum(n) / nullif(count(*), 0), 0)::DOUBLE AS records_per_person,
               coalesce(max(n), 0)::BIGINT AS largest_cluster,
               coalesce(count(*) FILTER (WHERE n > 10) / nullif(count(*), 0), 0)::DOUBLE AS share_over_10
        FROM c
        """
    ).pl()


def cluster_sizes(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    rows = con.sql(
        """
        WITH c AS (SELECT person_id, count(*) AS n FROM linkage.person_records GROUP BY person_id)
        SELECT CASE WHEN n = 1 THEN '1' WHEN n = 2 THEN '2' WHEN n <= 5 THEN '3-5' WHEN n <= 10 THEN '6-10'
                    ELSE '11+' END AS size, count(*) FROM c GROUP BY 1
        """
    ).fetchall()
    order = ["1", "2", "3-5", "6-10", "11+"]
    found = dict(rows)
    return [(size, int(found.get(size, 0))) for size in order]


def _bars(values: list[tuple[str, float | None, str]], *, width: int = 250, height: int = 70, unit: str = "") -> str:
    """A small inline SVG bar chart: (label, value, colour) per bar."""
    if not values:
        return '<svg width="250" height="20"><text x="0" y="14" font-size="11">no deliveries</text></svg>'
    top = max((v for _, v, _ in values if v is not None), default=0) or 1
    step = width / len(values)
    parts = [f'<svg width="{width}" height="{height + 14}" role="img">']
    for i, (label, value, colour) in enumerate(values):
        h = 0 if value is None else max(1.0, (height - 12) * value / top)
        x = i * step + 2
        parts.append(
            f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{max(step - 4, 2):.1f}" height="{h:.1f}" fill="{colour}">'
            f"<title>{_e(label)}: {_e(_num(value))}{unit}</title></rect>"
        )
        if value is not None and len(values) <= 8:
            parts.append(
                f'<text x="{x + (step - 4) / 2:.1f}" y="{height - h - 2:.1f}" font-size="9" '
                f'text-anchor="middle">{_e(_num(value))}{unit}</text>'
            )
    parts.append(f'<text x="0" y="{height + 12}" font-size="9">{_e(values[0][0])}</text>')
    parts.append(f'<text x="{width}" y="{height + 12}" font-size="9" text-anchor="end">{_e(values[-1][0])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _scale_top(peak: float) -> float:
    """The smallest of 5, 10, 25, 50, 100 (%) at or above the peak: small rates stay readable."""
    return next(top for top in (5.0, 10.0, 25.0, 50.0, 100.0) if peak <= top)


def _lines(series: dict[str, list[tuple[str, float | None]]], *, width: int = 260, height: int = 70) -> str:
    """Inline SVG lines of % missing per column over deliveries, on a 0-to-top scale marked at the top."""
    palette = ["#0b57d0", "#c62828", "#1b7f3b", "#b35c00", "#8a3ffc", "#555"]
    labels = sorted({x for points in series.values() for x, _ in points})
    if not labels:
        return '<svg width="260" height="20"><text x="0" y="14" font-size="11">no validations</text></svg>'
    top = _scale_top(max((v for points in series.values() for _, v in points if v is not None), default=0.0))
    left = 30
    xs = {label: left + i * (width - left - 5) / max(len(labels) - 1, 1) for i, label in enumerate(labels)}
    parts = [
        f'<svg width="{width}" height="{height + 14}" role="img">',
        f'<line x1="{left}" y1="{height}" x2="{width}" y2="{height}" stroke="#ccc"/>',
        f'<line x1="{left}" y1="6" x2="{width}" y2="6" stroke="#eee"/>',
        f'<text x="{left - 3}" y="10" font-size="9" text-anchor="end">{top:g}%</text>',
        f'<text x="{left - 3}" y="{height}" font-size="9" text-anchor="end">0%</text>',
    ]
    legend = []
    # a colour per line; spare colours unused
    for colour, (column, points) in zip(palette, sorted(series.items()), strict=False):
        present = [(label, v) for label, v in points if v is not None]
        coords = [(xs[x], height - (height - 6) * (v / top)) for x, v in present]
        if coords:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
            for (x, y), (label, v) in zip(coords, present, strict=True):
                parts.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"><title>{_e(column)} '
                    f"{_e(label)}: {v:.1f}% missing</title></circle>"
                )
        # the value at the feed's latest delivery; a dash when that delivery lacked the column
        latest = f" {present[-1][1]:.1f}%" if present and present[-1][0] == labels[-1] else " –"
        legend.append(f'<span><i class="swatch" style="background:{colour}"></i>{_e(column)}{latest}</span>')
    parts.append(f'<text x="{left}" y="{height + 12}" font-size="9">{_e(labels[0])}</text>')
    parts.append(f'<text x="{width}" y="{height + 12}" font-size="9" text-anchor="end">{_e(labels[-1])}</text>')
    parts.append("</svg>")
    return "".join(parts) + f'<div class="legend">{"".join(legend)}</div>'


def _feed_card(status: dict, history: pl.DataFrame, nulls: pl.DataFrame, site: Path) -> str:
    feed = status["feed"]
    colour, symbol, word = STATUS_STYLE.get(status["status"], ("#555", "?", status["status"]))
    rows = []
    for row in history.iter_rows(named=True):
        bar = {"accepted": "#4b8bbe", "duplicate": "#b35c00"}.get(row["status"], "#c62828")
        rows.append((row["extract_date"].isoformat(), row["rows_read"] or 0, bar))
    null_series: dict[str, list[tuple[str, float | None]]] = {}
    for row in nulls.iter_rows(named=True):
        null_series.setdefault(row["column"], []).append((row["extract_date"].isoformat(), row["missing_percent"]))
    latest_page = site / "validations" / feed / f"{status['latest_delivery']}.html"
    link = (
        f'<a href="validations/{_e(feed)}/{_e(status["latest_delivery"])}.html">validation results of the latest delivery</a>'
        if status["latest_delivery"] and latest_page.exists()
        else "no validation page for the latest delivery"
    )
    size = status["latest_rows"]
    usual = status["usual_rows"]
    against = f" (usual {_num(usual)}; {100 * size / usual:.0f}% of usual)" if size is not None and usual else ""
    facts = [
        (
            "Latest delivery",
            f"{_e(status['latest_delivery'] or 'none')} "
            f"({_e(status['latest_extract_date'] or '–')}, {_e(status['latest_status'] or '–')})",
        ),
        ("Rows in it", f"{_num(size)}{against}"),
        ("File size", f"{_num(status['latest_size_bytes'])} bytes" if status["latest_size_bytes"] else "–"),
        ("Days since delivery", f"{_num(status['days_since_delivery'])} (late after {_num(status['max_days'])})"),
        (
            "Records served",
            f"{_num(status['records_served'])} (last good delivery: {_e(status['last_good_delivery'] or 'none')})",
        ),
    ]
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in facts)
    return f"""
<div class="card {status["status"]}" id="feed-{_e(feed)}" data-feed="{_e(feed)}" data-status="{_e(status["status"])}"
     style="border-top-color:{colour}">
  <h2><span>{_e(feed)}</span><span class="badge" style="background:{colour}">{symbol} {word.upper()}</span></h2>
  <p class="reason"><b>{word}:</b> {_e(status["reason"])}</p>
  <table>{table}</table>
  <div class="charts">
    <div class="chart"><h3>Rows per delivery (red: quarantined, orange: duplicate)</h3>{_bars(rows)}</div>
    <div class="chart"><h3>Identifiers missing per delivery (%; latest in the key)</h3>{_lines(null_series)}</div>
  </div>
  <p style="font-size:12px;margin:8px 0 0">{link}</p>
</div>"""


def _null_rates(validations: pl.DataFrame, deliveries: pl.DataFrame) -> pl.DataFrame:
    """Per feed, delivery and identifier column: % missing, from the latest validation of each delivery."""
    empty = pl.DataFrame(
        schema={"feed": pl.String, "column": pl.String, "extract_date": pl.Date, "missing_percent": pl.Float64}
    )
    if validations.is_empty() or deliveries.is_empty():
        return empty
    checks = validations.filter(
        (pl.col("expectation_type") == "expect_column_values_to_not_be_null")
        & pl.col("column").is_in(list(NULL_RATE_COLUMNS))
        & (pl.col("severity") == "warning")
    )
    if checks.is_empty():
        return empty
    latest = checks.sort("validated_at").unique(["feed", "label", "column"], keep="last")
    dates = deliveries.select("feed", pl.col("delivery_file").alias("label"), "extract_date").unique(["feed", "label"])
    return (
        latest.join(dates, on=["feed", "label"])
        .select("feed", "column", "extract_date", pl.col("unexpected_percent").alias("missing_percent"))
        .sort("extract_date")
    )


def build_site(
    con: duckdb.DuckDBPyConnection, site: Path, *, as_of: dt.date, run_id: str
) -> tuple[dict[str, dict], object | None]:
    """Write the dashboard under `site`; return each feed's status row and the linkage suite result."""
    statuses = {r["feed"]: r for r in warehouse.read_declared(con, tables.FEED_STATUS).iter_rows(named=True)}
    history = warehouse.read_declared(con, tables.DELIVERY_HISTORY)
    quarantine = warehouse.read_declared(con, tables.QUARANTINE)
    validations = warehouse.read_declared(con, tables.VALIDATION_RESULTS)
    current = warehouse.read_declared(con, tables.DELIVERIES)
    verdicts = warehouse.read_declared(con, tables.DELIVERY_VERDICTS)
    if not history.is_empty():  # each delivery as last seen (files never read have no date: not drawn)
        history = history.filter(pl.col("extract_date").is_not_null())
        history = history.sort("checked_at").unique(["feed", "delivery_file", "sha256"], keep="last")
    if not quarantine.is_empty():
        seen = history.select("feed", "delivery_file") if not history.is_empty() else None
        extra = quarantine.select("feed", "delivery_file", "extract_date", "status", "rows_read", "sha256")
        if seen is not None:
            extra = extra.join(seen, on=["feed", "delivery_file"], how="anti")
        history = (
            pl.concat([history.select(extra.columns), extra], how="vertical_relaxed")
            if not history.is_empty()
            else extra
        )
    nulls = _null_rates(validations, history) if not history.is_empty() else pl.DataFrame()

    cards = []
    for feed in FEEDS:
        status = statuses.get(feed)
        if status is None:
            status = dict.fromkeys(tables.FEED_STATUS.column_names) | {
                "feed": feed,
                "status": "late",
                "reason": "never materialised: no status recorded yet",
            }
            statuses[feed] = status
        feed_history = (
            history.filter(pl.col("feed") == feed).sort("extract_date", "delivery_file")
            if not history.is_empty()
            else pl.DataFrame(schema={"extract_date": pl.Date, "rows_read": pl.Int64, "status": pl.String})
        )
        feed_nulls = (
            nulls.filter(pl.col("feed") == feed)
            if not nulls.is_empty()
            else pl.DataFrame(schema={"column": pl.String, "extract_date": pl.Date, "missing_percent": pl.Float64})
        )
        cards.append(_feed_card(status, feed_history, feed_nulls, site))

    counts = {s: sum(1 for r in statuses.values() if r["status"] == s) for s in STATUS_STYLE}
    worst = next((s for s in ("broken", "late", "degraded") if counts[s]), "healthy")
    colour = STATUS_STYLE[worst][0]
    named = {s: [f for f, r in statuses.items() if r["status"] == s] for s in STATUS_STYLE}
    if worst == "healthy":
        banner = "All feeds healthy"
    else:
        banner = " · ".join(
            f"{STATUS_STYLE[s][1]} {len(named[s])} {s}: {', '.join(named[s])}"
            for s in ("broken", "late", "degraded")
            if named[s]
        )

    linkage_html, linkage_result = _linkage_section(con)
    quarantine_html = _landing_section(current) + _quarantine_section(quarantine, verdicts)
    _validation_index(validations, history, site)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Feed quality: {_e(worst)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>
<body><header><h1>Violence Reduction Unit data platform: feed quality</h1>
<p>As of {as_of.isoformat()} · run {_e(run_id)} · built {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC</p></header>
<main>
<div class="banner" id="banner" style="background:{colour}">{_e(banner)}</div>
<div class="cards">{"".join(cards)}</div>
{linkage_html}
{quarantine_html}
<section><h2>Validation results</h2><p><a href="validations.html">Every delivery's Great Expectations validation
results (Data Docs)</a>. Statuses: <b>broken</b> the latest delivery was quarantined (the warehouse keeps serving the
last good data); <b>late</b> no delivery within the feed's cadence plus grace; <b>degraded</b> loaded, with warnings,
rejected rows or a repeated file; <b>healthy</b> none of these.</p></section>
</main></body></html>"""
    write_page(site / "index.html", page)
    logger.info("quality dashboard written to %s (%s)", site / "index.html", banner)
    return statuses, linkage_result


def _linkage_section(con: duckdb.DuckDBPyConnection) -> tuple[str, object | None]:
    measured = linkage_measurements(con)
    if measured is None:
        return "<section><h2>Linkage health</h2><p>Not linked yet.</p></section>", None
    result = validate_frame(measured, "linkage_health", label="linkage", keep_types=True)
    m = measured.row(0, named=True)
    ok = result.success and not result.warning_failures
    verdict = "healthy" if ok else ("broken" if not result.success else "degraded")
    colour, symbol, word = STATUS_STYLE[verdict]
    problems = "; ".join(o.description for o in result.failures) or "all measurements within their expected bands"
    sizes = cluster_sizes(con)
    bars = _bars([(f"size {s}", n, "#4b8bbe") for s, n in sizes], width=300)
    return (
        f"""<section id="linkage" data-status="{verdict}"><h2>Linkage health
<span class="badge" style="background:{colour}">{symbol} {word.upper()}</span></h2>
<p class="reason">{_e(problems)}</p>
<table style="max-width:560px"><tr><th>Records linked</th><td class="num">{_num(m["records"])}</td></tr>
<tr><th>Persons</th><td class="num">{_num(m["persons"])}</td></tr>
<tr><th>Match rate (records linked to another)</th><td class="num">{100 * m["match_rate"]:.1f}%</td></tr>
<tr><th>Records per person</th><td class="num">{m["records_per_person"]:.2f}</td></tr>
<tr><th>Largest person (records)</th><td class="num">{_num(m["largest_cluster"])}</td></tr></table>
<div class="chart"><h3>Persons by number of records</h3>{bars}</div></section>""",
        result,
    )


def _landing_section(current: pl.DataFrame) -> str:
    """Files in the landing zone that are not loaded as they arrived: names off the pattern and
    refused files (not read), deliveries dated after the judging day (held), accepted history
    that would fail today's checks (still served) or can no longer be used."""
    if current.is_empty():
        return ""
    waiting = current.filter(
        pl.col("status").is_in(["unrecognised_name", "refused", "held", "not_served"])
        | pl.col("fails_now").fill_null(False)
    )
    if waiting.is_empty():
        return ""
    words = {
        "unrecognised_name": "not read: name",
        "refused": "refused unread",
        "held": "held: dated ahead",
        "not_served": "not served",
        "accepted": "served; fails today's checks",
    }
    rows = "".join(
        f"<tr><td>{_e(r['feed'])}</td><td>{_e(r['delivery_file'])}</td><td>{_e(words.get(r['status'], r['status']))}</td>"
        f"<td>{_e(r['reason'])}</td></tr>"
        for r in waiting.sort("feed", "delivery_file").iter_rows(named=True)
    )
    return f"""<section id="landing"><h2>Landing zone: files needing a look</h2><p>Files left where they are
(names of files not read are masked to the characters a delivery name may hold).</p>
<table><tr><th>Feed</th><th>File</th><th>What</th><th>Why</th></tr>{rows}</table></section>"""


def _quarantine_section(quarantine: pl.DataFrame, verdicts: pl.DataFrame | None = None) -> str:
    if quarantine.is_empty():
        return "<section><h2>Quarantine</h2><p>No delivery has been quarantined.</p></section>"
    released: dict[str, str] = {}
    if verdicts is not None and not verdicts.is_empty():
        for v in verdicts.filter(pl.col("verdict") == "released").iter_rows(named=True):
            released[v["sha256"]] = f"released on {str(v['decided_at'])[:10]} by {v['decided_by']}: {v['reason']}"
    rows = "".join(
        f"<tr><td>{_e(r['feed'])}</td><td>{_e(r['delivery_file'])}</td><td>{_e(r['extract_date'])}</td>"
        f"<td>{_e(released.get(r['sha256'] or '', r['status']))}</td><td>{_e(r['reason'])}</td>"
        f"<td>{_e(str(r['quarantined_at'])[:16])}</td></tr>"
        for r in quarantine.sort("quarantined_at", descending=True).iter_rows(named=True)
    )
    return f"""<section id="quarantine"><h2>Quarantine</h2><p>Deliveries moved out of the landing zone into the
quarantine area (with a report of why beside each); nothing in them reached the warehouse.</p>
<table><tr><th>Feed</th><th>File</th><th>Extract date</th><th>Status</th><th>Reason</th><th>When</th></tr>{rows}</table></section>"""


def _validation_index(validations: pl.DataFrame, history: pl.DataFrame, site: Path) -> None:
    entries = []
    if not validations.is_empty():
        latest = (
            validations.sort("validated_at")
            .group_by(["feed", "suite_name", "label"], maintain_order=True)
            .agg(pl.col("run_id").last(), pl.col("validated_at").last())
        )
        for row in latest.iter_rows(named=True):
            page = site / "validations" / row["feed"] / f"{row['label']}.html"
            if not page.exists():
                continue
            one = validations.filter(
                (pl.col("feed") == row["feed"])
                & (pl.col("label") == row["label"])
                & (pl.col("run_id") == row["run_id"])
                & (pl.col("suite_name") == row["suite_name"])
            )
            entries.append(
                {
                    "href": f"validations/{row['feed']}/{row['label']}.html",
                    "suite": row["suite_name"],
                    "label": row["label"],
                    "validated_at": str(row["validated_at"])[:19],
                    "success": bool(one.get_column("suite_success").all()),
                    "evaluated": one.height,
                    "failed": int((~one.get_column("success")).sum()),
                }
            )
    write_page(site / "validations.html", render_index_page(entries, title="Validation results of every delivery"))
