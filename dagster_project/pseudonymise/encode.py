"""Encode standardised identifiers into keyed tokens that still support fuzzy matching.

Output columns (the linkage zone's schema, identical for every feed):

| column | what it encodes | compared by |
|---|---|---|
| fn_tok, sn_tok | first forename, full surname (shared "name" subkey, so a forename can be compared with a surname to detect swaps) | equality |
| mn_tok | middle names | equality |
| sn_part_toks | each part of a hyphenated/double-barrelled surname (name subkey) | list overlap |
| fn_nv_toks, sn_nv_toks | the name's variant groups: nicknames, transliterations, gendered surname forms (`name_variants`) | list overlap |
| fn_ph, sn_ph | phonetic (NYSIIS) codes of forename, surname | equality |
| fn_bf, sn_bf | hardened Bloom filters of padded letter bigrams | Dice similarity in SQL |
| dob_tok | full date of birth | equality |
| dob_swap_tok | date of birth with day and month swapped (same subkey as dob_tok) | equality against dob_tok |
| dob_y_tok, dob_m_tok, dob_d_tok | year, month, day separately | equality |
| dob_band_toks | birth year in 5-year bands at offsets 0 and 2: years within 2 of each other always share a band, years 5+ apart never do (tells a date-of-birth error from a father and son) | list overlap |
| pc_tok, pc_sector_tok, pc_district_tok | postcode unit, sector, district | equality |
| nhs_tok, pnc_tok | NHS number, unified PNC id | equality |
| local_id_tok | an agency's own person id (council + child id), where a feed has one | equality |

Every token is the first 12 bytes (24 hex characters) of HMAC-SHA256 under a subkey derived
(HKDF) for its purpose, so tokens of different purposes are unrelated.

Bloom filters are hardened against frequency and pattern attacks: bigram positions come
from a keyed hash (an attacker without the key cannot compute any filter), and every bit of
every record's filter is flipped with probability ~2% by keyed noise seeded from the record's
identity (BLIP-style randomisation). Two records with the same name therefore carry
different filters (no frequency to align with a name list), still ~0.9 Dice-similar to each
other; the noise is deterministic per record, so re-encoding a record gives the same filter.

`ENCODING_VERSION` changes whenever standardisation or any encoding changes; tokens of
different versions (like tokens of different keys) are never compared.
"""

from __future__ import annotations

from collections.abc import Iterable

import jellyfish
import numpy as np
import polars as pl
import pyarrow as pa

from dagster_project.pseudonymise.keys import HashKey
from dagster_project.pseudonymise.name_variants import forename_groups, surname_groups
from dagster_project.pseudonymise.standardise import map_unique
from dagster_project.tables import TOKEN_COLUMNS

ENCODING_VERSION = "2"
TOKEN_BYTES = 12
BLOOM_BITS = 256
BLOOM_HASHES = 8
# A bit flips when a noise byte is below this: probability 5/256 ≈ 2%.
BLOOM_NOISE_THRESHOLD = 5

