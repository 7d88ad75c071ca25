"""The plaintext scanner must itself be able to fail: plant identifiers and find each one."""

import datetime as dt

import duckdb
import polars as pl
from helpers import copy_golden
from plaintext_scan import collect_identifiers, scan_warehouse


def test_scanner_finds_planted_identifiers_and_ignores_tokens(landing, tmp_path):
    copy_golden(landing, ("health", "social_care", "yos"))
    ids = collect_identifiers(landing)
    assert {"JAYNE", "KHAN"} <= ids.names
    assert dt.date(1995, 4, 3) in ids.dobs

    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    # the second token holds 19950403 by chance, as about 1 random token in 50,000 holds some date
    clean = pl.DataFrame(
        {
            "tok": ["3ada9f0c1b2e4d5f6a7b8c9d", "3ada19950403cd9f0c1b2e4d"],
            "group": ["White"] * 2,
            "when": [dt.date(2024, 1, 1)] * 2,
        }
    )
    con.register("clean", clean.to_arrow())
    con.execute("CREATE TABLE clean AS SELECT * FROM clean").fetchall()
    planted = pl.DataFrame(
        {
            "reason": ["surname 'Jayne' is odd"],  # a name inside a message
            "nhs": ["943 476 5919"],  # spaced NHS number
            "born": [dt.date(1995, 4, 3)],  # a date of birth as a date
            "codes": [["LU1 3AB"]],  # a postcode inside a list
            "blob": [b"xx9434765919yy"],  # an NHS number inside bytes
            "yos_dob": ["dob was 15-MAR-99"],
            "compact": ["born 19950403"],  # the same digits as the token above, outside a token
        }
    )
    con.register("planted", planted.to_arrow())
    con.execute("CREATE SCHEMA s").fetchall()
    con.execute("CREATE TABLE s.planted AS SELECT * FROM planted").fetchall()
    con.close()

    found = {(f.table, f.column, f.kind) for f in scan_warehouse(db, ids)}
    assert found == {
        ("s.planted", "reason", "name"),
        ("s.planted", "nhs", "nhs_number"),
        ("s.planted", "born", "date_of_birth"),
        ("s.planted", "codes", "postcode"),
        ("s.planted", "blob", "nhs_number"),
        ("s.planted", "yos_dob", "date_of_birth"),
        ("s.planted", "compact", "date_of_birth"),
    }
