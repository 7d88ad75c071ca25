"""Attacks on the promise of ingest (issue 10): every row of every delivery ends up staged,
rejected with its reason and its row and line number, or in a quarantined file; nothing is
dropped or truncated silently, and no message quotes a value.

The property tests generate deliveries of all four feeds (`ingest_fuzz`), corrupt them at
random and hold `ingest_feed` to an account of each file made independently of the reader
(physical lines counted by splitting on `\\n`). The targeted tests after them go where random
deliveries do not: odd headers, agency-pseudonymised files, corrections with blanks, the
verdict ledger, links, pipes and files swapped during a run, and memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import logging
import os
import random
import shutil
import signal
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

import ingest_fuzz as fz
import polars as pl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dagster_project.feeds import FEEDS
from dagster_project.feeds import delivery as delivery_module
from dagster_project.feeds.delivery import Delivery, DeliveryError, discover, read_delivery
from dagster_project.feeds.verdicts import current
from dagster_project.quality.suites import validate_frame
from dagster_project.staging import ingest as ingest_module
from dagster_project.staging.ingest import PipelineStepError, ingest_feed
from dagster_project.staging.pseudonymised import pseudonymise_delivery, write_pseudonymised

TODAY = dt.date(2024, 3, 12)
DATE = "2024-03-01"
FEED_NAMES = tuple(FEEDS)
_landings = itertools.count()
# The promise: a rejected row is named by its row AND line number. (Kept a switch only so the
# rest of the property can be explored while a missing line number is being fixed.)
REQUIRE_LINE_NUMBERS = True

# Mostly plain deliveries; every file-level oddity some of the time.
FILE_MODES = ["plain"] * 14 + ["gzip_csv_gz"] * 3 + ["gzip_as_csv", "utf16", "utf16_nobom", "empty", "blank_only"]


@st.composite
def deliveries(draw, feeds=FEED_NAMES) -> fz.Delivery:
    feed = draw(st.sampled_from(feeds))
    rng = draw(st.randoms(use_true_random=False))
    return fz.build(
        feed,
        FEEDS[feed].columns,
        rng,
        n_records=draw(st.integers(0, 8)),
        corrupt_share=draw(st.sampled_from([0.0, 0.2, 0.5, 1.0])),
        blank_share=draw(st.sampled_from([0.0, 0.0, 0.2, 0.5])),
        crlf=draw(st.sampled_from(["lf", "lf", "crlf", "mixed"])),
        last_unterminated=draw(st.booleans()),
        bom=draw(st.sampled_from([False, False, False, True])),
        duplicates=draw(st.sampled_from([0, 0, 0, 1, 2])),
        repeated_header=draw(st.sampled_from([False, False, False, True])),
        leading_blanks=draw(st.sampled_from([0, 0, 0, 1, 2])),
        file_mode=draw(st.sampled_from(FILE_MODES)),
        key_base=draw(st.integers(0, 10**6)),
        date=DATE,
    )


def fresh_landing(root: Path, gen: fz.Delivery) -> Path:
    landing = root / f"landing{next(_landings)}"
    folder = landing / gen.feed
    folder.mkdir(parents=True)
    (folder / gen.name).write_bytes(gen.on_disk)
    return landing


def _lower(texts) -> str:
    return "\n".join(t for t in texts if t).lower()


def leaks(identifiers: set[str], texts) -> bool:
    """Whether any identifier value occurs, case-insensitively, in any of `texts`."""
    blob = _lower(texts)
    return any(v.lower() in blob for v in identifiers)


def judge(gen: fz.Delivery, result, log_text: str, *, strict_readable: bool = True) -> list[str]:
    """Everything wrong with how `result` accounts for the generated delivery `gen`."""
    wrong: list[str] = []
    account = fz.count(gen)
    assert account.physical_lines == fz.own_count(gen.content)  # the generator's own bookkeeping
    rows = result.deliveries.filter(pl.col("delivery_file") == gen.name)
    if rows.height != 1:
        return [f"expected one quality.deliveries row for {gen.name}, found {rows.height}"]
    row = rows.row(0, named=True)

    try:
        gen.content.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    readable = gen.file_mode in ("plain", "gzip_csv_gz") and utf8 and account.header is not None
    if gen.file_mode == "gzip_as_csv" and (
        row["status"] != "quarantined" or "gzip-compressed" not in (row["reason"] or "")
    ):
        wrong.append(f"a gzip file named .csv: status {row['status']}, reason without 'gzip-compressed'")
    if row["status"] == "quarantined":
        if readable and strict_readable:
            wrong.append(f"a readable delivery (valid UTF-8, header intact) was quarantined whole: {row['reason']}")
    elif row["status"] != "accepted":
        wrong.append(f"status {row['status']}: neither accepted nor quarantined")
    else:
        if not readable:
            wrong.append(f"an unreadable delivery ({gen.file_mode}, utf8={utf8}) was accepted")
        expected_rows = account.rows
        if row["lines"] != account.physical_lines:
            wrong.append(f"lines {row['lines']}, but the file has {account.physical_lines} physical lines")
        if row["blank_lines"] != account.blank_lines:
            wrong.append(f"blank_lines {row['blank_lines']}, but the file has {account.blank_lines}")
        if row["rows_read"] != len(expected_rows):
            wrong.append(f"rows_read {row['rows_read']}, but the file has {len(expected_rows)} rows")
        if row["lines"] != 1 + row["blank_lines"] + row["rows_read"]:
            wrong.append("lines != 1 + blank_lines + rows_read")
        if row["rows_read"] != row["rows_accepted"] + row["rows_rejected"]:
            wrong.append(
                f"rows_read {row['rows_read']} != accepted {row['rows_accepted']} + rejected {row['rows_rejected']}"
            )
        staged = result.staging.filter(pl.col("delivery_file") == gen.name)
        if staged.height != row["rows_accepted"]:
            wrong.append(f"rows_accepted {row['rows_accepted']} but {staged.height} rows staged")
        rejects = result.rejects.filter(pl.col("delivery_file") == gen.name)
        if rejects.height != row["rows_rejected"]:
            wrong.append(f"rows_rejected {row['rows_rejected']} but {rejects.height} rows in rejects")

        by_row = account.by_row()
        key_count: dict[str, int] = {}
        for i, rec in enumerate(gen.records):
            if i not in gen.corrupted:
                key_count[rec.key] = key_count.get(rec.key, 0) + 1

        def owner(line: fz.Line) -> int | None:
            return int(line.owner.split(":")[1]) if line.owner.startswith("record:") else None

        staged_rows = {}
        for r in staged.select("row_number", "record_key").iter_rows(named=True):
            line = by_row.get(r["row_number"])
            if line is None:
                wrong.append(f"staged row {r['row_number']} is not a row of the file")
                continue
            staged_rows[r["row_number"]] = line
            i = owner(line)
            if i is None:
                wrong.append(f"staged row {r['row_number']} is line {line.number}, a {line.owner} line")
            elif r["record_key"] != gen.records[i].key:
                wrong.append(f"staged row {r['row_number']} carries another record's key (line {line.number})")
        rejected_rows = {}
        for r in rejects.select("row_number", "line_number", "reason").iter_rows(named=True):
            if r["line_number"] is None and REQUIRE_LINE_NUMBERS:
                wrong.append(f"rejected row {r['row_number']} has no line number ({r['reason'].split(' ')[0]} ...)")
            line = by_row.get(r["row_number"])
            if line is None:
                wrong.append(f"rejected row {r['row_number']} is not a row of the file")
                continue
            if r["line_number"] is not None and r["line_number"] != line.number:
                wrong.append(
                    f"rejected row {r['row_number']} said to be line {r['line_number']}, it is line {line.number}"
                )
            rejected_rows[r["row_number"]] = (line, r["reason"])
            i = owner(line)
            corrupted = i is not None and i in gen.corrupted
            duplicated = i is not None and key_count.get(gen.records[i].key, 0) > 1
            if not (corrupted or duplicated or line.owner == "repeated_header"):
                wrong.append(
                    f"row {r['row_number']} (line {line.number}, an intact record) was rejected: {r['reason']}"
                )
        both = set(staged_rows) & set(rejected_rows)
        if both:
            wrong.append(f"rows both staged and rejected: {sorted(both)}")
        missing = set(by_row) - set(staged_rows) - set(rejected_rows)
        if missing:
            wrong.append(f"rows neither staged nor rejected (lost silently): {sorted(missing)}")

        for line in account.rows:
            i = owner(line)
            if i is None or i in gen.corrupted:
                continue
            rec = gen.records[i]
            if key_count[rec.key] > 1:
                reason = rejected_rows.get(line.row, (None, ""))[1] or ""
                if "more than once" not in reason:
                    wrong.append(
                        f"row {line.row} shares its key with another intact row but is not rejected as a duplicate"
                    )
            elif line.row not in staged_rows:
                wrong.append(f"row {line.row} (line {line.number}, intact, unique key) was not staged")
        if account.header is not None:
            repeated = [line for line in account.rows if line.owner == "repeated_header"]
            for line in repeated:
                if line.row not in rejected_rows:
                    wrong.append(f"the header repeated at line {line.number} was not rejected")

    texts = [row["reason"], log_text]
    texts += result.rejects.get_column("reason").to_list()
    texts += result.problems.get_column("field").to_list() + result.problems.get_column("problem").to_list()
    texts += result.deliveries.get_column("reason").to_list()
    if leaks(gen.identifiers(), texts):
        wrong.append("a message (reason, reject, problem or log line) quotes an identifier value")
    staged_values = {
        v
        for column in result.staging.columns
        if result.staging.schema[column] == pl.String
        for v in result.staging.get_column(column).drop_nulls().to_list()
    }
    if {v.lower() for v in staged_values} & {v.lower() for v in gen.identifiers()}:
        wrong.append("an identifier value reached a staging column")
    return wrong


# ---------------------------------------------------------------------------------------
# 1. The property: every generated delivery is accounted for
# ---------------------------------------------------------------------------------------


@settings(
    max_examples=500,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(gen=deliveries(), chunk=st.sampled_from([2, 3, 5, 64, 4 * 1024 * 1024]), batch=st.sampled_from([1, 2, 50_000]))
def test_every_row_of_every_corrupted_delivery_is_staged_rejected_with_its_line_or_quarantined(
    gen, chunk, batch, tmp_path, key, caplog, monkeypatch
):
    """Reads are made in chunks of `chunk` bytes and rows gathered in batches of `batch`, so
    lines, line breaks, UTF-8 characters and gzip blocks fall across chunk boundaries."""
    monkeypatch.setattr(delivery_module, "CHUNK_BYTES", chunk)
    monkeypatch.setattr(delivery_module, "BATCH_ROWS", batch)
    landing = fresh_landing(tmp_path, gen)
    caplog.clear()
    try:
        with caplog.at_level(logging.DEBUG):
            result = ingest_feed(FEEDS[gen.feed], landing, key, validator=None, today=TODAY)
    finally:
        shutil.rmtree(landing)
    wrong = judge(gen, result, caplog.text)
    describe(gen, result)
    assert not wrong, f"{gen.name} ({gen.file_mode}, corrupted {gen.corrupted}, copies {gen.duplicates}): {wrong}"


def describe(gen: fz.Delivery, result) -> None:
    """What the example exercised (`--hypothesis-show-statistics`)."""
    status = result.deliveries.row(0, named=True)["status"]
    event(f"{gen.file_mode}: {status}")
    if status == "accepted":
        event("accepted with rejected rows" if result.rejects.height else "accepted, nothing rejected")
        for corruption in set(gen.corrupted.values()):
            event(f"accepted with {corruption}")
        if gen.duplicates:
            event("accepted with a duplicated key")


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(gen=deliveries())
def test_the_same_accounting_holds_through_the_real_expectation_suites(gen, tmp_path, key, caplog):
    """Through `validate_frame` a delivery may also be quarantined for failing its suite (a
    small delivery with a duplicated key is >10% duplicates); when it is not, every row is
    still accounted for, and the suite's reasons quote nothing."""
    landing = fresh_landing(tmp_path, gen)
    caplog.clear()
    try:
        with caplog.at_level(logging.DEBUG):
            result = ingest_feed(FEEDS[gen.feed], landing, key, validator=validate_frame, today=TODAY)
    finally:
        shutil.rmtree(landing)
    wrong = judge(gen, result, caplog.text, strict_readable=False)
    summaries = [v.summary() for v in result.validations]
    if leaks(gen.identifiers(), summaries):
        wrong.append("a suite summary quotes an identifier value")
    assert not wrong, f"{gen.name} ({gen.file_mode}, corrupted {gen.corrupted}, copies {gen.duplicates}): {wrong}"


