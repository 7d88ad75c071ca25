"""The data-quality suites in expectations/ and the privacy-safe validation API."""

from __future__ import annotations

import json
import logging
import socket
import time

import polars as pl
import pytest

from dagster_project.feeds import FEEDS
from dagster_project.feeds.spec import with_checked_dates
from dagster_project.quality import (
    FEED_SUITE_NAMES,
    SUITE_NAMES,
    SuiteConfigError,
    SuiteResult,
    load_suite,
)
from dagster_project.quality import suites as suites_module
from dagster_project.quality import validate_frame as validate_any_frame
from dagster_project.quality.gx_runtime import exception_type_name, gx_runtime
from dagster_project.staging.prepare import validate_delivery


def validate_frame(df: pl.DataFrame, suite_name: str, **kwargs) -> SuiteResult:
    """A feed's delivery is judged as staging judges it (its dates parsed for the range
    checks, `validate_delivery`); any other frame against its suite as it is."""
    spec = FEEDS.get(suite_name)
    if spec is None:
        return validate_any_frame(df, suite_name, **kwargs)
    return validate_delivery(spec, df, validator=validate_any_frame, **kwargs)


# The columns of each feed exactly as FEEDS.md lists them, key first.
FEED_COLUMNS = {
    "police": [
        "nominal_link_id",
        "occurrence_ref",
        "role",
        "surname",
        "forenames",
        "dob",
        "sex",
        "ethnicity",
        "postcode",
        "pnc_id",
        "offence_code",
        "offence_group",
        "occurrence_datetime",
        "location_lsoa",
        "domestic_abuse",
        "knife_or_sharp",
        "drugs_or_alcohol",
    ],
    "social_care": [
        "referral_id",
        "child_id",
        "local_authority",
        "first_name",
        "last_name",
        "dob",
        "gender",
        "ethnicity",
        "nhs_number",
        "postcode",
        "referral_date",
        "referral_source",
        "primary_need",
        "cse_concern",
        "cce_concern",
        "missing_episodes",
        "child_protection_plan",
        "looked_after",
    ],
    "health": [
        "attendance_id",
        "site",
        "nhs_number",
        "forename",
        "surname",
        "date_of_birth",
        "sex",
        "ethnic_category",
        "postcode",
        "arrival_datetime",
        "assault_location_type",
        "weapon",
        "admitted",
    ],
    "yos": [
        "yos_outcome_id",
        "service",
        "full_name",
        "dob",
        "gender",
        "ethnicity",
        "pnc_number",
        "postcode",
        "outcome_date",
        "outcome_type",
        "offence_type",
        "first_time_entrant",
        "exploitation_concern",
    ],
}
KEY = {feed: columns[0] for feed, columns in FEED_COLUMNS.items()}

SURNAMES = ["SMITH", "O'BRIEN", "Begum", "KHAN-PATEL", "Nowak", "de la Cruz"]
FORENAMES = ["Mohammed Ali", "Bob", "Aisha", "Jack Thomas", "Zofia", "Muhammad"]
POSTCODES = ["LU1 1AA", "lu2 7bh", "MK401AB", "SG18  8QS", "mk45 2dd", None]
YN = ["Y", "N"]


def _pick(values: list, i: int):
    return values[i % len(values)]


def _police_row(i: int) -> dict:
    return {
        "nominal_link_id": f"NL{i:09d}",
        "occurrence_ref": f"43/{100000 + i // 3:06d}/24",
        "role": _pick(["VICTIM", "SUSPECT", "OFFENDER", "WITNESS"], i),
        "surname": _pick(SURNAMES, i),
        "forenames": _pick(FORENAMES, i),
        "dob": None if i % 20 == 7 else f"{1 + i % 28:02d}/{1 + i % 12:02d}/{1985 + i % 25}",
        "sex": _pick(["M", "F", "U"], i),
        "ethnicity": _pick(["W1", "A2", "B1", "M9", "NS", "O1"], i),
        "postcode": _pick(POSTCODES, i),
        "pnc_id": f"{i % 24:02d}/{i:06d}K" if i % 3 == 0 else None,
        "offence_code": f"{i % 900 + 100:03d}/{i % 100:02d}",
        "offence_group": _pick(["Violence with injury", "Robbery", "Public order", "Rape"], i),
        "occurrence_datetime": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}",
        "location_lsoa": f"E01{i % 1000000:06d}",
        "domestic_abuse": _pick(YN, i),
        "knife_or_sharp": _pick(YN, i + 1),
        "drugs_or_alcohol": _pick(YN, i // 2),
    }


