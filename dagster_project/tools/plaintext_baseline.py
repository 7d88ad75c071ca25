"""The yardstick: plain Splink on the plaintext of the same feeds, for `make bench` only.

The platform must link on tokens at least as well as a conventional Splink model links on
the plaintext. This module builds that conventional model: the same deliveries, read and
standardised by the same code (so both start from the same clean values), then Splink's
library comparisons (NameComparison, DateOfBirthComparison, PostcodeComparison, exact NHS
number, PNC id and sex), conventional blocking and unsupervised training, clustered with
connected components at the same threshold. Plaintext exists here only in memory, on
synthetic data; nothing is written.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import duckdb
import polars as pl
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from dagster_project.feeds import FEEDS
from dagster_project.feeds.delivery import discover, read_delivery
from dagster_project.feeds.spec import key_rejects
from dagster_project.linkage.splink_compat import clamp_em_estimates

logger = logging.getLogger(__name__)

PLAINTEXT_COLUMNS = ("forename", "surname", "dob", "postcode", "nhs_number", "pnc", "sex")


def plaintext_records(landing: Path) -> pl.DataFrame:
    """Every staged record's standardised plaintext identifiers (latest delivery wins)."""
    frames = []
    for spec in FEEDS.values():
        sex = next(a for a in spec.attributes if a.target == "sex")
        event = next(a for a in spec.attributes if a.target == "event_at")
        for delivery in discover(landing, spec.name)[0]:
            if delivery.pseudonymised:
                continue
            good, _ = key_rejects(read_delivery(delivery).frame, spec)
            df = event.kind.apply(good, event.source, "__e").with_columns(event_date=pl.col("__e").dt.date())
            df = sex.kind.apply(spec.identity(df), sex.source, "__sex")
            frames.append(
                df.select(
                    pl.concat_str([pl.lit(f"{spec.name}|"), pl.col("record_key")]).alias("record_id"),
                    pl.lit(spec.name).alias("source_feed"),
                    "record_key",
                    *[c for c in PLAINTEXT_COLUMNS if c in df.columns and c != "sex"],
                    pl.col("__sex").alias("sex"),
                ).with_columns(order=pl.lit(delivery.extract_date))
            )
    records = pl.concat(frames, how="diagonal_relaxed")
    return records.sort("order").unique("record_id", keep="last").drop("order")


def baseline_settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[
            cl.NameComparison("forename"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=False),
            cl.PostcodeComparison("postcode"),
            cl.ExactMatch("nhs_number"),
            cl.ExactMatch("pnc"),
            cl.ExactMatch("sex"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("nhs_number"),
            block_on("pnc"),
            block_on("dob", "surname"),
            block_on("dob", "forename"),
            block_on("dob", "postcode"),
            block_on("forename", "surname"),
            block_on("surname", "postcode"),
        ],
    )


def link_plaintext(records: pl.DataFrame, *, threshold: float, seed: int = 42) -> tuple[pl.DataFrame, dict]:
    """person_records (source_feed, record_key, person_id) from plain Splink, and timings."""
    con = duckdb.connect()
    con.execute("SET threads = 2").fetchall()
    linker = Linker(
        DuckDBAPI(con).register(records.to_arrow(), dataset_display_name="plaintext"),
        baseline_settings(),
        log_level=None,
    )
    start = time.perf_counter()
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on("nhs_number"), block_on("pnc"), block_on("forename", "surname", "dob")], recall=0.8
    )
    training.estimate_u_using_random_sampling(max_pairs=min(2e7, max(1e6, records.height * 50.0)), seed=seed)
    with clamp_em_estimates():
        for rule in (block_on("dob"), block_on("forename", "surname"), block_on("postcode")):
            training.estimate_parameters_using_expectation_maximisation(rule, estimate_without_term_frequencies=True)
    timings = {"train_s": time.perf_counter() - start}
    start = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    timings["predict_and_cluster_s"] = time.perf_counter() - start
    person_records = (
        records.select("record_id", "source_feed", "record_key")
        .join(con.sql(f"SELECT record_id, cluster_id AS person_id FROM {clusters.physical_name}").pl(), on="record_id")
        .select("source_feed", "record_key", "person_id")
    )
    con.close()
    return person_records, timings
