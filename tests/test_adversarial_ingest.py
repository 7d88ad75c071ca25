"""Deliveries an adversarial new user sent (issue 10): each finding that broke "nothing lost" on
the old main, as a test. Small fixed deliveries through the real suites; the verdict ledger and
the file moves through the staging asset where they matter."""

from __future__ import annotations

import datetime as dt
import gzip
import logging
import os
import shutil
import stat
from pathlib import Path

import polars as pl
import pytest
from helpers import write_delivery

from dagster_project.feeds import FEEDS
from dagster_project.feeds.delivery import Delivery, DeliveryError, discover, read_delivery
from dagster_project.quality.results import SuiteResult
from dagster_project.quality.suites import validate_frame
from dagster_project.staging.ingest import ingest_feed

POLICE = FEEDS["police"]
HEALTH = FEEDS["health"]
POLICE_HEADER = ",".join(POLICE.columns)
HEALTH_HEADER = ",".join(HEALTH.columns)
SURNAMES = [
    "SMITH",
    "JONES",
    "KHAN",
    "PATEL",
    "BROWN",
    "TAYLOR",
    "WILSON",
    "DAVIES",
    "EVANS",
    "AHMED",
    "BEGUM",
    "WALKER",
    "WRIGHT",
    "ROBINSON",
    "THOMPSON",
    "WHITE",
    "HUGHES",
    "EDWARDS",
    "GREEN",
    "HALL",
]


def police_rows(
    n: int,
    *,
    first: int = 1,
    dob=lambda i: f"{(i % 27) + 1:02d}/{(i % 12) + 1:02d}/19{70 + i % 29}",
    sex=lambda i: "MF"[i % 2],
) -> list[str]:
    return [
        f"NL{first + i:09d},43/{100000 + i:06d}/23,{'VICTIM' if i % 3 else 'SUSPECT'},{SURNAMES[i % 20]},"
        f"Alex{chr(65 + i % 26)},{dob(i)},{sex(i)},W1,LU1 {i % 9}AB,,008/01,Violence with injury,"
        f"2023-06-{(i % 28) + 1:02d} 23:10,E0101{5000 + i % 900:04d},N,N,N"
        for i in range(n)
    ]


def health_rows(n: int) -> list[str]:
    return [
        f"ED{i + 1:010d},Bedford,,Sam{chr(65 + i % 26)},{SURNAMES[i % 20].title()},19950{(i % 9) + 1}1{i % 9},"
        f"{1 + i % 2},A,LU1 3AB,2023-06-{(i % 28) + 1:02d}T01:12:00,Home,None,N"
        for i in range(n)
    ]


def deliver(landing: Path, feed: str, date: str, header: str, rows: list[str]) -> Path:
    return write_delivery(landing, feed, date, header + "\n" + "\n".join(rows) + "\n")


def counts(result, name: str) -> dict:
    return result.deliveries.filter(pl.col("delivery_file") == name).row(0, named=True)


# --- finding 2: a syntax error mid-file never truncates the delivery -------------------------


def test_a_stray_quote_in_row_6_rejects_that_row_and_keeps_the_131_after_it(landing, key):
    rows = health_rows(137)
    fields = rows[5].split(",")
    fields[4] = '"Willis" Jr'
    rows[5] = ",".join(fields)
    deliver(landing, "health", "2024-01-05", HEALTH_HEADER, rows)
    result = ingest_feed(HEALTH, landing, key, validator=validate_frame, today=dt.date(2024, 1, 12))
    row = counts(result, "health_2024-01-05.csv")
    assert (row["status"], row["rows_read"], row["rows_rejected"], row["rows_accepted"]) == ("accepted", 137, 1, 136)
    assert result.rejects.select("row_number", "line_number").rows() == [(6, 7)]
    assert "stray quote" in result.rejects["reason"][0]
    assert result.staging.height == 136


def test_an_unclosed_quote_does_not_swallow_the_lines_after_it(landing, key):
    rows = health_rows(40)
    rows[9] = rows[9].replace(",Home,", ',"Home,')  # opens a quote that never closes
    deliver(landing, "health", "2024-01-05", HEALTH_HEADER, rows)
    result = ingest_feed(HEALTH, landing, key)
    assert result.rejects["line_number"].to_list() == [11]
    assert result.staging.height == 39


# --- finding 1: accepted history is never re-judged into loss ----------------------------------


