"""Properties of the encodings (hypothesis) and the frequency attack on them."""

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagster_project.pseudonymise import standardise as std
from dagster_project.pseudonymise.encode import BLOOM_COLUMNS, LIST_TOKEN_COLUMNS, STRING_TOKEN_COLUMNS, encode_identity
from dagster_project.pseudonymise.keys import HashKey
from dagster_project.synthetic import SyntheticConfig, generate
from dagster_project.tools.pseudonym_attacks import cluster_attack, encoded_names, frequency_attack

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
names = st.text(alphabet=LETTERS, min_size=2, max_size=14)


@st.composite
def identities(draw):
    """A small batch of standardised identities, as the standardisers produce them."""
    n = draw(st.integers(min_value=1, max_value=6))
    letter = std.pnc_check_letter
    pncs = [(draw(st.integers(0, 99)), draw(st.integers(1, 9_999_999))) for _ in range(n)]
    return pl.DataFrame(
        {
            "forename": draw(st.lists(names, min_size=n, max_size=n)),
            "middle_names": draw(st.lists(st.one_of(st.none(), names), min_size=n, max_size=n)),
            "surname": draw(st.lists(names, min_size=n, max_size=n)),
            "dob": draw(st.lists(st.dates(dt.date(1920, 1, 1), dt.date(2024, 12, 31)), min_size=n, max_size=n)),
            "postcode": [
                f"{draw(st.sampled_from(['LU', 'MK', 'SG']))}{draw(st.integers(1, 45))} {draw(st.integers(0, 9))}{draw(st.sampled_from(['AB', 'XY', 'QT']))}"
                for _ in range(n)
            ],
            "nhs_number": [draw(st.from_regex(r"[0-9]{10}", fullmatch=True)) for _ in range(n)],
            "pnc": [f"{y:02d}/{s:07d}{letter(y, s)}" for y, s in pncs],
        }
    ).with_columns(
        surname_parts=pl.col("surname").str.split(" "),
        postcode_sector=pl.col("postcode").str.slice(0, pl.col("postcode").str.len_chars() - 2),
        postcode_district=pl.col("postcode").str.split(" ").list.first(),
    )


def encode(frame: pl.DataFrame, key: HashKey) -> pl.DataFrame:
    return encode_identity(frame, key, pl.Series([f"test|{i}" for i in range(frame.height)]))


def raw_bytes(out: pl.DataFrame) -> bytes:
    """Every token as the bytes it encodes (hex decoded), Bloom filters as they are."""
    parts: list[bytes] = []
    for column in STRING_TOKEN_COLUMNS:
        parts += [bytes.fromhex(v) for v in out[column].drop_nulls().to_list()]
    for column in LIST_TOKEN_COLUMNS:
        parts += [bytes.fromhex(v) for vs in out[column].drop_nulls().to_list() for v in vs]
    for column in BLOOM_COLUMNS:
        parts += out[column].drop_nulls().to_list()
    return b"\x00".join(parts)


def identifier_strings(frame: pl.DataFrame) -> list[str]:
    values = []
    for column in ("forename", "middle_names", "surname", "postcode", "nhs_number", "pnc"):
        values += [v for v in frame[column].to_list() if v]
    values += [d.isoformat() for d in frame["dob"].to_list()] + [d.strftime("%d/%m/%Y") for d in frame["dob"].to_list()]
    return values


KEY_A = HashKey(bytes(range(32)), source="a")
KEY_B = HashKey(bytes(range(100, 132)), source="b")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(identities())
def test_encoding_is_deterministic_for_a_key(frame):
    assert encode(frame, KEY_A).equals(encode(frame, KEY_A))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(identities())
