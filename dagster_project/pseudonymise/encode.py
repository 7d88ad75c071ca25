"""Encode standardised identifiers into keyed tokens that still support fuzzy matching.

Output columns (the linkage zone's schema, identical for every feed):

| column | what it encodes | compared by |
|---|---|---|
| fn_tok, sn_tok | first forename, full surname (shared "name" subkey, so a forename can be compared with a surname to detect swaps) | equality |
| mn_tok | middle names | equality |
| sn_part_toks | each part of a hyphenated/double-barrelled surname (name subkey) | list overlap |
| fn_ph, sn_ph | phonetic (NYSIIS) codes of forename, surname | equality |
| fn_bf, sn_bf | Bloom filters of padded letter bigrams (name subkey) | Dice similarity in SQL |
| dob_tok | full date of birth | equality |
| dob_swap_tok | date of birth with day and month swapped (same subkey as dob_tok) | equality against dob_tok |
| dob_y_tok, dob_m_tok, dob_d_tok | year, month, day separately | equality |
| pc_tok, pc_sector_tok, pc_district_tok | postcode unit, sector, district | equality |
| nhs_tok, pnc_tok | NHS number, unified PNC id | equality |
| local_id_tok | an agency's own person id (council + child_id), where a feed has one | equality |

Every token is the first 12 bytes (24 hex characters) of HMAC-SHA256 under a subkey derived
for its purpose, so tokens of different purposes are unrelated. The key id travels with every
row (`key_id`) and linkage refuses to mix key ids.
"""

from __future__ import annotations

from collections.abc import Iterable

import jellyfish
import numpy as np
import polars as pl

from dagster_project.pseudonymise.keys import HashKey
from dagster_project.pseudonymise.standardise import map_unique

TOKEN_BYTES = 12
BLOOM_BITS = 256
BLOOM_HASHES = 8

STRING_TOKEN_COLUMNS = (
    "fn_tok",
    "mn_tok",
    "sn_tok",
    "fn_ph",
    "sn_ph",
    "dob_tok",
    "dob_swap_tok",
    "dob_y_tok",
    "dob_m_tok",
    "dob_d_tok",
    "pc_tok",
    "pc_sector_tok",
    "pc_district_tok",
    "nhs_tok",
    "pnc_tok",
    "local_id_tok",
)
BLOOM_COLUMNS = ("fn_bf", "sn_bf")
LIST_TOKEN_COLUMNS = ("sn_part_toks",)
TOKEN_SCHEMA: dict[str, pl.DataType] = {
    **{c: pl.String() for c in STRING_TOKEN_COLUMNS},
    **{c: pl.Binary() for c in BLOOM_COLUMNS},
    **{c: pl.List(pl.String()) for c in LIST_TOKEN_COLUMNS},
}

# Standardised inputs the encoder understands; absent ones encode to null.
IDENTITY_COLUMNS = (
    "forename",
    "middle_names",
    "surname",
    "surname_parts",
    "dob",
    "postcode",
    "postcode_sector",
    "postcode_district",
    "nhs_number",
    "pnc",
    "local_id",
)


