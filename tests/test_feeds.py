"""Each feed's parser on its own quirks, and bad deliveries that must not crash or lose rows."""

import datetime as dt

import polars as pl
import pytest
from helpers import golden_text, write_delivery

from dagster_project.feeds import FEEDS
from dagster_project.feeds.delivery import Delivery, DeliveryError, read_delivery
from dagster_project.pseudonymise.standardise import pnc_check_letter
from dagster_project.staging.ingest import ingest_feed

# The golden deliveries (tests/golden/): a few rows per feed, in the FEEDS.md formats.
POLICE_HEADER, POLICE_ROWS = golden_text("police").split("\n", 1)
POLICE_HEADER += "\n"
HEALTH = golden_text("health")
YOS = golden_text("yos")


def test_the_golden_police_and_yos_deliveries_carry_one_pnc_number_with_its_check_letter():
    """The PNC id is typed by hand in the golden files: it must be the number the tests think it is."""
    letter = pnc_check_letter(7, 123456)
    assert f",07/123456{letter}," in POLICE_ROWS and f",2007/0123456{letter}," in YOS


def test_police_parser_reads_roles_flags_and_unifies_pnc(golden_landing, key):
    result = ingest_feed(FEEDS["police"], golden_landing, key)
    s = result.staging.sort("record_key")
    assert s["role"].to_list() == ["VICTIM", "SUSPECT"]
    assert s["domestic_abuse"].to_list() == [True, True]
    assert s["event_at"][0] == dt.datetime(2023, 6, 3, 23, 10)
    assert s["age_at_event"].to_list() == [28, None]  # suspect's dob missing
    assert s["ethnic_group"].to_list() == ["White", None]  # NS = not stated
    assert result.tokens.sort("record_key")["pnc_tok"].null_count() == 1


def test_social_care_parser_accepts_spaced_nhs_numbers_and_counts_invalid_ones(golden_landing, key):
    result = ingest_feed(FEEDS["social_care"], golden_landing, key)
    tokens = result.tokens.sort("record_key")
    assert tokens["nhs_tok"].null_count() == 1  # the mod-11 failure
    assert result.problems.select("record_key", "field", "problem").rows() == [
        ("BED-R0000002", "nhs_number", "failed_mod11")
    ]
    s = result.staging.sort("record_key")
    assert s["sex"].to_list() == ["F", "M"]
    assert s["ethnic_group"].to_list() == ["Asian", "Asian"]  # CHNE and APKN
    assert s["cce_concern"].to_list() == [False, True]
    assert s["missing_episodes"].to_list() == [0, 2]
    assert tokens["local_id_tok"].null_count() == 0


def test_health_parser_maps_ecds_sex_codes_and_reads_a_bom(landing, key):
    write_delivery(landing, "health", "2024-01-01", HEALTH, bom=True)
    result = ingest_feed(FEEDS["health"], landing, key)
    s = result.staging.sort("record_key")
    assert s["sex"].to_list() == ["F", "M", "U"]
    assert s["record_key"][0] == "ED0000000001"  # BOM not glued to the first column name
    assert s["weapon"].to_list() == ["None", "Knife or blade", "None"]
    assert s["age_at_event"].to_list() == [28, 23, 23]


def test_yos_parser_splits_full_name_and_resolves_two_digit_years(golden_landing, key):
    result = ingest_feed(FEEDS["yos"], golden_landing, key)
    s = result.staging.sort("record_key")
    assert s["age_at_event"].to_list() == [16, 24]  # born 2007 and 1999
    assert result.problems.is_empty()


def test_same_person_gets_the_same_tokens_across_feeds(golden_landing, key):
    t = {feed: ingest_feed(FEEDS[feed], golden_landing, key).tokens.sort("record_key") for feed in FEEDS}
    # Jane Smith (police) and Jayne Smith (A&E): same dob and postcode, same surname token.
    assert t["police"]["dob_tok"][0] == t["health"]["dob_tok"][0]
    assert t["police"]["sn_tok"][0] == t["health"]["sn_tok"][0]
    assert t["police"]["pc_tok"][0] == t["health"]["pc_tok"][0]
    # PNC in police YY/NNNNNNL and YOS YYYY/NNNNNNNL formats.
    assert t["police"]["pnc_tok"][1] == t["yos"]["pnc_tok"][0]
    # NHS number with spaces (social care) and without (A&E).
    assert t["social_care"]["nhs_tok"][1] == t["health"]["nhs_tok"][0]


def test_latest_delivery_wins_and_no_key_is_lost(landing, key):
    write_delivery(landing, "police", "2024-01-01", POLICE_HEADER + POLICE_ROWS)
    corrected = POLICE_ROWS.splitlines()[0].replace("VICTIM", "WITNESS")
    write_delivery(landing, "police", "2024-07-01", POLICE_HEADER + corrected + "\n")
    result = ingest_feed(FEEDS["police"], landing, key)
    s = result.staging.sort("record_key")
    assert s["record_key"].to_list() == ["NL000000001", "NL000000002"]
    assert s["role"].to_list() == ["WITNESS", "SUSPECT"]
    assert s["delivery_file"].to_list() == ["police_2024-07-01.csv", "police_2024-01-01.csv"]