def _social_care_row(i: int) -> dict:
    la, code = _pick([("Bedford", "BED"), ("Central Bedfordshire", "CBC"), ("Luton", "LUT")], i)
    nhs = f"{4000000000 + i:010d}"
    return {
        "referral_id": f"{code}-R{i:07d}",
        "child_id": f"{code}{i // 2:06d}",
        "local_authority": la,
        "first_name": _pick(FORENAMES, i),
        "last_name": _pick(SURNAMES, i),
        "dob": f"{2006 + i % 12}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        "gender": _pick(["Male", "Female", "Unknown"], i),
        "ethnicity": _pick(["WBRI", "APKN", "BAFR", "MWBC", "NOBT"], i),
        "nhs_number": [nhs, f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}", None][i % 3],
        "postcode": _pick(POSTCODES, i),
        "referral_date": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
        "referral_source": _pick(["Police", "School", "Health", "Self", "Other"], i),
        "primary_need": f"N{1 + i % 9}",
        "cse_concern": _pick(YN, i),
        "cce_concern": _pick(YN, i + 1),
        "missing_episodes": str(i % 5),
        "child_protection_plan": _pick(YN, i // 2),
        "looked_after": _pick(YN, i // 3),
    }


def _health_row(i: int) -> dict:
    return {
        "attendance_id": f"ED{i:010d}",
        "site": _pick(["Luton and Dunstable", "Bedford"], i),
        "nhs_number": None if i % 10 == 3 else f"{6000000000 + i:010d}",
        "forename": _pick(FORENAMES, i),
        "surname": _pick(SURNAMES, i),
        "date_of_birth": f"{1980 + i % 30}{1 + i % 12:02d}{1 + i % 28:02d}",
        "sex": _pick(["1", "2", "9", "0"], i),
        "ethnic_category": _pick(["A", "H", "M", "S", "Z"], i),
        "postcode": _pick(POSTCODES, i),
        "arrival_datetime": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:05",
        "assault_location_type": _pick(["Home", "Street", "Licensed premises", "School", "Other"], i),
        "weapon": _pick(["None", "Knife or blade", "Blunt object", "Unknown"], i),
        "admitted": _pick(YN, i),
    }


def _yos_row(i: int) -> dict:
    return {
        "yos_outcome_id": f"YOS{i:08d}",
        "service": _pick(["Bedfordshire", "Luton"], i),
        "full_name": f"{_pick(SURNAMES, i).upper()}, {_pick(FORENAMES, i)}",
        "dob": f"{1 + i % 28:02d}-{_pick(['Jan', 'Feb', 'Mar', 'Oct', 'Dec'], i)}-{i % 10:02d}",
        "gender": _pick(["Male", "Female"], i),
        "ethnicity": _pick(["WBRI", "BCRB", "AIND", "REFU"], i),
        "pnc_number": f"{2005 + i % 15}/{i:07d}{_pick(['K', 'X', 'A'], i)}",
        "postcode": _pick(POSTCODES, i),
        "outcome_date": f"{1 + i % 28:02d}/{1 + i % 12:02d}/2024",
        "outcome_type": _pick(["Community Resolution", "Youth Caution", "Referral Order"], i),
        "offence_type": _pick(["Violence against the person", "Robbery", "Drugs", "Weapons"], i),
        "first_time_entrant": _pick(YN, i),
        "exploitation_concern": _pick(YN, i + 1),
    }


ROW_BUILDERS = {"police": _police_row, "social_care": _social_care_row, "health": _health_row, "yos": _yos_row}


def good_delivery(feed: str, n: int = 40) -> pl.DataFrame:
    """A delivery as the reader hands it over: every column String, empty fields as null."""
    rows = [ROW_BUILDERS[feed](i) for i in range(n)]
    return pl.DataFrame(rows, schema={column: pl.String for column in FEED_COLUMNS[feed]})


def set_values(df: pl.DataFrame, column: str, values: dict[int, str | None]) -> pl.DataFrame:
    """`df` with `column` replaced at the given row indexes."""
    new = [values.get(i, v) for i, v in enumerate(df[column].to_list())]
    return df.with_columns(pl.Series(column, new, dtype=pl.String))


def failed(result: SuiteResult, expectation_type: str, column: str | None = None):
    return [
        o
        for o in result.outcomes
        if not o.success and o.expectation_type == expectation_type and (column is None or o.column == column)
    ]


# Suites ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SUITE_NAMES)
def test_every_suite_loads_and_every_expectation_has_severity_and_description(name):
    suite = load_suite(name)
    assert suite.name == name
    assert suite.expectations
    for expectation in suite.expectations:
        assert expectation.meta["severity"] in {"blocking", "warning"}
        assert expectation.meta["description"].strip()
        native = "critical" if expectation.meta["severity"] == "blocking" else "warning"
        assert expectation.severity.value == native


@pytest.mark.parametrize("name", SUITE_NAMES)
def test_suite_files_are_gx_expectation_suite_json(name):
    document = json.loads((suites_module.expectations_dir() / f"{name}.json").read_text())
    assert set(document) >= {"name", "expectations", "meta"}
    for expectation in document["expectations"]:
        assert set(expectation) >= {"type", "kwargs", "meta"}


@pytest.mark.parametrize("feed", FEED_SUITE_NAMES)
def test_feed_suite_pins_the_feeds_md_columns_and_a_blocking_key(feed):
    suite = load_suite(feed)
    by_type: dict[str, list] = {}
    for expectation in suite.expectations:
        by_type.setdefault(expectation.expectation_type, []).append(expectation)
    # Every agreed column present blocks; columns beyond them are a warning (dropped, data loaded).
    layouts = {e.meta["severity"]: e for e in by_type["expect_table_columns_to_match_set"]}
    assert set(layouts) == {"blocking", "warning"} and len(by_type["expect_table_columns_to_match_set"]) == 2
    for columns in layouts.values():
        assert sorted(columns.column_set) == sorted(FEED_COLUMNS[feed])
    assert layouts["blocking"].exact_match is False and layouts["warning"].exact_match is True
    key = KEY[feed]
    for kind in (
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_unique",
        "expect_column_values_to_match_regex",
    ):
        on_key = {e.meta["severity"]: e for e in by_type[kind] if e.column == key}
        # Two tiers: any bad key is a warning (the row is rejected on its own); bad keys on
        # more than 10% of rows block the delivery (the export itself is broken).
        assert set(on_key) == {"blocking", "warning"}
        assert on_key["blocking"].mostly == 0.9
        assert getattr(on_key["warning"], "mostly", 1.0) in (None, 1.0)
    # Every column is checked, plus each checked date's parsed form (`<column>__date`).
    spec = FEEDS[feed]
    derived = {column + "__date" for column, _ in spec.checked_dates}
    checked = {e.column for e in suite.expectations if getattr(e, "column", None)}
    assert checked == set(FEED_COLUMNS[feed]) | derived
    # Other than the key, only a mostly-empty date of birth, mostly implausible dates, or a
    # column mostly off its format (a format change) block the delivery; everything else is a
    # warning (degraded, still loaded). Each format check has a blocking twin at 50%.
    dob = spec.checked_dates[1][0]
    format_checks = {
        (e.column, e.expectation_type)
        for e in suite.expectations
        if getattr(e, "column", None) not in (None, key)
        and e.meta["severity"] == "warning"
        and e.expectation_type in ("expect_column_values_to_match_regex", "expect_column_values_to_be_in_set")
    }
    twins = set()
    for expectation in suite.expectations:
        column = getattr(expectation, "column", None)
        if column not in (None, key) and expectation.meta["severity"] == "blocking":
            if expectation.meta.get("kind") == "format_change":
                assert expectation.mostly == 0.5 and expectation.meta["min_filled"] == 10, column
                twins.add((column, expectation.expectation_type))
                continue
            assert (column, expectation.expectation_type, expectation.mostly) in (
                (dob, "expect_column_values_to_not_be_null", 0.5),
                *((d, "expect_column_values_to_be_between", 0.99) for d in derived),
            ), column
    assert twins == format_checks


# Good and broken deliveries -----------------------------------------------------------------------


@pytest.mark.parametrize("feed", FEED_SUITE_NAMES)
def test_good_delivery_passes_with_no_failures(feed):
    result = validate_frame(good_delivery(feed), feed, label=f"{feed}_2024-06-01.csv")
    assert result.success, result.summary()
    assert (result.blocking_failures, result.warning_failures) == (0, 0), result.summary()
    assert result.evaluated_rows == 40
    assert len(result.outcomes) == len(load_suite(feed).expectations)
    assert "passed" in result.summary()


@pytest.mark.parametrize("feed", FEED_SUITE_NAMES)
def test_missing_column_is_a_blocking_failure(feed):
    dropped = FEED_COLUMNS[feed][4]
    result = validate_frame(good_delivery(feed).drop(dropped), feed, label="t")
    assert not result.success
    assert result.blocking_failures >= 1
    assert f"blocking: column {dropped} missing" in result.summary()
    # The checks on the missing column fail with a bare exception name, not GX's message.
    on_column = [o for o in result.outcomes if o.column == dropped]
    assert on_column and all(not o.success for o in on_column)
    assert all(o.exception == f"MetricResolutionError on column {dropped}" for o in on_column)


@pytest.mark.parametrize("feed", FEED_SUITE_NAMES)
def test_missing_key_column_fails_every_key_check(feed):
    result = validate_frame(good_delivery(feed).drop(KEY[feed]), feed, label="t")
    assert not result.success
    key_outcomes = [o for o in result.outcomes if o.column == KEY[feed]]
    assert key_outcomes and all(not o.success for o in key_outcomes)
    assert {o.severity for o in key_outcomes} == {"blocking", "warning"}


@pytest.mark.parametrize("feed", FEED_SUITE_NAMES)
def test_renamed_column_is_a_blocking_failure(feed):
    renamed = FEED_COLUMNS[feed][5]
    df = good_delivery(feed).rename({renamed: renamed.upper() + "_X"})
    result = validate_frame(df, feed, label="t")
    assert not result.success
    (outcome,) = [o for o in failed(result, "expect_table_columns_to_match_set") if o.severity == "blocking"]
    assert outcome.missing_columns == (renamed,) and outcome.renamed_columns == (renamed,)
    assert outcome.unexpected_column_count == 1
    assert (
        f"column {renamed} missing (renamed? a column of a similar name is present), 1 unexpected column"
        in result.summary()
    )
    assert renamed.upper() + "_X" not in result.summary()  # unexpected names are never repeated


def test_a_column_replaced_by_an_unrelated_one_is_not_called_renamed():
    feed = "police"
    gone = FEED_COLUMNS[feed][5]
    result = validate_frame(good_delivery(feed).rename({gone: "zzz"}), feed, label="t")
    (outcome,) = [o for o in failed(result, "expect_table_columns_to_match_set") if o.severity == "blocking"]
    assert outcome.missing_columns == (gone,) and outcome.renamed_columns == ()
    assert f"column {gone} missing, 1 unexpected column" in result.summary()


def test_an_extra_column_is_a_warning_that_names_it_when_its_header_is_a_plain_name():
    df = good_delivery("health").with_columns(pl.lit("x").alias("comments"))
    result = validate_frame(df, "health", label="t")
    assert result.success and result.warning_failures == 1
    assert result.summary() == "warning: added column comments (dropped, not stored)"
    odd = good_delivery("health").with_columns(pl.lit("x").alias("Jane SMITH"))
    summary = validate_frame(odd, "health", label="t").summary()
    assert "1 added column (dropped, not stored; header not shown" in summary and "SMITH" not in summary


@pytest.mark.parametrize("feed", FEED_SUITE_NAMES)
def test_a_duplicated_key_is_a_warning_and_mass_duplication_blocks(feed):
    df = good_delivery(feed)
    one = set_values(df, KEY[feed], {5: df[KEY[feed]][4]})
    result = validate_frame(one, feed, label="t")
    assert result.success and result.warning_failures == 1
    (outcome,) = failed(result, "expect_column_values_to_be_unique", KEY[feed])
    assert outcome.severity == "warning" and outcome.unexpected_count == 2
    assert f"{KEY[feed]} not unique (2 rows share a value)" in result.summary()
    many = set_values(df, KEY[feed], {i: df[KEY[feed]][0] for i in range(1, 10)})  # 10 of 40 rows
    blocked = validate_frame(many, feed, label="t")
    assert not blocked.success
    assert {o.severity for o in failed(blocked, "expect_column_values_to_be_unique", KEY[feed])} == {
        "blocking",
        "warning",
    }


@pytest.mark.parametrize("feed", FEED_SUITE_NAMES)
def test_null_or_malformed_keys_block_only_when_the_export_is_broken(feed):
    few = set_values(good_delivery(feed), KEY[feed], {1: None, 2: "12345"})
    result = validate_frame(few, feed, label="t")
    assert result.success and result.warning_failures == 2
    assert failed(result, "expect_column_values_to_not_be_null", KEY[feed])
    assert failed(result, "expect_column_values_to_match_regex", KEY[feed])
    broken = set_values(good_delivery(feed), KEY[feed], {i: None for i in range(8)})  # 20% missing
    assert validate_frame(broken, feed, label="t").blocking_failures == 1


@pytest.mark.parametrize("feed", FEED_SUITE_NAMES)
def test_header_only_delivery_is_a_blocking_failure(feed):
    df = pl.DataFrame(schema={column: pl.String for column in FEED_COLUMNS[feed]})
    result = validate_frame(df, feed, label="t")
    assert not result.success
    assert result.evaluated_rows == 0
    (outcome,) = failed(result, "expect_table_row_count_to_be_between")
    assert outcome.severity == "blocking" and outcome.observed_value == 0
    assert result.summary() == "blocking: no rows (empty or header-only)"


def test_frame_with_no_columns_at_all_fails_without_raising():
    result = validate_frame(pl.DataFrame(), "yos", label="t")
    assert not result.success
    assert result.summary().startswith("blocking: none of the 13 agreed columns found;"), result.summary()


def test_non_string_columns_are_checked_as_text():
    df = good_delivery("social_care").with_columns(pl.col("missing_episodes").cast(pl.Int64))
    assert validate_frame(df, "social_care", label="t").warning_failures == 0


# Hand-typed columns: tolerated below `mostly`, a warning above --------------------------------------


def test_bad_format_in_hand_typed_column_below_mostly_threshold_passes():
    df = set_values(good_delivery("police"), "dob", {0: "1990-03-12"})  # 1 of 38 filled: 2.6%
    result = validate_frame(df, "police", label="t")
    (outcome,) = [
        o
        for o in result.outcomes
        if o.expectation_type == "expect_column_values_to_match_regex" and o.column == "dob" and o.severity == "warning"
    ]
    assert outcome.success and outcome.unexpected_count == 1
    assert outcome.severity == "warning"
    assert result.success and result.warning_failures == 0


def test_bad_format_in_hand_typed_column_above_mostly_threshold_is_a_warning_not_blocking():
    bad = {i: "12.03.1990" for i in range(0, 40, 4)}  # 10 of 38 filled values: 26.3%
    df = set_values(good_delivery("police"), "dob", bad)
    result = validate_frame(df, "police", label="t")
    (outcome,) = failed(result, "expect_column_values_to_match_regex", "dob")
    assert outcome.severity == "warning"
    assert outcome.unexpected_count == 10
    assert result.success  # degraded but usable
    assert (result.blocking_failures, result.warning_failures) == (0, 1)
    assert result.summary() == "warning: 26.3% of dob not in dd/mm/yyyy (limit 5.0%)"


@pytest.mark.parametrize(
    ("feed", "column", "values", "phrase"),
    [
        (
            "police",
            "dob",
            lambda i: f"19{70 + i % 29}-0{1 + i % 9}-1{i % 9}",
            "dob is yyyy-mm-dd in 100.0% of filled-in rows, expected dd/mm/yyyy",
        ),
        (
            "police",
            "sex",
            lambda i: ["Male", "Female"][i % 2],
            "sex is Male/Female/Unknown words in 100.0% of filled-in rows, expected M, F or U",
        ),
        (
            "health",
            "sex",
            lambda i: "mf"[i % 2].upper(),
            "sex is M/F/U letters in 100.0% of filled-in rows, expected 1, 2, 9 or 0",
        ),
        (
            "yos",
            "outcome_date",
            lambda i: f"2023-09-{1 + i % 28:02d}",
            "outcome_date is yyyy-mm-dd in 100.0% of filled-in rows, expected dd/mm/yyyy",
        ),
        (
            "social_care",
            "cse_concern",
            lambda i: ["Yes", "No"][i % 2],
            "cse_concern is Yes/No words in 100.0% of filled-in rows, expected Y or N",
        ),
    ],
)
def test_a_column_mostly_in_another_format_blocks_naming_the_format_found(feed, column, values, phrase):
    df = good_delivery(feed)
    df = df.with_columns(pl.Series(column, [values(i) for i in range(df.height)]))
    result = validate_frame(df, feed, label="t")
    assert not result.success and phrase in result.summary(), result.summary()


def test_a_format_change_on_a_handful_of_values_is_not_judged():
    df = good_delivery("police")
    df = df.with_columns(pl.when(pl.int_range(pl.len()) < 9).then(pl.lit("1990-01-01")).otherwise(None).alias("dob"))
    outcome = next(
        o
        for o in validate_frame(df, "police", label="t").outcomes
        if o.column == "dob" and o.severity == "blocking" and o.expectation_type.endswith("regex")
    )
    assert outcome.success and not outcome.judged


def test_postcodes_are_checked_tolerant_of_case_and_spacing():
    df = set_values(
        good_delivery("health"), "postcode", {0: "lu11aa", 1: " MK40 1AB ", 2: "MkO4 1AB", 3: "LU1", 4: "not known"}
    )
    result = validate_frame(df, "health", label="t")
    (outcome,) = [
        o
        for o in result.outcomes
        if o.expectation_type == "expect_column_values_to_match_regex"
        and o.column == "postcode"
        and o.severity == "warning"
    ]
    assert outcome.unexpected_count == 3  # the letter O for zero, a district only, free text


def test_social_care_nhs_number_may_be_spaced_but_health_may_not():
    spaced = "401 234 5678"
    care = validate_frame(set_values(good_delivery("social_care"), "nhs_number", {0: spaced}), "social_care", label="t")
    health = validate_frame(set_values(good_delivery("health"), "nhs_number", {0: spaced}), "health", label="t")

    def nhs_unexpected(result):
        (o,) = [
            o
            for o in result.outcomes
            if o.column == "nhs_number"
            and o.severity == "warning"
            and o.expectation_type == "expect_column_values_to_match_regex"
        ]
        return o.unexpected_count

    assert nhs_unexpected(care) == 0
    assert nhs_unexpected(health) == 1


def test_null_rate_above_stated_presence_is_a_warning():
    df = set_values(good_delivery("health"), "nhs_number", {i: None for i in range(12)})
    result = validate_frame(df, "health", label="t")
    (outcome,) = failed(result, "expect_column_values_to_not_be_null", "nhs_number")
    assert outcome.severity == "warning"
    assert result.success
    assert "of nhs_number missing (limit 20.0%)" in result.summary()


def test_code_outside_value_set_and_negative_missing_episodes_are_warnings():
    df = set_values(good_delivery("social_care"), "gender", {0: "M"})
    df = set_values(df, "missing_episodes", {1: "-1"})
    result = validate_frame(df, "social_care", label="t")
    assert result.success
    assert failed(result, "expect_column_values_to_be_in_set", "gender")
    assert failed(result, "expect_column_values_to_match_regex", "missing_episodes")
    assert result.warning_failures == 2


# Privacy ------------------------------------------------------------------------------------------

SENTINELS = ["ZQXWSENTINEL", "9999999999", "ZZ99 9ZZ", "zz99 9zz", "01/01/1901", "NL999999999"]


def _fragments(sentinels: list[str], size: int = 4) -> set[str]:
    return {s[i : i + size] for s in sentinels for i in range(len(s) - size + 1)}


def _assert_no_sentinel(text: str) -> None:
    leaked = sorted(f for f in _fragments(SENTINELS) if f in text)
    assert not leaked, f"sentinel fragments leaked: {leaked}"


def _everything_said(result: SuiteResult) -> str:
    return "\n".join([repr(result), json.dumps(result.to_records(), default=str), result.summary(), str(result)])


def test_sentinels_planted_in_invalid_positions_never_appear_in_results_or_logs(caplog, capsys):
    caplog.set_level(logging.DEBUG)  # every logger, GX's included
    df = good_delivery("police")
    plant = {
        "nominal_link_id": {
            0: "ZQXWSENTINEL",
            1: "9999999999",
            2: "NL999999999",
            3: "NL999999999",
        },  # malformed and duplicated keys
        "dob": {i: "ZQXWSENTINEL" for i in range(4, 30)},
        "sex": {4: "ZZ99 9ZZ"},
        "role": {5: "9999999999"},
        "postcode": {i: "9999999999" for i in range(6, 30)},
        "pnc_id": {i: "zz99 9zz" for i in range(0, 40, 2)},
        "occurrence_datetime": {7: "01/01/1901"},
        "offence_group": {8: "ZQXWSENTINEL"},
        "location_lsoa": {9: "ZZ99 9ZZ"},
    }
    for column, values in plant.items():
        df = set_values(df, column, values)
    # A renamed column whose header is itself a sentinel, as in a file that lost its header row.
    df = df.rename({"surname": "ZQXWSENTINEL", "forenames": "9999999999"})
    result = validate_frame(df, "police", label="police_2024-06-01.csv")
    assert not result.success and result.warning_failures > 3
    _assert_no_sentinel(_everything_said(result))
    _assert_no_sentinel("\n".join(r.getMessage() for r in caplog.records))
    captured = capsys.readouterr()
    _assert_no_sentinel(captured.out + captured.err)
    assert "Calculating Metrics" not in captured.err  # GX's progress bars are off


def test_gx_loggers_are_silenced():
    gx_runtime()
    for name in (
        "great_expectations",
        "great_expectations.validator.validator",
        "great_expectations.data_context.types.base",
        "great_expectations.core.expectation_suite",
    ):
        assert not logging.getLogger(name).isEnabledFor(logging.CRITICAL), name


@pytest.mark.parametrize("feed", FEED_SUITE_NAMES)
def test_sentinels_in_every_column_of_every_feed_never_leak(feed, caplog):
    caplog.set_level(logging.DEBUG)
    df = good_delivery(feed)
    for n, column in enumerate(FEED_COLUMNS[feed]):
        df = set_values(df, column, {i: SENTINELS[(n + i) % len(SENTINELS)] for i in range(0, 40, 3)})
    result = validate_frame(df, feed, label="t")
    _assert_no_sentinel(_everything_said(result))
    _assert_no_sentinel("\n".join(r.getMessage() for r in caplog.records))


def test_gx_own_result_under_our_result_format_holds_no_values():
    """Defence in depth: even GX's raw result (which validate_frame discards) quotes no value."""
    df = good_delivery("health")
    for n, column in enumerate(FEED_COLUMNS["health"]):
        df = set_values(df, column, {i: SENTINELS[(n + i) % len(SENTINELS)] for i in range(0, 40, 3)})
    # a date of birth in 1850: GX would list it among unexpected values if it were asked to
    df = set_values(df, "date_of_birth", {1: "18500101"})
    frame = with_checked_dates(FEEDS["health"], df)
    batch = gx_runtime().batch_definition.get_batch(
        batch_parameters={"dataframe": suites_module._as_text_pandas(frame)}
    )
    validation = batch.validate(
        load_suite("health"),
        result_format=suites_module.RESULT_FORMAT,
        expectation_parameters=suites_module.default_parameters(),
    )
    assert not validation.success
    _assert_no_sentinel(json.dumps(validation.to_json_dict(), default=str))
    assert "1850" not in json.dumps(validation.to_json_dict(), default=str)
    for gx_result in validation.results:
        assert "partial_unexpected_list" not in gx_result.result
        assert "unexpected_list" not in gx_result.result


def test_outcomes_hold_numbers_and_suite_names_only():
    df = set_values(good_delivery("yos"), "dob", {i: "ZQXWSENTINEL" for i in range(20)})
    result = validate_frame(df.drop("service"), "yos", label="t")
    for record in result.to_records():
        assert all(isinstance(v, (str, int, float, bool, type(None))) for v in record.values())
        assert record["observed_value"] is None or isinstance(record["observed_value"], (int, float))
    columns_check = next(o for o in result.outcomes if o.expectation_type == "expect_table_columns_to_match_set")
    assert columns_check.observed_value is None  # GX observed a list of header names


def test_gx_error_message_is_reduced_to_its_type(monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)

    class Exploding:
        def get_batch(self, **_):
            raise ValueError("could not parse 'ZQXWSENTINEL' born 01/01/1901")

    class Runtime:
        batch_definition = Exploding()

    monkeypatch.setattr(suites_module, "gx_runtime", lambda: Runtime())
    result = validate_frame(good_delivery("police"), "police", label="t")
    assert not result.success and result.blocking_failures == 1
    assert result.outcomes[0].exception == "ValueError"
    _assert_no_sentinel(_everything_said(result))
    _assert_no_sentinel("\n".join(r.getMessage() for r in caplog.records))


def test_exception_type_name_never_returns_message_text():
    traceback = (
        "Traceback (most recent call last):\n  File 'x.py', line 1\n"
        "ValueError: bad value ZQXWSENTINEL\nZQXWSENTINELError: 9999999999"
    )
    info = {"raised_exception": True, "exception_message": "bad value ZQXWSENTINEL", "exception_traceback": traceback}
    assert exception_type_name(info) == "ValueError"
    assert exception_type_name({"metric-id": info}) == "ValueError"
    unknown = dict(info, exception_traceback="ZQXWSENTINELError: boom")
    assert exception_type_name(unknown) == "Error"
    assert exception_type_name({"raised_exception": False}) is None


def test_validation_makes_no_network_calls(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("network call attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    gx_runtime.cache_clear()  # build a fresh context under the guard too
    result = validate_frame(good_delivery("yos"), "yos", label="t")
    assert result.success


# person_records ------------------------------------------------------------------------------------


def _person_records(rows: list[tuple[str | None, str | None, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"source_feed": pl.String, "record_key": pl.String, "person_id": pl.String}, orient="row"
    )


GOOD_LINKS = [
    ("police", "NL000000001", "P1"),
    ("health", "ED0000000001", "P1"),
    ("yos", "YOS00000001", "P2"),
    ("social_care", "BED-R0000001", "P2"),
    ("health", "NL000000001", "P3"),
]  # the same key text in two feeds is fine


def test_person_records_good_table_passes():
    result = validate_frame(_person_records(GOOD_LINKS), "person_records", label="run-1")
    assert result.success and result.warning_failures == 0, result.summary()


def test_person_records_catches_duplicate_source_record_and_null_person_id():
    rows = [*GOOD_LINKS, ("police", "NL000000001", "P9"), ("yos", "YOS00000002", None)]
    result = validate_frame(_person_records(rows), "person_records", label="run-1")
    assert not result.success
    (duplicate,) = failed(result, "expect_compound_columns_to_be_unique")
    assert duplicate.severity == "blocking" and duplicate.unexpected_count == 2
    (null,) = failed(result, "expect_column_values_to_not_be_null", "person_id")
    assert null.severity == "blocking" and null.unexpected_count == 1
    assert result.blocking_failures == 2


def test_person_records_rejects_unknown_feed_and_extra_columns():
    rows = [*GOOD_LINKS, ("probation", "X1", "P4")]
    df = _person_records(rows).with_columns(pl.lit(0.9).alias("match_probability"))
    result = validate_frame(df, "person_records", label="run-1")
    assert failed(result, "expect_column_values_to_be_in_set", "source_feed")
    assert failed(result, "expect_table_columns_to_match_set")


# Suite loading --------------------------------------------------------------------------------------


def test_expectations_dir_can_be_overridden(tmp_path, monkeypatch):
    document = json.loads((suites_module.expectations_dir() / "person_records.json").read_text())
    document["expectations"] = document["expectations"][:1]
    (tmp_path / "person_records.json").write_text(json.dumps(document))
    monkeypatch.setenv("VERU_EXPECTATIONS_DIR", str(tmp_path))
    assert len(load_suite("person_records").expectations) == 1


def test_missing_suite_file_raises_naming_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("VERU_EXPECTATIONS_DIR", str(tmp_path))
    with pytest.raises(SuiteConfigError, match=r"police\.json does not exist"):
        load_suite("police")
    with pytest.raises(SuiteConfigError, match=r"police\.json"):
        validate_frame(good_delivery("police"), "police", label="t")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        (
            json.dumps(
                {
                    "name": "police",
                    "expectations": [
                        {
                            "type": "expect_column_values_to_not_be_null",
                            "kwargs": {"column": "dob"},
                            "meta": {"description": "x"},
                        }
                    ],
                }
            ),
            "meta.severity must be one of",
        ),
        (
            json.dumps(
                {
                    "name": "police",
                    "expectations": [
                        {
                            "type": "expect_column_values_to_not_be_null",
                            "kwargs": {"column": "dob"},
                            "meta": {"severity": "warning"},
                        }
                    ],
                }
            ),
            "meta.description must be",
        ),
        (
            json.dumps(
                {
                    "name": "police",
                    "expectations": [
                        {
                            "type": "expect_column_values_to_be_shiny",
                            "kwargs": {"column": "dob"},
                            "meta": {"severity": "warning", "description": "x"},
                        }
                    ],
                }
            ),
            "not a valid GX expectation",
        ),
        (json.dumps({"name": "health", "expectations": []}), "suite name must be"),
    ],
)
def test_malformed_suite_raises_naming_the_file(tmp_path, monkeypatch, content, message):
    (tmp_path / "police.json").write_text(content)
    monkeypatch.setenv("VERU_EXPECTATIONS_DIR", str(tmp_path))
    with pytest.raises(SuiteConfigError, match=message) as error:
        load_suite("police")
    assert "police.json" in str(error.value)


def test_suite_name_cannot_escape_the_directory():
    with pytest.raises(SuiteConfigError, match="Supplied value"):
        load_suite("../pyproject")


# Speed -----------------------------------------------------------------------------------------------


def test_fifty_thousand_row_delivery_validates_in_seconds():
    df = good_delivery("police", n=50_000)
    validate_frame(df.head(10), "police", label="warm-up")
    start = time.perf_counter()
    result = validate_frame(df, "police", label="police_50k")
    elapsed = time.perf_counter() - start
    assert result.success and result.evaluated_rows == 50_000
    assert elapsed < 30, f"validation took {elapsed:.1f}s"


def test_rate_limits_are_not_judged_on_a_handful_of_rows():
    # 3 of 11 postcodes missing is 27%, above the 25% limit, but 11 rows prove nothing.
    df = good_delivery("yos", n=11)
    df = set_values(df, "postcode", {i: None for i in range(3)})
    result = validate_frame(df, "yos", label="small")
    assert result.success and result.warning_failures == 0
    unjudged = [o for o in result.outcomes if not o.judged]
    assert any(o.column == "postcode" and o.expectation_type == "expect_column_values_to_not_be_null" for o in unjudged)
    # The same share on a delivery big enough to mean something is a warning.
    big = set_values(good_delivery("yos", n=100), "postcode", {i: None for i in range(30)})
    assert validate_frame(big, "yos", label="big").warning_failures >= 1