class Encoder:
    """Keyed encodings for one key. Cheap to create; caches derived subkeys."""

    def __init__(self, key: HashKey):
        self.key = key
        self._templates: dict[str, object] = {}
        self._bigram_positions: dict[str, np.ndarray] = {}

    # -- exact tokens ------------------------------------------------------------------
    def _template(self, purpose: str):
        if purpose not in self._templates:
            self._templates[purpose] = self.key.hmac_template(f"veru/token/{purpose}")
        return self._templates[purpose]

    def token_values(self, values: Iterable[str], purpose: str) -> list[str]:
        template = self._template(purpose)
        out = []
        for value in values:
            h = template.copy()
            h.update(value.encode("utf-8"))
            out.append(h.finalize()[:TOKEN_BYTES].hex())
        return out

    def tokens(self, series: pl.Series, purpose: str) -> pl.Series:
        """Token of each value (null stays null); each distinct value is hashed once."""
        series = series.cast(pl.String)
        uniques = series.drop_nulls().unique()
        lookup = pl.DataFrame(
            {"__k": uniques, "__v": pl.Series(self.token_values(uniques.to_list(), purpose), dtype=pl.String)}
        )
        return (
            series.to_frame("__k")
            .join(lookup, on="__k", how="left", maintain_order="left")
            .get_column("__v")
        )

    def list_tokens(self, series: pl.Series, purpose: str) -> pl.Series:
        """Token of each element of a list column (null or empty lists give null)."""
        flat = pl.DataFrame({"i": pl.int_range(len(series), eager=True), "v": series}).explode("v")
        flat = flat.with_columns(t=self.tokens(flat.get_column("v"), purpose))
        rebuilt = flat.group_by("i", maintain_order=True).agg(pl.col("t").drop_nulls())
        toks = rebuilt.get_column("t")
        return pl.select(pl.when(toks.list.len() > 0).then(toks)).to_series()

    # -- Bloom filters -----------------------------------------------------------------
    def _positions(self, bigram: str, purpose: str) -> np.ndarray:
        cache_key = f"{purpose}\x1f{bigram}"
        if cache_key not in self._bigram_positions:
            digest = self.token_values([bigram], f"bloom/{purpose}")[0]
            raw = bytes.fromhex(digest)
            h1 = int.from_bytes(raw[:6], "big")
            h2 = int.from_bytes(raw[6:], "big") | 1
            self._bigram_positions[cache_key] = np.array(
                [(h1 + i * h2) % BLOOM_BITS for i in range(BLOOM_HASHES)], dtype=np.int64
            )
        return self._bigram_positions[cache_key]

    def bloom_value(self, value: str, purpose: str) -> bytes:
        padded = f"_{value.replace(' ', '')}_"
        bits = np.zeros(BLOOM_BITS, dtype=np.uint8)
        for i in range(len(padded) - 1):
            bits[self._positions(padded[i : i + 2], purpose)] = 1
        return np.packbits(bits).tobytes()

    def blooms(self, series: pl.Series, purpose: str) -> pl.Series:
        return map_unique(series, lambda v: self.bloom_value(v, purpose), pl.Binary)


def phonetic(series: pl.Series) -> pl.Series:
    """NYSIIS code of each name (computed once per distinct value)."""
    return map_unique(series, lambda v: jellyfish.nysiis(v.replace(" ", "")), pl.String)


def encode_identity(std: pl.DataFrame, key: HashKey) -> pl.DataFrame:
    """Encode the standardised identity columns of `std` into the token schema.

    Returns a frame with the token columns only (same row order as `std`). Missing identity
    columns encode to nulls, so every feed yields the same schema.
    """
    enc = Encoder(key)
    n = std.height

    def col(name: str, dtype: pl.DataType = pl.String()) -> pl.Series:
        if name in std.columns:
            return std.get_column(name)
        return pl.Series(name, [None] * n, dtype=dtype)

    forename, surname = col("forename"), col("surname")
    dob = col("dob", pl.Date())
    dob_iso = dob.dt.strftime("%Y-%m-%d")
    dob_swapped = pl.select(
        pl.when(dob.dt.day() <= 12)
        .then(pl.format("{}-{}-{}", dob.dt.year(), dob.dt.day().cast(pl.String).str.zfill(2),
                        dob.dt.month().cast(pl.String).str.zfill(2)))
    ).to_series()
    columns = {
        "fn_tok": enc.tokens(forename, "name"),
        "mn_tok": enc.tokens(col("middle_names"), "middle_names"),
        "sn_tok": enc.tokens(surname, "name"),
        "sn_part_toks": enc.list_tokens(col("surname_parts", pl.List(pl.String())), "name"),
        "fn_ph": enc.tokens(phonetic(forename), "name_phonetic"),
        "sn_ph": enc.tokens(phonetic(surname), "name_phonetic"),
        "fn_bf": enc.blooms(forename, "name"),
        "sn_bf": enc.blooms(surname, "name"),
        "dob_tok": enc.tokens(dob_iso, "dob"),
        "dob_swap_tok": enc.tokens(dob_swapped, "dob"),
        "dob_y_tok": enc.tokens(dob.dt.year().cast(pl.String), "dob_year"),
        "dob_m_tok": enc.tokens(dob.dt.month().cast(pl.String), "dob_month"),
        "dob_d_tok": enc.tokens(dob.dt.day().cast(pl.String), "dob_day"),
        "pc_tok": enc.tokens(col("postcode"), "postcode"),
        "pc_sector_tok": enc.tokens(col("postcode_sector"), "postcode_sector"),
        "pc_district_tok": enc.tokens(col("postcode_district"), "postcode_district"),
        "nhs_tok": enc.tokens(col("nhs_number"), "nhs_number"),
        "pnc_tok": enc.tokens(col("pnc"), "pnc"),
        "local_id_tok": enc.tokens(col("local_id"), "local_id"),
    }
    frame = pl.DataFrame([series.alias(name) for name, series in columns.items()])
    return frame.select(list(TOKEN_SCHEMA)).cast(TOKEN_SCHEMA)