def test_the_generator_counts_lines_the_way_a_person_would():
    """The account the property relies on, checked by hand on one small file."""
    gen = fz.build(
        "health",
        FEEDS["health"].columns,
        random.Random(3),
        n_records=3,
        corrupt_share=0.0,
        blank_share=0.0,
        crlf="crlf",
        last_unterminated=True,
        bom=True,
        duplicates=0,
        repeated_header=False,
        leading_blanks=1,
        file_mode="plain",
        key_base=7,
    )
    data = gen.content
    assert data.startswith(b"\xef\xbb\xbf") and not data.endswith(b"\n")
    account = fz.count(gen)
    assert account.physical_lines == fz.own_count(data) == 5  # a blank, the header, three rows
    assert account.blank_lines == 1 and account.header.number == 2
    assert [line.row for line in account.rows] == [1, 2, 3] and [line.number for line in account.rows] == [3, 4, 5]


# ---------------------------------------------------------------------------------------
# 2. Targeted attacks
# ---------------------------------------------------------------------------------------

POLICE = FEEDS["police"]
POLICE_HEADER = ",".join(POLICE.columns)


def police_lines(n: int, first: int = 1, **override) -> list[str]:
    """`n` valid police rows (keys NL000000001...), with columns overridden by name."""
    rng = random.Random(first)
    lines = []
    for i in range(n):
        rec = fz.record("police", first + i, rng)
        fields = dict(zip(POLICE.columns, rec.fields, strict=True))
        fields.update(override)
        lines.append(fz.render([fields[c] for c in POLICE.columns]))
    return lines