def _fail_everything(df, suite_name, **kwargs) -> SuiteResult:
    """A suite tightened after the fact: every delivery now fails a blocking expectation."""
    result = validate_frame(df, suite_name, **kwargs)
    failed = [o for o in result.outcomes if o.expectation_type == "expect_table_row_count_to_be_between"][:1]
    import dataclasses

    outcomes = [
        dataclasses.replace(o, success=False, severity="blocking") if o in failed else o for o in result.outcomes
    ]
    return SuiteResult.from_outcomes(result.suite_name, result.label, result.evaluated_rows, outcomes)


def test_a_tightened_suite_warns_about_accepted_history_but_keeps_serving_it(landing, key):
    from dagster_project.feeds.verdicts import ACCEPTED, current

    deliver(landing, "police", "2024-01-05", POLICE_HEADER, police_rows(30))
    first = ingest_feed(POLICE, landing, key, validator=validate_frame, today=dt.date(2024, 1, 12), run_id="r1")
    assert first.verdicts["verdict"].to_list() == [ACCEPTED]

    later = ingest_feed(
        POLICE,
        landing,
        key,
        validator=_fail_everything,
        today=dt.date(2024, 1, 12),
        verdicts=current(first.verdicts),
        run_id="r2",
    )
    row = counts(later, "police_2024-01-05.csv")
    assert row["status"] == "accepted" and row["fails_now"] is True
    assert "accepted on" in row["reason"] and "would now fail" in row["reason"]
    assert later.staging.height == 30 and later.verdicts.is_empty()  # nothing re-decided
    # without the verdict (the old behaviour) the same run quarantines it
    fresh = ingest_feed(POLICE, landing, key, validator=_fail_everything, today=dt.date(2024, 1, 12))
    assert counts(fresh, "police_2024-01-05.csv")["status"] == "quarantined"


def test_deliveries_dated_after_the_judging_day_are_held_unjudged_or_served_if_accepted_before(landing, key):
    from dagster_project.feeds.verdicts import current

    deliver(landing, "police", "2024-01-05", POLICE_HEADER, police_rows(30))
    deliver(landing, "police", "2024-07-05", POLICE_HEADER, police_rows(30, first=100))
    right = ingest_feed(POLICE, landing, key, validator=validate_frame, today=dt.date(2024, 7, 12))
    assert right.staging.height == 60

    wrong_clock = dt.date(2024, 1, 6)
    again = ingest_feed(
        POLICE, landing, key, validator=validate_frame, today=wrong_clock, verdicts=current(right.verdicts)
    )
    assert again.staging.height == 60  # nothing lost
    later = counts(again, "police_2024-07-05.csv")
    assert later["status"] == "accepted" and "not judged again" in later["reason"]
    assert again.quarantined.is_empty()

    never_judged = ingest_feed(POLICE, landing, key, validator=validate_frame, today=wrong_clock)
    held = counts(never_judged, "police_2024-07-05.csv")
    assert held["status"] == "held" and "after 2024-01-06" in held["reason"]
    assert never_judged.quarantined.is_empty() and never_judged.staging.height == 30


# --- finding 3: a delivery never replaces good data with worse ---------------------------------


def test_a_dob_format_change_is_refused_naming_the_format_found(landing, key):
    deliver(landing, "police", "2024-01-05", POLICE_HEADER, police_rows(30))

    def iso(i):
        return f"19{70 + i % 29}-{(i % 12) + 1:02d}-{(i % 27) + 1:02d}"

    deliver(landing, "police", "2024-07-05", POLICE_HEADER, police_rows(30, dob=iso))
    result = ingest_feed(POLICE, landing, key, validator=validate_frame, today=dt.date(2024, 7, 12))
    row = counts(result, "police_2024-07-05.csv")
    assert row["status"] == "quarantined"
    assert "dob is yyyy-mm-dd in 100.0% of filled-in rows, expected dd/mm/yyyy" in row["reason"]
    assert result.tokens["dob_tok"].null_count() == 0  # every record keeps its date of birth


def test_sex_written_as_words_is_refused_naming_the_vocabulary_found(landing, key):
    deliver(landing, "police", "2024-01-05", POLICE_HEADER, police_rows(30))
    deliver(landing, "police", "2024-07-05", POLICE_HEADER, police_rows(30, sex=lambda i: ["Male", "Female"][i % 2]))
    result = ingest_feed(POLICE, landing, key, validator=validate_frame, today=dt.date(2024, 7, 12))
    row = counts(result, "police_2024-07-05.csv")
    assert row["status"] == "quarantined" and "sex is Male/Female/Unknown words in 100.0%" in row["reason"]
    assert result.staging["sex"].null_count() == 0


