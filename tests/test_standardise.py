import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.pseudonymise import standardise as std


def one(frame_fn, values, column="v", **kwargs):
    df = pl.DataFrame({column: values}, schema={column: pl.String})
    return frame_fn(df, column, **kwargs)


def test_forenames_drop_titles_split_middle_names_and_transliterate():
    out = one(std.standardise_forenames, ["Mr John  Paul", "Zoë", "  ", None, "José-María"])
    assert out["forename"].to_list() == ["JOHN", "ZOE", None, None, "JOSE"]
    assert out["middle_names"].to_list() == ["PAUL", None, None, None, "MARIA"]
    assert out["forename_problem"].to_list() == [None, None, None, None, None]


def test_surnames_keep_parts_of_double_barrelled_names():
    out = one(std.standardise_surname, ["SMITH-JONES", "O'Brien", "de la Cruz", "Łukasiewicz", "!!"])
    assert out["surname"].to_list() == ["SMITH JONES", "OBRIEN", "DE LA CRUZ", "LUKASIEWICZ", None]
    assert out["surname_parts"].to_list()[0] == ["SMITH", "JONES"]
    assert out["surname_problem"].to_list() == [None, None, None, None, "no_letters"]


def test_yos_full_name_is_split_at_the_comma():
    out = one(std.split_full_name, ["SMITH, John Paul", "NoComma"])
    assert out["surname_raw"].to_list() == ["SMITH", None]
    assert out["forenames_raw"].to_list() == [" John Paul", "NoComma"]
    assert out["full_name_problem"].to_list() == [None, "no_comma"]


def test_dates_of_birth_defaults_future_and_garbage_become_missing_with_a_reason():
    df = pl.DataFrame(
        {
            "v": ["03/04/1995", "01/01/1900", "31/02/2001", None, "12/13/2000", "01/01/2030", "05/05/1850"],
            "event": [dt.date(2024, 1, 1)] * 7,
        }
    )
    out = std.standardise_dob(df, "v", "%d/%m/%Y", reference="event")
    assert out["dob"].to_list() == [dt.date(1995, 4, 3), None, None, None, None, None, None]
    assert out["dob_problem"].to_list() == [
        None,
        "default_date",
        "unparseable",
        None,
        "unparseable",
        "after_event",
        "before_1900",
    ]


@pytest.mark.parametrize(
    ("raw", "event", "expected"),
    [
        ("03-Jan-07", dt.date(2024, 6, 1), dt.date(2007, 1, 3)),  # a 17-year-old
        ("3-jan-99", dt.date(2024, 6, 1), dt.date(1999, 1, 3)),  # a young adult: 19yy
        ("29-Feb-08", dt.date(2023, 1, 1), dt.date(2008, 2, 29)),
        ("31-Feb-05", dt.date(2023, 1, 1), None),
        ("xx", dt.date(2023, 1, 1), None),
    ],
)
def test_two_digit_years_resolve_to_a_child_or_young_adult(raw, event, expected):
    df = pl.DataFrame({"v": [raw], "event": [event]})
    out = std.standardise_dob_two_digit_year(df, "v", reference="event")
    assert out["dob"].to_list() == [expected]


def test_postcodes_normalise_and_split():
    out = one(std.standardise_postcode, ["lu1 3ab", "LU13AB", " mk40  1aa ", "ZZ", "SW1A1AA", None])
    assert out["postcode"].to_list() == ["LU1 3AB", "LU1 3AB", "MK40 1AA", None, "SW1A 1AA", None]
    assert out["postcode_district"].to_list() == ["LU1", "LU1", "MK40", None, "SW1A", None]
    assert out["postcode_sector"].to_list() == ["LU1 3", "LU1 3", "MK40 1", None, "SW1A 1", None]
    assert out["postcode_area"].to_list() == ["LU", "LU", "MK", None, "SW", None]
    assert out["postcode_problem"].to_list() == [None, None, None, "impossible_postcode", None, None]


def test_nhs_numbers_must_pass_modulus_11():
    out = one(std.standardise_nhs_number, ["943 476 5919", "9434765919", "9434765918", "123", None])
    assert out["nhs_number"].to_list() == ["9434765919", "9434765919", None, None, None]
    assert out["nhs_number_problem"].to_list() == [None, None, "failed_mod11", "not_10_digits", None]


def test_pnc_numbers_from_both_formats_unify_and_check_letters_are_verified():
    letter = std.pnc_check_letter(7, 123456)
    wrong = "A" if letter != "A" else "B"
    out = one(std.standardise_pnc, [f"07/123456{letter}", f"2007/0123456{letter}", f"07/123456{wrong}", "junk"])
    assert out["pnc"].to_list() == [f"07/0123456{letter}", f"07/0123456{letter}", None, None]
    assert out["pnc_problem"].to_list() == [None, None, "check_letter_mismatch", "invalid_format"]


def test_problems_are_collected_without_values():
    out = one(std.standardise_nhs_number, ["123", "9434765919"]).with_row_index("row")
    problems = std.collect_problems(out, ["row"])
    assert problems.rows() == [(0, "nhs_number", "not_10_digits")]


# -- idempotence: standardising a standardised value changes nothing --------------------

names = st.text(alphabet=st.characters(codec="utf-8", categories=["L", "Zs", "Pd", "Po"]), max_size=30)


@settings(max_examples=200, deadline=None)
@given(names)
def test_name_standardisation_is_idempotent(raw):
    once = one(std.standardise_surname, [raw])["surname"][0]
    if once is not None:
        assert one(std.standardise_surname, [once])["surname"][0] == once
    first = one(std.standardise_forenames, [raw])
    if first["forename"][0] is not None:
        rejoined = " ".join(x for x in [first["forename"][0], first["middle_names"][0]] if x)
        again = one(std.standardise_forenames, [rejoined])
        assert again["forename"][0] == first["forename"][0]
        assert again["middle_names"][0] == first["middle_names"][0]


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}", fullmatch=True))
def test_postcode_standardisation_is_idempotent(raw):
    once = one(std.standardise_postcode, [raw])["postcode"][0]
    if once is not None:
        assert one(std.standardise_postcode, [once])["postcode"][0] == once


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=99), st.integers(min_value=1, max_value=9_999_999))
def test_pnc_standardisation_is_idempotent(year, serial):
    raw = f"{year:02d}/{serial}{std.pnc_check_letter(year, serial)}"
    once = one(std.standardise_pnc, [raw])["pnc"][0]
    assert once is not None
    assert one(std.standardise_pnc, [once])["pnc"][0] == once


@settings(max_examples=300, deadline=None)
@given(names)
def test_single_name_standardiser_agrees_with_the_column_standardiser(raw):
    words = std.name_words(pl.Series([raw], dtype=pl.String), drop_titles=False).to_list()[0] or []
    assert std.standard_name_text(raw) == " ".join(words)