def test_different_keys_give_unrelated_tokens(frame):
    a, b = encode(frame, KEY_A), encode(frame, KEY_B)
    for column in STRING_TOKEN_COLUMNS:
        for x, y in zip(a[column].to_list(), b[column].to_list(), strict=True):
            assert x is None and y is None or x != y
    for column in LIST_TOKEN_COLUMNS:
        for x, y in zip(a[column].to_list(), b[column].to_list(), strict=True):
            assert x is None and y is None or not set(x or []) & set(y or [])
    # The same name's Bloom filters under two keys are no closer than unrelated names'.
    for x, y in zip(a["sn_bf"].to_list(), b["sn_bf"].to_list(), strict=True):
        bx, by = (np.unpackbits(np.frombuffer(v, dtype=np.uint8)) for v in (x, y))
        assert 2 * (bx & by).sum() / (bx.sum() + by.sum()) < 0.75


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(identities())
def test_no_output_holds_an_identifier_or_a_4_character_piece_of_one(frame):
    out = encode(frame, KEY_A)
    payload = raw_bytes(out)
    # "|" joins the values: no identifier contains it, so no piece can straddle two tokens.
    text = "|".join(
        "|".join(v) if isinstance(v, list) else str(v) for row in out.rows() for v in row if not isinstance(v, bytes)
    ).upper()
    for value in identifier_strings(frame):
        for i in range(len(value) - 3):
            piece = value[i : i + 4]
            assert piece.encode() not in payload
            if set(piece) - set("0123456789ABCDEF"):  # pieces that cannot be hex digits by chance
                assert piece not in text


@settings(max_examples=150, deadline=None)
@given(st.from_regex(r"[0-9]{3} ?[0-9]{3} ?[0-9]{4}", fullmatch=True))
def test_nhs_standardisation_is_idempotent(raw):
    once = pl.DataFrame({"v": [raw]}).pipe(std.standardise_nhs_number, "v")["nhs_number"][0]
    if once is not None:
        assert pl.DataFrame({"v": [once]}).pipe(std.standardise_nhs_number, "v")["nhs_number"][0] == once


@settings(max_examples=150, deadline=None)
@given(st.dates(dt.date(1900, 1, 2), dt.date(2024, 1, 1)), st.sampled_from(["%d/%m/%Y", "%Y-%m-%d", "%Y%m%d"]))
def test_date_of_birth_standardisation_is_idempotent(day, fmt):
    frame = pl.DataFrame({"v": [day.strftime(fmt)], "event": [dt.date(2024, 6, 1)]})
    once = std.standardise_dob(frame, "v", fmt, reference="event")["dob"][0]
    if once is None:  # a placeholder date (e.g. 1901-01-01) standardises to missing
        assert day in std.DEFAULT_DATES
        return
    again = pl.DataFrame({"v": [once.isoformat()], "event": [dt.date(2024, 6, 1)]})
    assert std.standardise_dob(again, "v", "%Y-%m-%d", reference="event")["dob"][0] == once


@pytest.fixture(scope="module")
def population_names(tmp_path_factory) -> pl.DataFrame:
    root: Path = tmp_path_factory.mktemp("attack")
    generate(
        SyntheticConfig(landing=root / "l", truth=root / "t", reference=root / "r", people=3000, seed=4, progress=False)
    )
    return encoded_names(root / "l", KEY_A)


def test_frequency_attack_breaks_exact_tokens_but_not_the_hardened_bloom_filters(population_names):
    exact = frequency_attack(population_names["surname"], population_names["sn_tok"])
    bloom = frequency_attack(population_names["surname"], population_names["sn_bf"])
    # The attack is real: deterministic surname tokens give away common surnames.
    assert exact.rate > 0.25 and exact.top_values_correct >= 10
    # Per-record noise leaves no frequencies to align.
    assert bloom.rate < 0.02
    # Regrouping similar filters first recovers some; the rate is reported, not hidden.
    clustered = cluster_attack(population_names["surname"], population_names["sn_bf"])
    assert bloom.rate < clustered.rate < exact.rate


def test_the_cluster_attack_scores_the_same_whatever_order_the_records_arrive_in(population_names):
    # The greedy grouping once followed record order: over orderings of this population it
    # re-identified 1,239 to 1,381 records (the exact-token attack: 1,376), so a comparison of
    # the two attacks depended on how a frame happened to be sorted.
    first = cluster_attack(population_names["surname"], population_names["sn_bf"])
    for seed in (1, 2):
        shuffled = population_names.sample(fraction=1.0, shuffle=True, seed=seed)
        assert cluster_attack(shuffled["surname"], shuffled["sn_bf"]) == first