def test_a_corrected_record_that_leaves_fields_blank_keeps_the_earlier_values(landing, key):
    deliver(landing, "police", "2024-01-05", POLICE_HEADER, police_rows(30))
    resent = police_rows(30)
    for i in range(3):  # three records re-sent with dob, sex and postcode blank, role changed
        f = resent[i].split(",")
        f[2], f[5], f[6], f[8] = "OFFENDER", "", "", ""
        resent[i] = ",".join(f)
    deliver(landing, "police", "2024-07-05", POLICE_HEADER, resent)
    result = ingest_feed(POLICE, landing, key, validator=validate_frame, today=dt.date(2024, 7, 12))
    keys = [f"NL{i + 1:09d}" for i in range(3)]
    staged = result.staging.filter(pl.col("record_key").is_in(keys)).sort("record_key")
    tokens = result.tokens.filter(pl.col("record_key").is_in(keys)).sort("record_key")
    assert staged["role"].to_list() == ["OFFENDER"] * 3  # a present new value wins
    assert staged["delivery_file"].to_list() == ["police_2024-07-05.csv"] * 3
    assert staged["sex"].null_count() == 0 and staged["age_at_event"].null_count() == 0
    assert tokens["dob_tok"].null_count() == 0 and tokens["pc_tok"].null_count() == 0


# --- findings 7, 8 and 9: the landing zone is hostile -------------------------------------------


def test_a_misnamed_delivery_is_recorded_masked_and_its_name_never_logged(landing, key, caplog):
    deliver(landing, "health", "2025-07-01", HEALTH_HEADER, health_rows(12))
    shutil.copy(landing / "health" / "health_2025-07-01.csv", landing / "health" / "health_2025-07-08 (1).csv")
    (landing / "health" / "Leo Kyle BURTON referral.csv").write_text(HEALTH_HEADER + "\n")
    with caplog.at_level(logging.DEBUG):
        result = ingest_feed(HEALTH, landing, key, validator=validate_frame, today=dt.date(2025, 7, 12))
    unread = result.deliveries.filter(pl.col("status") == "unrecognised_name").sort("delivery_file")
    assert unread["delivery_file"].to_list() == ["************************.csv", "health_2025-07-08****.csv"]
    assert "burton" not in caplog.text.lower() and "leo" not in caplog.text.lower()
    assert (landing / "health" / "Leo Kyle BURTON referral.csv").exists()  # left for a person to rename


def test_mask_name_keeps_only_what_the_pattern_allows():
    from dagster_project.feeds.delivery import mask_name

    assert mask_name("police_2025-01-05.csv", "police") == "police_2025-01-05.csv"
    assert mask_name("police_2025-01-05.csv.gz", "police") == "police_2025-01-05.csv.gz"
    assert mask_name("Jane Doe 03-04-1995.csv", "police") == "*" * 19 + ".csv"
    assert mask_name("police_2025-01-05_Jane_Doe.xlsx", "police") == "police_2025-01-05" + "*" * 14


def test_an_added_column_degrades_naming_it_and_loads_the_data(landing, key):
    rows = health_rows(40)
    text = HEALTH_HEADER + ",triage_note\n" + "".join(r + ",x\n" for r in rows)
    write_delivery(landing, "health", "2024-01-05", text)
    result = ingest_feed(HEALTH, landing, key, validator=validate_frame, today=dt.date(2024, 1, 12))
    assert counts(result, "health_2024-01-05.csv")["status"] == "accepted"
    assert result.staging.height == 40 and "triage_note" not in result.staging.columns
    summary = result.validations[0].summary()
    assert summary.startswith("warning:") and "added column triage_note (dropped, not stored)" in summary


def test_an_added_column_whose_header_is_not_a_plain_name_is_counted_not_named(landing, key):
    rows = health_rows(40)
    write_delivery(landing, "health", "2024-01-05", HEALTH_HEADER + ",Jane Doe\n" + "".join(r + ",x\n" for r in rows))
    result = ingest_feed(HEALTH, landing, key, validator=validate_frame, today=dt.date(2024, 1, 12))
    summary = result.validations[0].summary()
    assert "1 added column" in summary and "jane" not in summary.lower()


