"""Name lists (``data/*.csv``) and the string edits that imitate front-desk typing."""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).parent / "data"

ORIGINS: tuple[str, ...] = (
    "white_british",
    "irish",
    "polish",
    "romanian",
    "lithuanian",
    "portuguese",
    "pakistani",
    "bangladeshi",
    "indian",
    "black_african",
    "somali",
    "black_caribbean",
    "chinese",
    "arab",
)
# Origins whose names have romanisation or native-letter spelling variants worth injecting.
TRANSLITERATED_ORIGINS = frozenset(ORIGINS) - {"white_british", "black_caribbean"}

# Probability that a person has a middle name, by origin.
MIDDLE_NAME_RATE = {
    "white_british": 0.45,
    "irish": 0.4,
    "polish": 0.2,
    "romanian": 0.3,
    "lithuanian": 0.1,
    "portuguese": 0.6,
    "pakistani": 0.3,
    "bangladeshi": 0.4,
    "indian": 0.2,
    "black_african": 0.5,
    "somali": 0.05,
    "black_caribbean": 0.4,
    "chinese": 0.15,
    "arab": 0.1,
}
# Probability of a double-barrelled or hyphenated surname, by origin.
COMPOUND_SURNAME_RATE = {"white_british": 0.04, "portuguese": 0.10, "arab": 0.03}
DEFAULT_COMPOUND_SURNAME_RATE = 0.015
# Given names that are a religious prefix: the person is often known by the middle name.
PREFIX_FORENAMES = frozenset({"Mohammed", "Muhammad", "Mohammad", "Mohamed", "Abdul"})


@dataclass(frozen=True)
class NameList:
    names: np.ndarray  # object array of str
    weights: np.ndarray  # probabilities, sum to 1


def _zipf(n: int, exponent: float = 0.8) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** exponent
    return w / w.sum()


@lru_cache(maxsize=1)
def forename_lists() -> dict[tuple[str, str], NameList]:
    rows = _read("forenames.csv")
    out: dict[tuple[str, str], NameList] = {}
    for origin in ORIGINS:
        for sex in ("M", "F"):
            names = [r["name"] for r in rows if r["origin"] == origin and r["sex"] == sex]
            if not names:
                raise ValueError(f"no {sex} forenames for origin {origin!r} in forenames.csv")
            out[(origin, sex)] = NameList(np.array(names, dtype=object), _zipf(len(names)))
    return out


@lru_cache(maxsize=1)
def surname_lists() -> dict[tuple[str, str], NameList]:
    """Surnames per (origin, sex): unisex names plus that sex's gendered forms."""
    rows = _read("surnames.csv")
    out: dict[tuple[str, str], NameList] = {}
    for origin in ORIGINS:
        for sex in ("M", "F"):
            common = [r["name"] for r in rows if r["origin"] == origin and r["sex"] == ""]
            gendered = [r["name"] for r in rows if r["origin"] == origin and r["sex"] == sex]
            names = common + gendered
            if not names:
                raise ValueError(f"no surnames for origin {origin!r} in surnames.csv")
            weights = np.concatenate(
                [_zipf(len(common)) if common else np.empty(0), _zipf(len(gendered)) if gendered else np.empty(0)]
            )
            if common and gendered:
                # South Asian women: about a third recorded with the title-surnames Begum/Bibi etc.
                # Polish and Lithuanian: the gendered form is the surname itself.
                share = 0.3 if origin in ("pakistani", "bangladeshi") else 0.6
                if origin == "indian":
                    share = 0.25
                weights[: len(common)] *= 1 - share
                weights[len(common) :] *= share
            out[(origin, sex)] = NameList(np.array(names, dtype=object), weights / weights.sum())
    return out


@lru_cache(maxsize=1)
def nickname_table() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for r in _read("nicknames.csv"):
        table.setdefault(r["name"], []).append(r["nickname"])
    return {k: tuple(v) for k, v in table.items()}


def _read(filename: str) -> list[dict[str, str]]:
    with (DATA_DIR / filename).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# --- Surname forms --------------------------------------------------------------------------
def feminine_surname(surname: str, origin: str) -> str:
    """The form a woman takes of a man's surname (Polish -ski/-ska, Lithuanian -as/-ienė)."""
    if origin == "polish":
        for male, female in (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")):
            if surname.endswith(male):
                return surname[: -len(male)] + female
    if origin == "lithuanian":
        for male, female in (("ius", "ienė"), ("as", "ienė"), ("us", "ienė"), ("is", "ienė")):
            if surname.endswith(male):
                return surname[: -len(male)] + female
    return surname


_PARTICLES = frozenset({"Mac", "Mc", "Ní", "Nic", "Ó", "Van", "Von", "Le", "La"})


def surname_parts(surname: str) -> list[str]:
    """Parts of a double-barrelled surname: ``Smith-Jones`` and ``Da Silva`` have two."""
    if "-" in surname and not surname.startswith(("Al-", "El-")):
        return [p for p in surname.split("-") if p]
    parts = surname.split(" ")
    if len(parts) > 1 and parts[0] in _PARTICLES:  # Mac Giolla, Ní Bhriain: one name
        return [surname]
    return parts if len(parts) > 1 else [surname]


# --- Edits ----------------------------------------------------------------------------------
_EXTRA_FOLD = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "ß": "ss", "Đ": "D", "đ": "d"})


def strip_diacritics(text: str) -> str:
    """``Zoë`` -> ``Zoe``, ``Łukasz`` -> ``Lukasz``: what an ASCII-only system stores."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def has_diacritics(text: str) -> bool:
    return not text.isascii()


_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for _r, _row in enumerate(_KEYBOARD_ROWS):
    for _c, _ch in enumerate(_row):
        near = [_row[k] for k in (_c - 1, _c + 1) if 0 <= k < len(_row)]
        for _rr in (_r - 1, _r + 1):
            if 0 <= _rr < len(_KEYBOARD_ROWS):
                near += [_KEYBOARD_ROWS[_rr][k] for k in (_c - 1, _c, _c + 1) if 0 <= k < len(_KEYBOARD_ROWS[_rr])]
        _NEIGHBOURS[_ch] = "".join(near)


def typo(text: str, u: np.ndarray) -> str:
    """One keyboard slip, chosen by the four uniforms in ``u``.

    Substitution by a neighbouring key, deletion, insertion (a neighbour or a doubled letter)
    or transposition of two adjacent letters. The first letter is kept most of the time, as in
    real data entry.
    """
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(letters) < 3:
        return text
    kind = int(u[0] * 4)
    start = 1 if u[3] < 0.9 else 0
    pos = letters[start + int(u[1] * (len(letters) - start - 1))]
    ch = text[pos]
    lower = ch.lower()
    near = _NEIGHBOURS.get(strip_diacritics(lower), "aeiou") or "aeiou"
    repl = near[int(u[2] * len(near))]
    if ch.isupper():
        repl = repl.upper()
    if kind == 0:
        out = text[:pos] + repl + text[pos + 1 :]
    elif kind == 1:
        out = text[:pos] + text[pos + 1 :]
    elif kind == 2:
        extra = ch if u[2] < 0.4 else repl
        out = text[: pos + 1] + extra + text[pos + 1 :]
    else:
        nxt = pos + 1 if pos + 1 < len(text) and text[pos + 1].isalpha() else pos - 1
        a, b = sorted((pos, nxt))
        swapped = text[:a] + text[b] + text[a] + text[b + 1 :]
        out = swapped if text[a] != text[b] else text[:pos] + repl + text[pos + 1 :]
    return out if out != text else text[:pos] + repl + text[pos + 1 :]