def put(landing: Path, feed: str, name: str, text: str | bytes) -> Path:
    path = landing / feed / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def delivery_row(result, name: str) -> dict:
    rows = result.deliveries.filter(pl.col("delivery_file") == name)
    assert rows.height == 1, f"{name}: {rows.height} rows in quality.deliveries"
    return rows.row(0, named=True)


# --- headers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        "row_number",
        "line_number",
        "reject_reason",
        "record_key",
        "age_at_event",
        "key_id",
        "event_date",
        "delivery_file",
        "fn_tok",
    ],
)
def test_an_added_column_named_like_an_internal_column_is_dropped_and_the_rows_staged(landing, key, extra):
    """An agency may add any column (build item 7: a warning, the data loaded). A header that
    happens to use a name the platform uses inside (`row_number`, `record_key`, ...) must
    neither crash the run nor leak into what is staged."""
    rows = [line + ",7" for line in police_lines(4)]
    put(landing, "police", f"police_{DATE}.csv", POLICE_HEADER + f",{extra}\n" + "\n".join(rows) + "\n")
    result = ingest_feed(POLICE, landing, key, today=TODAY)
    row = delivery_row(result, f"police_{DATE}.csv")
    assert (row["status"], row["rows_read"], row["rows_accepted"]) == ("accepted", 4, 4)
    assert sorted(result.staging["row_number"].to_list()) == [1, 2, 3, 4]
    assert result.staging["record_key"].to_list() == [f"NL{i:09d}" for i in range(1, 5)]


def test_a_header_with_odd_columns_is_quarantined_or_loaded_never_a_crash(landing, key, caplog):
    odd = [
        ("police_2024-01-01.csv", POLICE_HEADER + ",\n"),  # a trailing empty column name
        ("police_2024-01-02.csv", POLICE_HEADER + ",dob\n"),  # a repeated column
        ("police_2024-01-03.csv", POLICE_HEADER.upper() + "\n"),  # every column in capitals
        ("police_2024-01-04.csv", POLICE_HEADER.replace(",", ";") + "\n"),  # semicolons
        ("police_2024-01-05.csv", POLICE_HEADER + ',"Okonkwo, Leontyne"\n'),  # a name as a column
        ("police_2024-01-06.csv", '"' + POLICE_HEADER + "\n"),  # an unclosed quote in the header
        ("police_2024-01-07.csv", police_lines(1)[0] + "\n"),  # no header: the first row is a record
    ]
    for name, header in odd:
        put(landing, "police", name, header + "\n".join(police_lines(3)) + "\n")
    with caplog.at_level(logging.DEBUG):
        result = ingest_feed(POLICE, landing, key, validator=validate_frame, today=TODAY)
    statuses = dict(result.deliveries.select("delivery_file", "status").iter_rows())
    assert set(statuses) == {name for name, _ in odd}
    for name, _ in odd:
        row = delivery_row(result, name)
        assert row["status"] in ("accepted", "quarantined"), (name, row["status"])
        if row["status"] == "accepted":
            assert row["rows_read"] == row["rows_accepted"] + row["rows_rejected"]
    texts = [caplog.text, *result.deliveries["reason"].to_list(), *(v.summary() for v in result.validations)]
    assert "okonkwo" not in _lower(texts) and "leontyne" not in _lower(texts)
    first_row_values = police_lines(1)[0].split(",")
    assert not leaks({v for v in first_row_values[3:6] if v}, texts)  # the headerless file's names and dob


# --- agency-pseudonymised deliveries ------------------------------------------------------------


def pseudo_text(tmp_path: Path, key, n: int = 40) -> str:
    """The text of a `.pseudo.csv` made by the agency's tool from `n` valid police rows."""
    source = tmp_path / "agency" / f"police_{DATE}.csv"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(POLICE_HEADER + "\n" + "\n".join(police_lines(n)) + "\n")
    raw = read_delivery(Delivery("police", source, dt.date.fromisoformat(DATE)))
    target = write_pseudonymised(pseudonymise_delivery(POLICE, raw, key), source.with_name(f"police_{DATE}.pseudo.csv"))
    return target.read_text()