def test_gzip_deliveries_are_read_natively_and_a_gzip_named_csv_is_refused_as_such(landing, key):
    body = (HEALTH_HEADER + "\n" + "\n".join(health_rows(20)) + "\n").encode()
    (landing / "health" / "health_2024-01-05.csv.gz").write_bytes(gzip.compress(body))
    (landing / "health" / "health_2024-07-05.csv").write_bytes(gzip.compress(body))
    result = ingest_feed(HEALTH, landing, key, validator=validate_frame, today=dt.date(2024, 7, 12))
    assert counts(result, "health_2024-01-05.csv.gz")["rows_accepted"] == 20
    bad = counts(result, "health_2024-07-05.csv")
    assert bad["status"] == "quarantined" and "gzip-compressed" in bad["reason"]


def test_a_gzip_bomb_is_refused_at_the_size_limit(landing, key):
    (landing / "health" / "health_2024-01-05.csv.gz").write_bytes(gzip.compress(b"x" * 5_000_000))
    result = ingest_feed(HEALTH, landing, key, max_bytes=1_000_000)
    assert "decompresses to more than the limit" in counts(result, "health_2024-01-05.csv.gz")["reason"]


def test_a_delivery_above_the_size_limit_is_refused_unread(landing, key):
    deliver(landing, "health", "2024-01-05", HEALTH_HEADER, health_rows(50))
    result = ingest_feed(HEALTH, landing, key, max_bytes=1000)
    row = counts(result, "health_2024-01-05.csv")
    assert row["status"] == "quarantined" and "above the limit of 1,000" in row["reason"] and row["sha256"] is None


def test_links_pipes_and_hard_links_in_the_landing_zone_are_refused_unread(landing, key, tmp_path):
    secret = tmp_path / "outside.key"
    secret.write_text("the key")
    os.symlink(secret, landing / "health" / "health_2024-01-05.csv")
    os.link(secret, landing / "health" / "health_2024-02-05.csv")
    os.mkfifo(landing / "health" / "health_2024-03-05.csv")  # reading it would block the run forever
    result = ingest_feed(HEALTH, landing, key)
    refused = result.deliveries.filter(pl.col("status") == "refused").sort("delivery_file")
    assert refused["delivery_file"].to_list() == [
        "health_2024-01-05.csv",
        "health_2024-02-05.csv",
        "health_2024-03-05.csv",
    ]
    assert refused["sha256"].null_count() == 3  # not read, not hashed
    assert "symbolic link" in refused["reason"][0] and "hard links" in refused["reason"][1]


def test_a_feed_folder_that_is_a_link_outside_the_landing_zone_is_refused(tmp_path, key):
    landing = tmp_path / "landing"
    landing.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    deliver_dir = elsewhere
    (deliver_dir / "health_2024-01-05.csv").write_text(HEALTH_HEADER + "\n" + health_rows(1)[0] + "\n")
    os.symlink(elsewhere, landing / "health")
    result = ingest_feed(HEALTH, landing, key)
    assert result.staging.is_empty() and result.deliveries["status"].to_list() == ["refused"]


def test_a_file_swapped_for_a_link_after_discovery_is_not_followed(landing, tmp_path):
    path = deliver(landing, "health", "2024-01-05", HEALTH_HEADER, health_rows(3))
    found = discover(landing, "health")[0][0]
    path.unlink()
    os.symlink(tmp_path / "elsewhere", path)
    with pytest.raises(DeliveryError, match="symbolic link"):
        read_delivery(found)


def test_the_quarantine_area_is_owner_only(tmp_path):
    from dagster_project.staging.quarantine import move_to_quarantine

    landing = tmp_path / "landing"
    (landing / "police").mkdir(parents=True)
    source = landing / "police" / "police_2024-01-05.csv"
    source.write_text("x")
    source.chmod(0o644)
    target = tmp_path / "quarantine" / "police" / "police_2024-01-05.csv"
    move_to_quarantine("police", landing, [("police_2024-01-05.csv", target, {"why": "test"})])

    def mode(p):
        return stat.S_IMODE(p.stat().st_mode)

    assert mode(tmp_path / "quarantine") == 0o700 and mode(target.parent) == 0o700
    assert mode(target) == 0o600 and mode(target.with_name(target.name + ".report.json")) == 0o600


def test_rows_are_accounted_for_in_every_delivery_read(landing):
    text = HEALTH_HEADER + "\n\n" + health_rows(1)[0] + "\n" + '"bad\n' + "\r\n" + health_rows(2)[1]
    path = write_delivery(landing, "health", "2024-01-05", text)
    raw = read_delivery(Delivery("health", path, dt.date(2024, 1, 5)))
    assert raw.lines == 6 and raw.blank_lines == 2 and raw.rows_read == 3
    assert raw.lines == 1 + raw.blank_lines + raw.rows_read
    assert raw.frame.height == 2 and raw.rejects.height == 1