YEAR_BAND_WIDTH = 5
YEAR_BAND_OFFSETS = (0, 2)
# The output columns and their types: the tokens table's, declared in `tables`.
TOKEN_SCHEMA: dict[str, pl.DataType] = TOKEN_COLUMNS
STRING_TOKEN_COLUMNS = tuple(c for c, t in TOKEN_SCHEMA.items() if t == pl.String())
BLOOM_COLUMNS = tuple(c for c, t in TOKEN_SCHEMA.items() if t == pl.Binary())
LIST_TOKEN_COLUMNS = tuple(c for c, t in TOKEN_SCHEMA.items() if isinstance(t, pl.List))

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, vectorised (uint64 arithmetic wraps as intended)."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return (z ^ (z >> np.uint64(31))) & _MASK64


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

    def digests(self, values: Iterable[str], purpose: str) -> list[bytes]:
        template = self._template(purpose)
        out = []
        for value in values:
            h = template.copy()
            h.update(value.encode("utf-8"))
            out.append(h.finalize())
        return out

    def token_values(self, values: Iterable[str], purpose: str) -> list[str]:
        return [d[:TOKEN_BYTES].hex() for d in self.digests(values, purpose)]

    def tokens(self, series: pl.Series, purpose: str) -> pl.Series:
        """Token of each value (null stays null); each distinct value is hashed once."""
        series = series.cast(pl.String)
        uniques = series.drop_nulls().unique()
        lookup = pl.DataFrame(
            {"__k": uniques, "__v": pl.Series(self.token_values(uniques.to_list(), purpose), dtype=pl.String)}
        )
        return series.to_frame("__k").join(lookup, on="__k", how="left", maintain_order="left").get_column("__v")

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
            raw = self.digests([bigram], f"bloom/{purpose}")[0]
            h1 = int.from_bytes(raw[:6], "big")
            h2 = int.from_bytes(raw[6:12], "big") | 1
            self._bigram_positions[cache_key] = np.array(
                [(h1 + i * h2) % BLOOM_BITS for i in range(BLOOM_HASHES)], dtype=np.int64
            )
        return self._bigram_positions[cache_key]

    def bloom_value(self, value: str, purpose: str) -> bytes:
        """The clean (noise-free) Bloom filter of one name."""
        padded = f"_{value.replace(' ', '')}_"
        bits = np.zeros(BLOOM_BITS, dtype=np.uint8)
        for i in range(len(padded) - 1):
            bits[self._positions(padded[i : i + 2], purpose)] = 1
        return np.packbits(bits).tobytes()

    def record_seeds(self, record_ids: pl.Series) -> np.ndarray:
        """One secret 64-bit seed per record (keyed HMAC of its identity)."""
        return np.frombuffer(
            b"".join(d[:8] for d in self.digests(record_ids.to_list(), "bloom-noise")), dtype=">u8"
        ).astype(np.uint64)

    @staticmethod
    def noise_masks(seeds: np.ndarray, field: str) -> np.ndarray:
        """Per-record flip masks (n × BLOOM_BITS/8 bytes) for one field, from record seeds."""
        stream = np.uint64(int.from_bytes(field.encode()[:8].ljust(8, b"\0"), "big"))
        seeds = _splitmix64(seeds ^ stream)
        words = BLOOM_BITS // 8  # one 64-bit draw yields 8 noise bytes, one per bit
        draws = np.empty((seeds.size, words), dtype=np.uint64)
        for i in range(words):
            draws[:, i] = _splitmix64(seeds ^ _splitmix64(np.full_like(seeds, i)))
        noise_bytes = draws.view(np.uint8).reshape(seeds.size, BLOOM_BITS)
        return np.packbits(noise_bytes < BLOOM_NOISE_THRESHOLD, axis=1)

    def blooms(self, series: pl.Series, purpose: str, seeds: np.ndarray, field: str) -> pl.Series:
        """Hardened Bloom filter per record: clean filter of the name XOR the record's noise."""
        clean = map_unique(series, lambda v: self.bloom_value(v, purpose), pl.Binary)
        present = clean.is_not_null().to_numpy()
        out = np.zeros((len(series), BLOOM_BITS // 8), dtype=np.uint8)
        if present.any():
            rows = np.frombuffer(b"".join(clean.filter(clean.is_not_null()).to_list()), dtype=np.uint8)
            out[present] = rows.reshape(-1, BLOOM_BITS // 8) ^ self.noise_masks(seeds[present], field)
        width = BLOOM_BITS // 8
        validity = pa.py_buffer(np.packbits(present, bitorder="little").tobytes())
        array = pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(width), len(series), [validity, pa.py_buffer(out.tobytes())]
        )
        return pl.Series(series.name, pl.from_arrow(array)).cast(pl.Binary)


def phonetic(series: pl.Series) -> pl.Series:
    """NYSIIS code of each name (computed once per distinct value)."""
    return map_unique(series, lambda v: jellyfish.nysiis(v.replace(" ", "")), pl.String)


def variant_groups(series: pl.Series, *, surname: bool) -> pl.Series:
    """Name-variant groups of each standardised name (a list per value)."""
    groups = surname_groups if surname else forename_groups
    return map_unique(series, groups, pl.List(pl.String))


def year_bands(dob: pl.Series) -> pl.Series:
    """Birth-year bands as labels, e.g. ["w5o0:401", "w5o2:401"] for 2005.

    Two years at most 2 apart share at least one band: they straddle a multiple of 5 in at
    most one of the two offsets, because multiples of 5 and multiples of 5 shifted by 2 are
    never within 1 of each other.
    """
    year = dob.dt.year()
    return pl.select(
        pl.when(year.is_not_null()).then(
            pl.concat_list(
                [
                    pl.format(f"w{YEAR_BAND_WIDTH}o{o}:{{}}", (pl.lit(year) + o) // YEAR_BAND_WIDTH)
                    for o in YEAR_BAND_OFFSETS
                ]
            )
        )
    ).to_series()


def encode_identity(std: pl.DataFrame, key: HashKey, record_ids: pl.Series) -> pl.DataFrame:
    """Encode the standardised identity columns of `std` into the token schema.

    `record_ids` names each row's record (feed and record key): it seeds the row's Bloom
    filter noise, so the same record always encodes the same way. Returns the token
    columns only, in `std`'s row order; absent identity columns encode to nulls, so every
    feed yields the same schema.
    """
    if len(record_ids) != std.height:
        raise ValueError(f"record_ids has {len(record_ids)} values for {std.height} rows")
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
        pl.when(dob.dt.day() <= 12).then(
            pl.format(
                "{}-{}-{}",
                dob.dt.year(),
                dob.dt.day().cast(pl.String).str.zfill(2),
                dob.dt.month().cast(pl.String).str.zfill(2),
            )
        )
    ).to_series()
    seeds = enc.record_seeds(record_ids.cast(pl.String))
    columns = {
        "fn_tok": enc.tokens(forename, "name"),
        "mn_tok": enc.tokens(col("middle_names"), "middle_names"),
        "sn_tok": enc.tokens(surname, "name"),
        "sn_part_toks": enc.list_tokens(col("surname_parts", pl.List(pl.String())), "name"),
        "fn_nv_toks": enc.list_tokens(variant_groups(forename, surname=False), "name_variant"),
        "sn_nv_toks": enc.list_tokens(variant_groups(surname, surname=True), "name_variant"),
        "fn_ph": enc.tokens(phonetic(forename), "name_phonetic"),
        "sn_ph": enc.tokens(phonetic(surname), "name_phonetic"),
        "fn_bf": enc.blooms(forename, "name", seeds, "forename"),
        "sn_bf": enc.blooms(surname, "name", seeds, "surname"),
        "dob_tok": enc.tokens(dob_iso, "dob"),
        "dob_swap_tok": enc.tokens(dob_swapped, "dob"),
        "dob_y_tok": enc.tokens(dob.dt.year().cast(pl.String), "dob_year"),
        "dob_m_tok": enc.tokens(dob.dt.month().cast(pl.String), "dob_month"),
        "dob_d_tok": enc.tokens(dob.dt.day().cast(pl.String), "dob_day"),
        "dob_band_toks": enc.list_tokens(year_bands(dob), "dob_band"),
        "pc_tok": enc.tokens(col("postcode"), "postcode"),
        "pc_sector_tok": enc.tokens(col("postcode_sector"), "postcode_sector"),
        "pc_district_tok": enc.tokens(col("postcode_district"), "postcode_district"),
        "nhs_tok": enc.tokens(col("nhs_number"), "nhs_number"),
        "pnc_tok": enc.tokens(col("pnc"), "pnc"),
        "local_id_tok": enc.tokens(col("local_id"), "local_id"),
    }
    frame = pl.DataFrame([series.alias(name) for name, series in columns.items()])
    return frame.select(list(TOKEN_SCHEMA)).cast(TOKEN_SCHEMA)
