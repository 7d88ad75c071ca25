"""What a linkage run leaves behind: blocking analysis, charts, dashboards.

Two kinds, kept apart:
- aggregate charts (match weights, m/u parameters, the match-weight histogram, blocking rules
  and the blocking analysis) describe the model and counts of pairs; they hold no token and
  no record id, and are written beside the model, in `linkage_models/runs/<run>/`;
- per-record dashboards (Splink's comparison viewer, with example pairs, and cluster studio,
  with every record of the largest clusters) show record ids and tokens (never plaintext),
  so they belong with the linkage zone: in `<private root>/<run>/` (`VERU_LINKAGE_REPORTS`),
  a folder only its owner can open (0700), files 0600.

Every HTML file is self-contained: Splink's bundled vega, vega-lite and vega-embed are
inlined and the dashboards' web-font links are removed, so the files open from disk with
no network. Every file is written readable by its owner only.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from pathlib import Path

import polars as pl

logger = logging.getLogger(__name__)

# Reports written beside the model: counts and parameters only.
AGGREGATE_REPORTS = ("match_weights", "m_u_parameters", "match_weight_histogram", "blocking_rules", "blocking_analysis")
# Reports that show records (ids and tokens): written to the owner-only reports folder only.
PER_RECORD_REPORTS = ("comparison_viewer", "cluster_studio")

EXTERNAL_LINK = re.compile(r'<link[^>]+href="https?://[^"]*"[^>]*>\s*', re.IGNORECASE)


def blocking_analysis(linker, sample: float = 1.0) -> pl.DataFrame:
    """Comparisons each prediction blocking rule generates (marginal and cumulative)."""
    records = linker.blocking_analysis.count_comparisons_from_blocking_rules(record_sample_proportion=sample)
    return pl.DataFrame(
        [
            {
                "blocking_rule": r["blocking_rule"],
                "marginal_comparisons": int(r["marginal_comparison_count"]),
                "cumulative_comparisons": int(r["cumulative_comparison_count"]),
                "total_possible_comparisons": int(r["total_possible_comparison_count"]),
                "is_estimate": bool(r["is_estimate"]),
            }
            for r in records
        ]
    )


def _private(path: Path) -> Path:
    os.chmod(path, 0o600)
    return path


def make_self_contained(path: Path) -> Path:
    """Drop links to external resources (web fonts) so the page fetches nothing."""
    text = path.read_text(encoding="utf-8")
    path.write_text(EXTERNAL_LINK.sub("", text), encoding="utf-8")
    return _private(path)


def write_chart(chart, path: Path) -> Path:
    path.write_text(chart.to_html(inline=True), encoding="utf-8")
    return make_self_contained(path)


def private_folder(root: Path, name: str) -> Path:
    """A new folder `root/name` that only its owner can open (0700); `root` is created, or
    tightened, to 0700 as well. Refuses to reuse an existing folder (a run never overwrites
    another run's reports)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    mode = stat.S_IMODE(root.stat().st_mode)
    if mode != 0o700:
        logger.warning("Linkage reports folder %s was mode %04o; setting it to 0700 (owner only).", root, mode)
        os.chmod(root, 0o700)
    folder = root / name
    folder.mkdir(mode=0o700)
    os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask
    return folder


def write_reports(
    linker, predictions, clusters, folder: Path, blocking: pl.DataFrame, private: Path | None
) -> dict[str, Path]:
    """Write every chart and dashboard for one run; returns name → path.

    The aggregate charts go into `folder` (beside the model); the per-record dashboards into
    `private` (made with `private_folder`), or nowhere when it is None."""
    folder.mkdir(parents=True, exist_ok=True)
    visual = linker.visualisations
    paths = {
        "match_weights": write_chart(visual.match_weights_chart(), folder / "match_weights.html"),
        "m_u_parameters": write_chart(visual.m_u_parameters_chart(), folder / "m_u_parameters.html"),
        "match_weight_histogram": write_chart(
            visual.match_weights_histogram(predictions), folder / "match_weight_histogram.html"
        ),
        "blocking_rules": write_chart(
            linker.blocking_analysis.chart_comparisons_from_blocking_rules(record_sample_proportion=1.0),
            folder / "blocking_rules.html",
        ),
    }
    csv = folder / "blocking_analysis.csv"
    blocking.write_csv(csv)
    paths["blocking_analysis"] = _private(csv)
    if private is None:
        logger.info("No private reports folder given: the comparison viewer and cluster studio are not written.")
        return paths
    viewer = private / "comparison_viewer.html"
    visual.comparison_viewer_dashboard(predictions, str(viewer), overwrite=False, num_example_rows=2)
    paths["comparison_viewer"] = make_self_contained(viewer)
    studio = private / "cluster_studio.html"
    visual.cluster_studio_dashboard(
        predictions, clusters, str(studio), sampling_method="by_cluster_size", sample_size=20, overwrite=False
    )
    paths["cluster_studio"] = make_self_contained(studio)
    return paths


def level_labels(linker) -> dict[str, dict[int, str]]:
    """comparison name → comparison vector value → the level's label."""
    return {
        cc.output_column_name: {cl.comparison_vector_value: cl.label_for_charts for cl in cc.comparison_levels}
        for cc in linker._settings_obj.comparisons
    }


def clerical_review(
    predictions: pl.DataFrame, labels: dict[str, dict[int, str]], threshold_weight: float, margin: float = 3.0
) -> pl.DataFrame:
    """Borderline pairs for agencies to check at source: record keys and comparison levels
    only (never a token). A pair is borderline when its match weight is within `margin`
    bits of the threshold's."""
    border = predictions.filter((pl.col("match_weight") - threshold_weight).abs() <= margin)
    split_l = pl.col("record_id_l").str.splitn("|", 2)
    split_r = pl.col("record_id_r").str.splitn("|", 2)
    return border.select(
        split_l.struct.field("field_0").alias("source_feed_l"),
        split_l.struct.field("field_1").alias("record_key_l"),
        split_r.struct.field("field_0").alias("source_feed_r"),
        split_r.struct.field("field_1").alias("record_key_r"),
        pl.col("match_weight").round(2),
        pl.col("match_probability").round(4),
        (pl.col("match_weight") >= threshold_weight).alias("linked"),
        *[
            pl.col(f"gamma_{name}").replace_strict(mapping, default="?", return_dtype=pl.String).alias(name)
            for name, mapping in labels.items()
            if f"gamma_{name}" in border.columns
        ],
    ).sort("match_weight", descending=True)
