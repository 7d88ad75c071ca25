import datetime as dt
import os

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.pseudonymise.encode import TOKEN_SCHEMA
from dagster_project.pseudonymise.encode import encode_identity as _encode_identity
from dagster_project.pseudonymise.keys import HashKey, MissingKeyError, ensure_dev_key, write_new_key


def identity(**columns):
    return pl.DataFrame(columns)


def encode_identity(std: pl.DataFrame, key: HashKey) -> pl.DataFrame:
    """Encode with each row its own record (`test|<row>`)."""
    return _encode_identity(std, key, pl.Series([f"test|{i}" for i in range(std.height)]))


def test_tokens_are_deterministic_per_key_and_differ_between_keys(key, other_key):
    std = identity(forename=["JOHN", "JOHN"], surname=["SMITH", "SMITH"], dob=[dt.date(2001, 2, 3)] * 2)
    a = encode_identity(std, key)
    b = encode_identity(std, key)
    c = encode_identity(std, other_key)
    assert a.equals(b)
    assert a["fn_tok"][0] == a["fn_tok"][1]
    for column in ("fn_tok", "sn_tok", "dob_tok", "fn_bf"):
        assert a[column][0] != c[column][0]
    assert key.key_id != other_key.key_id


def test_every_feed_gets_the_same_token_schema_even_without_identity_columns(key):
    out = encode_identity(identity(forename=["A"]), key)
    assert dict(out.schema) == TOKEN_SCHEMA
    assert out["nhs_tok"][0] is None


def test_day_month_swap_token_meets_the_true_date(key):
    out = encode_identity(identity(dob=[dt.date(2001, 3, 4), dt.date(2001, 4, 3), dt.date(2001, 4, 30)]), key)
    assert out["dob_swap_tok"][0] == out["dob_tok"][1]
    assert out["dob_swap_tok"][2] is None  # day 30 cannot be a month


def test_forename_and_surname_tokens_share_a_subkey_so_swaps_are_visible(key):
    out = encode_identity(identity(forename=["KHAN", "ALI"], surname=["ALI", "KHAN"]), key)
    assert out["fn_tok"][0] == out["sn_tok"][1]


def test_similar_names_have_similar_bloom_filters(key):
    import numpy as np

    out = encode_identity(identity(forename=["MOHAMMED", "MOHAMMAD", "BOB"]), key)
    bits = [np.unpackbits(np.frombuffer(b, dtype=np.uint8)) for b in out["fn_bf"].to_list()]

    def dice(a, b):
        return 2 * (a & b).sum() / (a.sum() + b.sum())

    assert dice(bits[0], bits[1]) > 0.7
    assert dice(bits[0], bits[2]) < 0.4


def test_key_files_round_trip_and_refuse_to_overwrite(tmp_path):
    path = tmp_path / "k.key"
    created = write_new_key(path)
    assert HashKey.from_file(path).key_id == created.key_id
    assert oct(path.stat().st_mode)[-3:] == "600"
    with pytest.raises(FileExistsError):
        write_new_key(path)
    assert ensure_dev_key(path).key_id == created.key_id


def test_missing_or_short_keys_are_refused_with_a_clear_message(tmp_path):
    with pytest.raises(MissingKeyError, match="VERU_HASH_KEY_FILE is not set"):
        HashKey.from_env({})
    with pytest.raises(MissingKeyError, match="does not exist"):
        HashKey.from_file(tmp_path / "absent.key")
    short = tmp_path / "short.key"
    short.write_text("abcd\n")
    short.chmod(0o600)
    with pytest.raises(MissingKeyError, match="at least 32"):
        HashKey.from_file(short)


def test_the_secret_never_appears_in_repr():
    secret = os.urandom(32)
    assert secret.hex() not in repr(HashKey(secret))


def _rendered(frame: pl.DataFrame) -> str:
    """Every output value as text (binary as hex, lists joined), upper-cased."""
    parts = []
    for row in frame.rows():
        for value in row:
            if isinstance(value, bytes):
                parts.append(value.hex())
            elif isinstance(value, list):
                parts.extend(value)
            elif value is not None:
                parts.append(str(value))
    return " ".join(parts).upper()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(alphabet="GHIJKLMNOPQRSTUVWXYZ", min_size=4, max_size=20), min_size=1, max_size=5))
def test_no_output_contains_a_4_character_piece_of_an_input_name(names):
    # Letters G-Z cannot occur in hex, so any 4-character piece found would be a leak.
    out = encode_identity(identity(forename=names, surname=names, middle_names=names), HashKey(bytes(range(33))))
    text = _rendered(out)
    for name in names:
        for i in range(len(name) - 3):
            assert name[i : i + 4] not in text