def edit_cells(text: str, edits: list[tuple[int, str, str]]) -> str:
    """`text` (a CSV) with cell (row index from 1, column) set to a value."""
    table = list(csv.reader(io.StringIO(text)))
    for row, column, value in edits:
        table[row][table[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(table)
    return out.getvalue()


PSEUDO_CORRUPTIONS = [
    ("source_row_number", "abc"),  # not a whole number
    ("source_line_number", "line four"),
    ("age_at_event", "99999999999"),  # beyond a 32-bit integer
    ("fn_bf", "abc"),  # a Bloom filter that is not whole hex bytes
]


@pytest.mark.parametrize("column,value", PSEUDO_CORRUPTIONS)
@pytest.mark.parametrize("validator", [None, validate_frame], ids=["no-suite", "suite"])
def test_a_pseudonymised_file_with_a_corrupt_cell_is_rejected_or_quarantined_not_a_crash(
    tmp_path, landing, key, column, value, validator
):
    """One bad cell in an agency's `.pseudo.csv` (a hand edit, a truncated transfer) must not
    stop the feed's run: the row is rejected or the file quarantined, like any delivery."""
    text = edit_cells(pseudo_text(tmp_path, key), [(3, column, value)])
    put(landing, "police", f"police_{DATE}.pseudo.csv", text)
    put(
        landing, "police", "police_2024-01-05.csv", POLICE_HEADER + "\n" + "\n".join(police_lines(30, first=500)) + "\n"
    )
    try:
        result = ingest_feed(POLICE, landing, key, validator=validator, today=TODAY)
    except PipelineStepError as exc:
        pytest.fail(f"the whole police run failed because of one cell of one agency file: {exc}")
    row = delivery_row(result, f"police_{DATE}.pseudo.csv")
    assert row["status"] in ("accepted", "quarantined")
    if row["status"] == "accepted":
        assert row["rows_read"] == 40 == row["rows_accepted"] + row["rows_rejected"]
    assert delivery_row(result, "police_2024-01-05.csv")["rows_accepted"] == 30  # the other delivery still loads


def test_a_pseudonymised_file_with_a_duplicated_key_loses_no_row_silently(tmp_path, landing, key):
    """A plaintext delivery rejects both rows of a duplicated key with their row numbers; an
    agency's pseudonymised file must do the same, not merge the two rows into one."""
    text = edit_cells(pseudo_text(tmp_path, key), [(5, "nominal_link_id", "NL000000002")])
    put(landing, "police", f"police_{DATE}.pseudo.csv", text)
    result = ingest_feed(POLICE, landing, key, today=TODAY)
    row = delivery_row(result, f"police_{DATE}.pseudo.csv")
    assert row["status"] in ("accepted", "quarantined")
    if row["status"] == "accepted":
        staged = result.staging.filter(pl.col("delivery_file") == row["delivery_file"]).height
        assert staged + row["rows_rejected"] == row["rows_read"] == 40, (
            f"{row['rows_accepted']} rows counted as accepted, {staged} staged: a row vanished in the merge"
        )


def test_a_pseudonymised_file_applies_the_key_rules_of_a_plaintext_one(tmp_path, landing, key):
    """Rows with a missing or malformed key are rejected in a plaintext delivery; in an agency's
    pseudonymised file they are staged with a blank or bogus record key (and two blank keys are
    merged into one record)."""
    text = edit_cells(
        pseudo_text(tmp_path, key),
        [
            (3, "nominal_link_id", ""),
            (4, "nominal_link_id", ""),
            (5, "nominal_link_id", "not-a-key"),
        ],
    )
    put(landing, "police", f"police_{DATE}.pseudo.csv", text)
    result = ingest_feed(POLICE, landing, key, today=TODAY)
    assert result.staging["record_key"].null_count() == 0
    assert result.staging["record_key"].str.contains(POLICE.key_pattern).all()
    assert result.staging.height + result.rejects.height == 40


def test_a_clean_pseudonymised_delivery_of_adults_passes_its_suite_without_warnings(tmp_path, landing, key):
    """`age_at_event`'s format check in the pseudonymised suite is `^(1[0-2]?)?[0-9]$`, which
    only admits ages 0-19 and 100-129: every delivery about adults gets a warning and the
    feed is degraded for nothing."""
    put(landing, "police", f"police_{DATE}.pseudo.csv", pseudo_text(tmp_path, key))
    result = ingest_feed(POLICE, landing, key, validator=validate_frame, today=TODAY)
    assert delivery_row(result, f"police_{DATE}.pseudo.csv")["status"] == "accepted"
    assert result.validations[0].warning_failures == 0, result.validations[0].summary()


def test_a_reject_reason_written_in_an_agency_file_is_not_stored_verbatim(tmp_path, landing, key):
    """`reject_reason` of a `.pseudo.csv` is text from the landing zone; stored as it is, a
    hand-edited or old-tool file puts whatever it holds (here a name) into quality.rejects."""
    text = edit_cells(pseudo_text(tmp_path, key), [(3, "reject_reason", "duplicate of OKONKWO Leontyne")])
    put(landing, "police", f"police_{DATE}.pseudo.csv", text)
    result = ingest_feed(POLICE, landing, key, today=TODAY)
    assert result.rejects.height == 1
    assert "okonkwo" not in _lower(result.rejects["reason"].to_list())


# --- corrections: blanks never erase, a present value wins ---------------------------------------


def _non_key_columns(feed: str) -> list[str]:
    spec = FEEDS[feed]
    return [c for c in spec.columns if c != spec.key]


@pytest.mark.parametrize("feed", FEED_NAMES)
@pytest.mark.parametrize("how", ["blank", "invalid"])
def test_a_correction_that_blanks_or_breaks_one_field_erases_nothing_staged_before(landing, key, feed, how):
    """Record j of the first delivery is re-sent with only column j blank (or unparseable): every
    staged and token column the first version had stays filled (FEEDS.md: empty = missing,
    never erase; spec.py: a blank or invalid field keeps the earlier value)."""
    spec = FEEDS[feed]
    columns = _non_key_columns(feed)
    rng = random.Random(11)
    records = [fz.record(feed, i + 1, rng) for i in range(len(columns))]
    for rec in records:  # every optional identifier present, so there is something to erase
        fields = dict(zip(spec.columns, rec.fields, strict=True))
        for column, value in (
            ("pnc_id", "07/123456" + "K"),
            ("pnc_number", "2007/0123456K"),
            ("nhs_number", "9434765919"),
            ("postcode", "LU1 3AB"),
        ):
            if column in fields:
                fields[column] = value
        rec.fields = [fields[c] for c in spec.columns]
    header = ",".join(spec.columns)
    put(landing, feed, f"{feed}_2024-01-05.csv", header + "\n" + "\n".join(fz.render(r.fields) for r in records) + "\n")
    resent = []
    for rec, column in zip(records, columns, strict=True):
        fields = list(rec.fields)
        fields[spec.columns.index(column)] = "" if how == "blank" else "#?"
        resent.append(fz.render(fields))
    put(landing, feed, f"{feed}_2024-02-05.csv", header + "\n" + "\n".join(resent) + "\n")
    before = ingest_feed(spec, landing, key, today=TODAY)  # both; compare with the first alone
    first_only = landing.parent / "first_only"
    put(first_only, feed, f"{feed}_2024-01-05.csv", (landing / feed / f"{feed}_2024-01-05.csv").read_bytes())
    first = ingest_feed(spec, first_only, key, today=TODAY)
    assert before.staging.height == len(columns) and set(before.staging["delivery_file"]) == {f"{feed}_2024-02-05.csv"}
    blanked = {rec.key: column for rec, column in zip(records, columns, strict=True)}
    erased = []
    for table in ("staging", "tokens"):
        old = getattr(first, table).sort("record_key")
        new = getattr(before, table).sort("record_key")
        assert old["record_key"].to_list() == new["record_key"].to_list()
        for column in old.columns:
            if column in ("delivery_file", "extract_date", "row_number", "home_lsoa"):
                continue
            for record_key, was, now in zip(old["record_key"], old[column], new[column], strict=True):
                if was is not None and now is None:
                    erased.append(f"{table}.{column} erased by a correction with {blanked[record_key]} {how}")
    assert not erased, erased


def test_a_present_value_in_a_correction_wins_over_the_earlier_one(landing, key):
    put(landing, "police", "police_2024-01-05.csv", POLICE_HEADER + "\n" + "\n".join(police_lines(3)) + "\n")
    put(
        landing,
        "police",
        "police_2024-02-05.csv",
        POLICE_HEADER + "\n" + "\n".join(police_lines(3, role="WITNESS", sex="U", postcode="MK40 9ZZ")) + "\n",
    )
    both = ingest_feed(POLICE, landing, key, today=TODAY)
    later = landing.parent / "later_only"
    put(later, "police", "police_2024-02-05.csv", (landing / "police" / "police_2024-02-05.csv").read_bytes())
    alone = ingest_feed(POLICE, later, key, today=TODAY)
    assert both.staging["role"].to_list() == ["WITNESS"] * 3 and both.staging["sex"].to_list() == ["U"] * 3
    assert both.tokens.sort("record_key")["pc_tok"].to_list() == alone.tokens.sort("record_key")["pc_tok"].to_list()


def _reformat_dob(feed: str, value: str) -> str:
    """A date of birth of `feed` rewritten in another common format (what an export change does)."""
    if feed == "police":  # dd/mm/yyyy -> yyyy-mm-dd
        d, m, y = value.split("/")
        return f"{y}-{m}-{d}"
    if feed == "social_care":  # yyyy-mm-dd -> dd/mm/yyyy
        y, m, d = value.split("-")
        return f"{d}/{m}/{y}"
    if feed == "health":  # yyyymmdd -> dd/mm/yyyy
        return f"{value[6:]}/{value[4:6]}/{value[:4]}"
    d, mon, yy = value.split("-")  # yos: dd-Mon-yy -> dd/mm/yyyy
    return f"{d}/{fz.MONTHS.index(mon) + 1:02d}/20{yy}"


@pytest.mark.parametrize("feed", FEED_NAMES)
def test_a_date_of_birth_format_change_is_refused_naming_the_format_and_keeps_every_stored_dob(landing, key, feed):
    spec = FEEDS[feed]
    dob = next(c for c in ("dob", "date_of_birth") if c in spec.columns)
    rng = random.Random(5)
    records = [fz.record(feed, i + 1, rng) for i in range(40)]
    header = ",".join(spec.columns)
    put(landing, feed, f"{feed}_2024-01-05.csv", header + "\n" + "\n".join(fz.render(r.fields) for r in records) + "\n")
    changed = []
    for r in records:
        fields = list(r.fields)
        fields[spec.columns.index(dob)] = _reformat_dob(feed, fields[spec.columns.index(dob)])
        changed.append(fz.render(fields))
    put(landing, feed, f"{feed}_2024-02-05.csv", header + "\n" + "\n".join(changed) + "\n")
    result = ingest_feed(spec, landing, key, validator=validate_frame, today=TODAY)
    row = delivery_row(result, f"{feed}_2024-02-05.csv")
    assert row["status"] == "quarantined" and f"{dob} is " in row["reason"] and "a format change?" in row["reason"]
    assert result.tokens["dob_tok"].null_count() == 0 and result.staging["age_at_event"].null_count() == 0
    identifiers = {v for r in records for v in r.identifiers} | {
        _reformat_dob(feed, r.fields[spec.columns.index(dob)]) for r in records
    }
    assert not leaks(identifiers, [row["reason"], *(v.summary() for v in result.validations)])


# --- the verdict ledger ---------------------------------------------------------------------------


def _reject_everything(df, suite_name, **kwargs):
    """A suite tightened after the fact: every expectation of the table's row count fails."""
    import dataclasses

    from dagster_project.quality.results import SuiteResult

    result = validate_frame(df, suite_name, **kwargs)
    outcomes = [
        dataclasses.replace(o, success=False, severity="blocking")
        if o.expectation_type == "expect_table_row_count_to_be_between"
        else o
        for o in result.outcomes
    ]
    return SuiteResult.from_outcomes(result.suite_name, result.label, result.evaluated_rows, outcomes)


def _accepted_plain_and_gzip(landing: Path, key):
    import gzip

    put(landing, "police", "police_2024-01-05.csv", POLICE_HEADER + "\n" + "\n".join(police_lines(30)) + "\n")
    put(
        landing,
        "police",
        "police_2024-02-05.csv.gz",
        gzip.compress((POLICE_HEADER + "\n" + "\n".join(police_lines(30, first=100)) + "\n").encode()),
    )
    first = ingest_feed(POLICE, landing, key, validator=validate_frame, today=TODAY)
    assert first.staging.height == 60 and first.verdicts.height == 2
    return first


@pytest.mark.parametrize(
    "rerun",
    [
        dict(validator=validate_frame, today=dt.date(2023, 12, 1)),  # a clock before every delivery
        dict(validator=_reject_everything, today=TODAY),  # a suite tightened later
        dict(validator=_reject_everything, today=dt.date(2024, 1, 20)),  # both
    ],
    ids=["wrong clock", "stricter suite", "both"],
)
def test_accepted_history_survives_a_wrong_clock_and_a_stricter_suite(landing, key, rerun):
    first = _accepted_plain_and_gzip(landing, key)
    again = ingest_feed(POLICE, landing, key, verdicts=current(first.verdicts), **rerun)
    assert again.staging.height == 60 and again.quarantined.is_empty()
    assert again.tokens.sort("record_key").equals(first.tokens.sort("record_key"))
    assert again.verdicts.is_empty()  # nothing re-decided


def test_accepted_history_survives_a_lower_size_limit_gzip_included(landing, key):
    """`VERU_MAX_DELIVERY_BYTES` lowered after deliveries were accepted: a plain delivery known by
    name and size is still read (its limit is raised to its size), but for an accepted `.csv.gz`
    the raised limit is its *compressed* size, so decompressing it "exceeds the limit" and the
    accepted delivery is quarantined (and moved out of the landing zone)."""
    first = _accepted_plain_and_gzip(landing, key)
    again = ingest_feed(
        POLICE, landing, key, validator=validate_frame, today=TODAY, verdicts=current(first.verdicts), max_bytes=100
    )
    assert again.quarantined.is_empty(), again.quarantined["reason"].to_list()
    assert again.staging.height == 60


def test_an_accepted_delivery_that_gains_a_hard_link_keeps_being_served(landing, key, tmp_path):
    """Backup tools (rsnapshot, `cp -al`, rsync --link-dest) hard-link the files they back up.
    Refusing a *new* hard-linked file is right; but a delivery accepted before (same name,
    size and inode) that now has a second link vanishes from staging: accepted history lost."""
    put(landing, "police", "police_2024-01-05.csv", POLICE_HEADER + "\n" + "\n".join(police_lines(30)) + "\n")
    first = ingest_feed(POLICE, landing, key, today=TODAY)
    backup = tmp_path / "backup"
    backup.mkdir()
    os.link(landing / "police" / "police_2024-01-05.csv", backup / "police_2024-01-05.csv")
    again = ingest_feed(POLICE, landing, key, today=TODAY, verdicts=current(first.verdicts))
    assert again.staging.height == 30, delivery_row(again, "police_2024-01-05.csv")["reason"]


def test_a_released_delivery_is_served_and_its_failures_still_shown(landing, key):
    from dagster_project.feeds.verdicts import RELEASED, Verdict

    put(landing, "police", "police_2024-01-05.csv", POLICE_HEADER + "\n" + "\n".join(police_lines(30)) + "\n")
    judged = ingest_feed(POLICE, landing, key, validator=_reject_everything, today=TODAY)
    assert delivery_row(judged, "police_2024-01-05.csv")["status"] == "quarantined"
    sha = delivery_row(judged, "police_2024-01-05.csv")["sha256"]
    released = Verdict(
        "police",
        sha,
        "police_2024-01-05.csv",
        dt.date(2024, 1, 5),
        None,
        RELEASED,
        "checked",
        dt.datetime(2024, 3, 1),
        "reviewer",
        None,
    )
    again = ingest_feed(POLICE, landing, key, validator=_reject_everything, today=TODAY, verdicts={sha: released})
    row = delivery_row(again, "police_2024-01-05.csv")
    assert row["status"] == "accepted" and again.staging.height == 30 and "released on" in row["reason"]


def _quarantined_police_delivery(landing: Path, key, tmp_path: Path):
    """A police delivery judged by a suite that fails it, moved to the quarantine area as the
    staging asset does; returns (environment, quarantined path, first ingest)."""
    from dagster_project.settings import Environment
    from dagster_project.staging.quarantine import move_to_quarantine, plan_quarantine

    put(landing, "police", "police_2024-01-05.csv", POLICE_HEADER + "\n" + "\n".join(police_lines(30)) + "\n")
    judged = ingest_feed(POLICE, landing, key, validator=_reject_everything, today=TODAY)
    _, moves = plan_quarantine(judged, tmp_path / "quarantine", "run1")
    move_to_quarantine("police", landing, moves)
    env = Environment(
        landing_dir=landing,
        warehouse=tmp_path / "w.duckdb",
        hash_key_file=None,
        model_dir=tmp_path / "models",
        linkage_zone=tmp_path / "zone.duckdb",
        quarantine_dir=tmp_path / "quarantine",
    )
    return env, moves[0][1], judged


def test_veru_release_puts_a_quarantined_delivery_back_and_the_next_run_serves_it(landing, key, tmp_path):
    from dagster_project import warehouse
    from dagster_project.staging.release import release
    from dagster_project.staging.store import read_verdicts

    env, quarantined, _ = _quarantined_police_delivery(landing, key, tmp_path)
    assert not (landing / "police" / "police_2024-01-05.csv").exists()
    done = release(quarantined, env=env, note="row count checked with the force", released_by="reviewer")
    assert done.landing_path == landing / "police" / "police_2024-01-05.csv" and done.landing_path.exists()
    with warehouse.connect(env.warehouse) as con:
        ledger = read_verdicts(con, "police")
    again = ingest_feed(POLICE, landing, key, validator=_reject_everything, today=TODAY, verdicts=ledger)
    row = delivery_row(again, "police_2024-01-05.csv")
    assert row["status"] == "accepted" and again.staging.height == 30
    assert "released on" in row["reason"] and "by reviewer" in row["reason"]


@pytest.mark.parametrize("tamper", ["changed since quarantined", "already in the landing zone", "a link"])
def test_veru_release_refuses_what_no_one_can_vouch_for_and_moves_nothing(landing, key, tmp_path, tamper):
    from dagster_project.staging.release import ReleaseRefused, release

    env, quarantined, _ = _quarantined_police_delivery(landing, key, tmp_path)
    target = landing / "police" / "police_2024-01-05.csv"
    if tamper == "changed since quarantined":
        with open(quarantined, "a") as fh:
            fh.write(police_lines(1, first=900)[0] + "\n")
    elif tamper == "already in the landing zone":
        target.write_text(POLICE_HEADER + "\n")
    else:
        link = quarantined.with_name("police_2024-02-05.csv")
        os.symlink(quarantined, link)
        quarantined = link
    before = sorted(p.name for p in landing.rglob("*"))
    with pytest.raises(ReleaseRefused):
        release(quarantined, env=env, note="looked at it", released_by="reviewer")
    assert sorted(p.name for p in landing.rglob("*")) == before
    assert not env.warehouse.exists()  # no verdict recorded


# --- the landing zone as an attacker's -------------------------------------------------------------


@contextmanager
def deadline(seconds: int):
    """Fail instead of hanging (a read of a pipe blocks forever)."""

    def expired(signum, frame):
        raise TimeoutError(f"blocked for {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("swap_in", ["fifo", "directory", "symlink"])
def test_a_delivery_swapped_after_discovery_is_refused_without_blocking(landing, tmp_path, swap_in):
    """(Another regular file swapped in by delete-and-create often gets the same inode number
    back, so it is read as the file found; that is harmless, it is what the landing zone holds.)"""
    path = put(landing, "police", "police_2024-01-05.csv", POLICE_HEADER + "\n" + police_lines(1)[0] + "\n")
    found = discover(landing, "police")[0][0]
    path.unlink()
    if swap_in == "fifo":
        os.mkfifo(path)
    elif swap_in == "directory":
        path.mkdir()
    elif swap_in == "symlink":
        os.symlink("/etc/passwd", path)
    with deadline(10), pytest.raises(DeliveryError):
        read_delivery(found)


def test_pipes_links_and_sockets_in_the_landing_zone_are_refused_by_the_run_without_blocking(
    landing, key, tmp_path, monkeypatch
):
    import socket

    secret = tmp_path / "veru.key"
    secret.write_bytes(bytes(range(32)))
    os.mkfifo(landing / "police" / "police_2024-01-01.csv")
    os.symlink(secret, landing / "police" / "police_2024-01-02.csv")
    os.symlink(landing / "police" / "police_2024-01-04.csv", landing / "police" / "police_2024-01-03.csv")
    put(landing, "police", "police_2024-01-04.csv", POLICE_HEADER + "\n" + "\n".join(police_lines(2)) + "\n")
    server = socket.socket(socket.AF_UNIX)
    monkeypatch.chdir(landing / "police")  # a socket path must be short: bind it by its relative name
    server.bind("police_2024-01-05.csv")
    monkeypatch.undo()
    try:
        with deadline(20):
            result = ingest_feed(POLICE, landing, key, today=TODAY)
    finally:
        server.close()
    statuses = dict(result.deliveries.select("delivery_file", "status").iter_rows())
    assert statuses == {
        "police_2024-01-01.csv": "refused",
        "police_2024-01-02.csv": "refused",
        "police_2024-01-03.csv": "refused",
        "police_2024-01-04.csv": "accepted",
        "police_2024-01-05.csv": "refused",
    }
    assert (
        result.staging.height == 2
        and result.deliveries.filter(pl.col("status") == "refused")["sha256"].null_count() == 4
    )


def test_a_delivery_replaced_during_the_run_is_left_for_the_next_run_not_quarantined(
    landing, key, tmp_path, monkeypatch
):
    """The reader says "was replaced by another file while it was being read; it will be read
    at the next run". The agency's transfer renamed a new version over it: that file is good
    and must stay in the landing zone. Its status is `quarantined`, so the staging asset moves
    it to the quarantine area and the next run never sees it."""
    from dagster_project.staging.quarantine import move_to_quarantine, plan_quarantine

    name = "police_2024-01-05.csv"
    put(landing, "police", name, POLICE_HEADER + "\n" + "\n".join(police_lines(3)) + "\n")
    real = ingest_module.discover

    def discover_then_replace(*args, **kwargs):
        found = real(*args, **kwargs)
        new = landing / "police" / f".{name}.part"
        new.write_text(POLICE_HEADER + "\n" + "\n".join(police_lines(4)) + "\n")
        os.replace(new, landing / "police" / name)
        return found

    monkeypatch.setattr(ingest_module, "discover", discover_then_replace)
    result = ingest_feed(POLICE, landing, key, today=TODAY)
    _, moves = plan_quarantine(result, tmp_path / "quarantine", "run1")
    move_to_quarantine("police", landing, moves)
    assert (landing / "police" / name).exists(), delivery_row(result, name)
    monkeypatch.setattr(ingest_module, "discover", real)
    assert ingest_feed(POLICE, landing, key, today=TODAY).staging.height == 4


def test_a_delivery_left_in_a_subfolder_is_reported_not_ignored(landing, key):
    """Finding 7: nothing in the landing zone sits unread without a trace. A delivery an
    agency put one folder down (`police/2024-01/police_2024-01-05.csv`) is skipped with no row
    in quality.deliveries: the feed looks healthy while the data sits unread."""
    put(landing, "police", "2024-01/police_2024-01-05.csv", POLICE_HEADER + "\n" + "\n".join(police_lines(3)) + "\n")
    result = ingest_feed(POLICE, landing, key, today=TODAY)
    assert result.deliveries.height == 1
    row = result.deliveries.row(0, named=True)
    assert row["status"] in ("unrecognised_name", "refused") and "2024-01" not in (row["reason"] or "")


def test_a_classic_mac_delivery_with_cr_line_endings_is_quarantined_whole(landing, key):
    put(landing, "police", "police_2024-01-05.csv", (POLICE_HEADER + "\r" + "\r".join(police_lines(5)) + "\r"))
    result = ingest_feed(POLICE, landing, key, today=TODAY)
    row = delivery_row(result, "police_2024-01-05.csv")
    assert row["status"] == "quarantined" and result.staging.is_empty()


def test_a_delivery_without_line_breaks_is_not_held_whole_in_memory(landing):
    """Reading streams (build item 7: a 1 GB delivery peaks below 2 GB). A file with no `\\n`
    (CR-only line endings, a corrupt export) is one 'line': the reader accumulates all of it,
    re-copying the accumulated text for every 4 MB chunk (quadratic), and decodes it whole.
    Measured: 16 MB peaks at 55 MB, 48 MB at 155 MB; extrapolated, a 2 GB file needs ~6 GB and
    about half an hour. A line longer than any plausible record should be rejected unread."""
    size = 24 * 1024 * 1024
    path = put(landing, "police", "police_2024-01-05.csv", POLICE_HEADER.encode() + b"\n" + b"x" * size + b"\n")
    tracemalloc.start()
    try:
        try:
            raw = read_delivery(Delivery("police", path, dt.date(2024, 1, 5)))
            assert raw.rows_read == 1 and raw.rejects.height == 1  # the giant line is one rejected row
        except DeliveryError:
            pass  # or the file refused whole
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < size, f"peak {peak / 2**20:.0f} MiB reading a {size / 2**20:.0f} MiB file with no line break"


_RSS_GROWTH = """
import datetime as dt, sys
from pathlib import Path
from dagster_project.feeds.delivery import Delivery, DeliveryError, read_delivery

def status(field):
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(field + ":"))

with open("/proc/self/clear_refs", "w") as fh:  # reset the peak (VmHWM), which fork+exec inherits
    fh.write("5")
before = status("VmRSS")
try:
    read_delivery(Delivery("police", Path(sys.argv[1]), dt.date(2024, 1, 5)))
except DeliveryError:
    pass
print(status("VmHWM") - before)
"""


def _rss_growth_kib(path: Path) -> int:
    """How much the peak resident memory of a fresh process grows while it reads `path`."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _RSS_GROWTH, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ.copy(),
        timeout=300,
    )
    return int(done.stdout.split()[-1])


def test_a_delivery_of_a_million_malformed_lines_does_not_exhaust_memory(tmp_path):
    """Rejected rows are kept as Python tuples, one per line, however many there are: a 2 MB
    file of a million one-character lines (each 'row has 1 fields, the header has 17') costs
    about 290 MiB more than reading the header alone (measured 48 -> 340 MiB), so a 100 MB
    such file would need ~14 GB, far past 'a 1 GB delivery peaks below 2 GB'. A file that is
    mostly malformed should be refused whole once the rejects pass a bound, or its rejects
    kept compactly."""
    header_only = tmp_path / "police_2024-01-04.csv"
    header_only.write_text(POLICE_HEADER + "\n")
    malformed = tmp_path / "police_2024-01-05.csv"
    malformed.write_text(POLICE_HEADER + "\n" + "x\n" * 1_000_000)
    baseline, growth = _rss_growth_kib(header_only), _rss_growth_kib(malformed)
    assert growth - baseline < 100 * 1024, (
        f"reading 2 MB of malformed lines took {(growth - baseline) // 1024} MiB more than reading a header"
    )


# ---------------------------------------------------------------------------------------
# 3. Messages and logs quote nothing
# ---------------------------------------------------------------------------------------


def test_no_message_of_a_hostile_landing_zone_quotes_a_name(landing, key, caplog, tmp_path):
    names = ["Okonkwo", "Leontyne"]
    put(landing, "police", "Okonkwo Leontyne.csv", POLICE_HEADER + "\n")
    put(landing, "police", "police_2024-01-05 Okonkwo.csv", POLICE_HEADER + "\n")
    os.symlink(tmp_path, landing / "police" / "police_Leontyne.csv")
    stray = [line.replace(",Leontyne,", ',"Leontyne" Jr,') for line in police_lines(2, forenames="Leontyne")]
    put(landing, "police", "police_2024-01-06.csv", POLICE_HEADER + "\n" + "\n".join(stray) + "\n")
    put(landing, "police", "police_2024-01-07.csv", "Okonkwo,Leontyne\n1,2\n")
    put(
        landing,
        "police",
        "police_2024-01-08.csv",
        (POLICE_HEADER + "\n" + police_lines(1, surname="OKONKWO\xe9")[0]).encode("latin-1"),
    )
    with caplog.at_level(logging.DEBUG):
        result = ingest_feed(POLICE, landing, key, validator=validate_frame, today=TODAY)
    texts = [
        caplog.text,
        *result.deliveries["delivery_file"].to_list(),
        *result.deliveries["reason"].to_list(),
        *result.rejects["reason"].to_list(),
        *(v.summary() for v in result.validations),
    ]
    assert not any(n.lower() in _lower(texts) for n in names)
    assert delivery_row(result, "police_2024-01-06.csv")["rows_read"] == 2


def test_the_landing_sensor_keeps_no_unmasked_file_name_in_its_cursor(landing):
    """The sensor logs file names masked, but its cursor (persisted by Dagster and shown in the
    UI on the sensor's page) keeps every `<feed>/<file name>` as it is: a file named after a
    person puts the name into Dagster's storage."""
    import dagster as dg

    from dagster_project.defs.ingest.sensors import build_landing_sensor
    from dagster_project.resources import LandingZoneResource

    @dg.op
    def nothing():
        return None

    @dg.job
    def noop():
        nothing()

    put(landing, "police", "Okonkwo Leontyne 14-03-1987.csv", POLICE_HEADER + "\n")
    sensor = build_landing_sensor(noop)
    context = dg.build_sensor_context(cursor=None, resources={"landing": LandingZoneResource(path=str(landing))})
    assert isinstance(sensor(context), dg.RunRequest)
    assert "okonkwo" not in context.cursor.lower() and "14-03-1987" not in context.cursor