def test_bad_rows_are_rejected_with_row_number_and_reason(landing, key):
    rows = POLICE_ROWS + (
        ",43/000125/23,VICTIM,NOKEY,Nobody,01/01/2000,M,W1,LU2 7XY,,105/01,Public order,2023-07-01 01:00,E01015124,N,N,N\n"
        "NL000000009,43/000126/23,VICTIM,SHORT,Row\n"
        "NL12,43/000127/23,VICTIM,BAD,Key,01/01/2000,M,W1,LU2 7XY,,105/01,Public order,2023-07-01 01:00,E01015124,N,N,N\n"
    )
    write_delivery(landing, "police", "2024-01-01", POLICE_HEADER + rows)
    result = ingest_feed(FEEDS["police"], landing, key)
    assert result.staging.height == 2
    reasons = dict(zip(result.rejects["row_number"].to_list(), result.rejects["reason"].to_list(), strict=True))
    assert reasons[3] == "nominal_link_id is missing"
    assert reasons[4] == "row has 5 fields, the header has 17"
    assert "does not match the format" in reasons[5]
    assert result.deliveries["rows_read"].to_list() == [5]
    assert result.deliveries["rows_rejected"].to_list() == [3]


def test_a_last_line_cut_short_in_transfer_is_rejected_and_named(landing, key):
    first, second = POLICE_ROWS.splitlines()[:2]
    cut = POLICE_HEADER + first + "\n" + second[: len(second) // 2]  # no newline: the transfer stopped
    write_delivery(landing, "police", "2024-01-01", cut)
    result = ingest_feed(FEEDS["police"], landing, key)
    assert result.staging.height == 1 and result.rejects["row_number"].to_list() == [2]
    assert "the file ends mid-row: its last line (line 3) looks cut short" in result.deliveries["reason"][0]

    write_delivery(landing, "police", "2024-01-01", POLICE_HEADER + second[: len(second) // 2] + "\n" + first + "\n")
    result = ingest_feed(FEEDS["police"], landing, key)  # a short row in the middle is not a cut transfer
    assert result.rejects["row_number"].to_list() == [1] and result.deliveries["reason"][0] is None


def test_duplicate_keys_within_a_delivery_are_rejected_together(landing, key):
    first = POLICE_ROWS.splitlines()[0]
    write_delivery(landing, "police", "2024-01-01", POLICE_HEADER + first + "\n" + first + "\n")
    result = ingest_feed(FEEDS["police"], landing, key)
    assert result.staging.is_empty()
    assert result.rejects["reason"].to_list() == ["nominal_link_id NL000000001 appears more than once (rows 1, 2)"] * 2


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "file is empty"),
        (b"nominal_link_id;occurrence_ref\nNL1;x\n", "separated by semicolons"),
        (b"nominal_link_id;occurrence_ref\nNL1;x\n", "none of the 17 agreed columns found"),
        (POLICE_HEADER.encode() + b"NL000000001,\xe9\xe9\n", "not UTF-8"),
    ],
)
def test_unreadable_deliveries_are_quarantined_not_crashed_on(landing, key, content, problem):
    (landing / "police" / "police_2024-01-01.csv").write_bytes(content)
    write_delivery(landing, "police", "2024-07-01", POLICE_HEADER + POLICE_ROWS)
    result = ingest_feed(FEEDS["police"], landing, key)
    assert result.staging.height == 2  # the good delivery still arrives
    quarantined = result.quarantined
    assert quarantined["delivery_file"].to_list() == ["police_2024-01-01.csv"]
    assert problem in quarantined["reason"][0]


def test_error_messages_never_quote_the_data(landing):
    path = landing / "police" / "police_2024-01-01.csv"
    path.write_bytes(POLICE_HEADER.encode() + b"NL000000001,ZQXW\xe9SENTINEL\n")
    with pytest.raises(DeliveryError) as err:
        read_delivery(Delivery("police", path, dt.date(2024, 1, 1)))
    assert "SENTINEL" not in str(err.value) and "ZQXW" not in str(err.value)
    assert "police_2024-01-01.csv" in str(err.value)


def test_files_not_named_as_deliveries_are_recorded_masked_and_not_read(golden_landing, key):
    (golden_landing / "police" / "notes.txt").write_text("hello")
    result = ingest_feed(FEEDS["police"], golden_landing, key)
    unread = result.deliveries.filter(pl.col("status") == "unrecognised_name")
    assert unread["delivery_file"].to_list() == ["*********"]
    assert result.staging.height == 2 and (golden_landing / "police" / "notes.txt").exists()


def test_a_feed_with_no_deliveries_gives_typed_empty_tables(landing, key):
    result = ingest_feed(FEEDS["yos"], landing, key)
    assert result.staging.is_empty() and result.tokens.is_empty()
    assert result.staging.schema["event_at"] == pl.Datetime("us")
    assert "fn_bf" in result.tokens.columns
