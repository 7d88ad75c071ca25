"""Identifier errors: how one true person's details come out when typed into each system.

Each record draws its errors independently at the rates below; every injected error is
returned so it can be logged in ``truth/errors.csv``. Recording conventions that are not
errors (middle names in the forenames field, UPPER CASE surnames, postcode spacing) are applied
by ``feeds`` and not logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._name_variants import variant_table
from .names import (
    ORIGINS,
    PREFIX_FORENAMES,
    TRANSLITERATED_ORIGINS,
    has_diacritics,
    nickname_table,
    strip_diacritics,
    surname_parts,
    typo,
)
from .population import Population

# Rates per record (a float applies to every feed). Conditional rates say so in the comment.
RATES: dict[str, float | dict[str, float]] = {
    "typo_forename": {"police": 0.04, "social_care": 0.03, "health": 0.04, "yos": 0.03},
    "typo_surname": {"police": 0.04, "social_care": 0.03, "health": 0.04, "yos": 0.03},
    "nickname": {"police": 0.08, "social_care": 0.04, "health": 0.06, "yos": 0.06},  # if one exists
    "transliteration": 0.25,  # of records whose name has spelling variants
    "diacritics_dropped": {"police": 0.6, "social_care": 0.3, "health": 0.4, "yos": 0.5},  # of accented names
    "swapped_names": 0.02,  # 0.10 for Chinese names (family name first)
    "surname_part_only": 0.30,  # of double-barrelled / hyphenated surnames
    "middle_name_as_forename": 0.30,  # Mohammed Imran Khan recorded as Imran Khan
    "dob_day_month_swap": 0.02,  # when the day is 12 or less (and differs from the month)
    "dob_default_1900": {"police": 0.01, "social_care": 0.005, "health": 0.01, "yos": 0.0},
    "dob_missing": {"social_care": 0.005, "health": 0.01, "yos": 0.0},  # police: by role
    "dob_year_typo": 0.005,
    "dob_estimated": {"police": 0.015},  # suspects and witnesses: 1 January of a guessed year
    "forename_placeholder": {"social_care": 0.5},  # newborns (under 2 months) recorded as 'Baby'
    "postcode_missing": {"police": 0.06, "social_care": 0.04, "health": 0.05, "yos": 0.03},
    "postcode_stale": 0.20,  # of records after the person moved house
    "postcode_typo": 0.005,
    "nhs_missing": {"social_care": 0.30, "health": 0.10},
    "nhs_mistyped": 0.01,  # of NHS numbers present
    "sex_unknown": {"police": 0.01, "social_care": 0.005, "health": 0.01, "yos": 0.0},
    "pnc_missing": {"police": 0.05, "yos": 0.02},  # of suspect/offender records of PNC holders
}
POLICE_DOB_MISSING = {"VICTIM": 0.03, "SUSPECT": 0.08, "OFFENDER": 0.08, "WITNESS": 0.10}
DAY_1900 = -25_567  # 1900-01-01 as a day number


def rate(name: str, feed: str) -> float:
    r = RATES[name]
    return float(r.get(feed, 0.0)) if isinstance(r, dict) else float(r)


@dataclass
class Identity:
    """Identifier fields of a feed's records, as typed (before per-feed formatting)."""

    forename: np.ndarray
    middle: np.ndarray
    surname: np.ndarray
    dob: np.ndarray  # day number
    dob_missing: np.ndarray
    sex: np.ndarray  # 0 female, 1 male, 2 unknown
    postcode_index: np.ndarray  # index into County.postcode (home on that day, or a stale one)
    nhs: np.ndarray  # '' when missing (10 digits)
    pnc_missing: np.ndarray
    swapped: np.ndarray
    postcode_missing: np.ndarray | None = None
    postcode_typo: np.ndarray | None = None
    errors: list[tuple[np.ndarray, str]] = field(default_factory=list)

    def log(self, mask_or_index: np.ndarray, name: str) -> None:
        idx = np.flatnonzero(mask_or_index) if mask_or_index.dtype == bool else mask_or_index
        if idx.size:
            self.errors.append((idx, name))


class PersonNameFacts:
    """Per-person facts the error model needs, computed once per population."""

    def __init__(self, pop: Population):
        nick = nickname_table()
        variants = variant_table()
        self.nicknames = nick
        self.variants = variants
        translit_origin = np.array([o in TRANSLITERATED_ORIGINS for o in ORIGINS])[pop.origin]
        self.fore_variant = translit_origin & _lookup(pop.forename, variants)
        self.sur_variant = translit_origin & _lookup(pop.surname, variants)
        self.has_nick = _lookup(pop.forename, nick)
        self.compound = np.array([len(surname_parts(s)) > 1 for s in pop.surname])
        self.accented = np.array(
            [
                has_diacritics(f) or has_diacritics(s) or has_diacritics(m)
                for f, s, m in zip(pop.forename, pop.surname, pop.middle, strict=True)
            ]
        )
        self.prefix = np.array([f in PREFIX_FORENAMES for f in pop.forename]) & (pop.middle != "")
        self.chinese = pop.origin == ORIGINS.index("chinese")


def _lookup(values: np.ndarray, table: dict) -> np.ndarray:
    uniq, inv = np.unique(values.astype(str), return_inverse=True)
    return np.array([u in table for u in uniq])[inv]


def _choose(options_of: dict[str, tuple[str, ...]], values: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.array([options_of[v][int(x * len(options_of[v]))] for v, x in zip(values, u, strict=True)], dtype=object)


def render_identity(
    rng: np.random.Generator,
    feed: str,
    pop: Population,
    facts: PersonNameFacts,
    person: np.ndarray,
    day: np.ndarray,
    police_role: np.ndarray | None = None,
) -> Identity:
    """Identifier values of ``person`` as recorded by ``feed`` on ``day``, errors included."""
    n = person.size
    forename = pop.forename[person].copy()
    middle = pop.middle[person].copy()
    surname = pop.surname[person].copy()
    ident = Identity(
        forename=forename,
        middle=middle,
        surname=surname,
        dob=pop.dob[person].copy(),
        dob_missing=np.zeros(n, dtype=bool),
        sex=pop.male[person].astype(np.int64),
        postcode_index=np.empty(0, dtype=np.int64),
        nhs=np.empty(n, dtype=object),
        pnc_missing=np.zeros(n, dtype=bool),
        swapped=np.zeros(n, dtype=bool),
    )

    def u() -> np.ndarray:
        return rng.random(n)

    # --- names --------------------------------------------------------------------------------
    m = facts.prefix[person] & (u() < rate("middle_name_as_forename", feed))
    forename[m], middle[m] = middle[m], ""
    ident.log(m, "middle_name_as_forename")

    has_nick = _lookup(forename, facts.nicknames)
    m = np.flatnonzero(has_nick & (u() < rate("nickname", feed)))
    forename[m] = _choose(facts.nicknames, forename[m], rng.random(m.size))
    ident.log(m, "nickname")

    t_rate = rate("transliteration", feed)
    mf = facts.fore_variant[person] & (u() < t_rate) & _lookup(forename, facts.variants)
    ms = facts.sur_variant[person] & (u() < t_rate)
    idx = np.flatnonzero(mf)
    forename[idx] = _choose(facts.variants, forename[idx], rng.random(idx.size))
    idx = np.flatnonzero(ms)
    surname[idx] = _choose(facts.variants, surname[idx], rng.random(idx.size))
    ident.log(mf | ms, "transliteration")

    m = np.flatnonzero(facts.compound[person] & (u() < rate("surname_part_only", feed)))
    pick_last = rng.random(m.size) < 0.6
    surname[m] = [
        surname_parts(s)[-1] if last else surname_parts(s)[0] for s, last in zip(surname[m], pick_last, strict=True)
    ]
    ident.log(m, "surname_part_only")

    m = np.flatnonzero(facts.accented[person] & (u() < rate("diacritics_dropped", feed)))
    changed = np.array(
        [
            has_diacritics(f) or has_diacritics(s) or has_diacritics(md)
            for f, s, md in zip(forename[m], surname[m], middle[m], strict=True)
        ],
        dtype=bool,
    )
    m = m[changed]
    forename[m] = [strip_diacritics(x) for x in forename[m]]
    surname[m] = [strip_diacritics(x) for x in surname[m]]
    middle[m] = [strip_diacritics(x) for x in middle[m]]
    ident.log(m, "diacritics_dropped")

    for col, arr in (("typo_forename", forename), ("typo_surname", surname)):
        m = np.flatnonzero(u() < rate(col, feed))
        draws = rng.random((m.size, 4))
        old = arr[m]
        new = [typo(s, d) for s, d in zip(old, draws, strict=True)]
        arr[m] = new
        changed = np.array([a != b for a, b in zip(new, old, strict=True)], dtype=bool)
        ident.log(m[changed], col)

    newborn = (day - pop.dob[person] < 60) & (u() < rate("forename_placeholder", feed))
    forename[newborn] = "Baby"
    middle[newborn] = ""
    ident.log(newborn, "forename_placeholder")

    swap_p = np.where(facts.chinese[person], 0.10, rate("swapped_names", feed))
    m = u() < swap_p
    forename[m], surname[m] = surname[m].copy(), forename[m].copy()
    middle[m] = ""
    ident.swapped = m
    ident.log(m, "swapped_names")

    # --- date of birth ------------------------------------------------------------------------
    dob = ident.dob
    y, mo, d = ymd(dob)
    m = (d <= 12) & (d != mo) & (u() < rate("dob_day_month_swap", feed))
    dob[m] = from_ymd(y[m], d[m], mo[m])
    ident.log(m, "dob_day_month_swap")
    m = np.flatnonzero(u() < rate("dob_year_typo", feed))
    step = np.where(rng.random(m.size) < 0.7, 1, 10) * np.where(rng.random(m.size) < 0.5, -1, 1)
    y2, mo2, d2 = ymd(dob[m])
    step = np.where(y2 + step > year_of_day(day[m]), -np.abs(step), step)
    d2 = np.where((mo2 == 2) & (d2 == 29), 28, d2)
    dob[m] = from_ymd(y2 + step, mo2, d2)
    ident.log(m, "dob_year_typo")
    if feed == "police" and police_role is not None:
        m = np.flatnonzero((police_role != 0) & (u() < rate("dob_estimated", feed)))
        guess = year_of_day(pop.dob[person[m]]) + rng.integers(-2, 3, m.size)
        dob[m] = from_ymd(guess, np.ones(m.size, dtype=np.int64), np.ones(m.size, dtype=np.int64))
        ident.log(m, "dob_estimated")
    m = u() < rate("dob_default_1900", feed)
    dob[m] = DAY_1900
    ident.log(m, "dob_default_1900")
    if feed == "police" and police_role is not None:
        p = np.array([POLICE_DOB_MISSING[r] for r in ("VICTIM", "SUSPECT", "OFFENDER", "WITNESS")])[police_role]
    else:
        p = np.full(n, rate("dob_missing", feed))
    m = (u() < p) & (dob != DAY_1900)
    ident.dob_missing = m
    ident.log(m, "dob_missing")

    # --- sex ----------------------------------------------------------------------------------
    m = u() < rate("sex_unknown", feed)
    ident.sex[m] = 2
    ident.log(m, "sex_unknown")

    # --- postcode -----------------------------------------------------------------------------
    moved = (pop.move_day[person] >= 0) & (day >= pop.move_day[person])
    stale = moved & (u() < rate("postcode_stale", feed))
    pc_index = np.where(moved & ~stale, pop.new_postcode[person], pop.postcode[person])
    ident.log(stale, "postcode_stale")
    ident.postcode_index = pc_index  # resolved to strings by ``feeds`` (it holds the county)
    ident.postcode_missing = u() < rate("postcode_missing", feed)
    ident.log(ident.postcode_missing, "postcode_missing")
    ident.postcode_typo = (~ident.postcode_missing) & (u() < rate("postcode_typo", feed))
    ident.log(ident.postcode_typo, "postcode_typo")

    # --- NHS number ---------------------------------------------------------------------------
    if feed in ("social_care", "health"):
        nhs = np.array([f"{x:010d}" for x in pop.nhs[person]], dtype=object)
        missing = u() < rate("nhs_missing", feed)
        mistyped = np.flatnonzero(~missing & (u() < rate("nhs_mistyped", feed)))
        draws = rng.random((mistyped.size, 3))
        nhs[mistyped] = [_mistype_digits(s, dr) for s, dr in zip(nhs[mistyped], draws, strict=True)]
        nhs[missing] = ""
        ident.nhs = nhs
        ident.log(missing, "nhs_missing")
        ident.log(mistyped, "nhs_mistyped")

    # --- PNC ----------------------------------------------------------------------------------
    if feed in ("police", "yos"):
        holder = pop.pnc_year[person] > 0
        if feed == "police" and police_role is not None:
            offending = (police_role == 1) | (police_role == 2)
            # victims' and witnesses' nominal records carry the PNC only sometimes (not an error)
            shown_if_not_offending = u() < 0.5
            m = holder & offending & (u() < rate("pnc_missing", feed))
            ident.pnc_missing = m | (holder & ~offending & ~shown_if_not_offending)
        else:
            m = holder & (u() < rate("pnc_missing", feed))
            ident.pnc_missing = m
        ident.log(m, "pnc_missing")
    return ident


def _mistype_digits(number: str, u: np.ndarray) -> str:
    """One digit changed (85%) or two adjacent digits swapped: fails the mod-11 check."""
    digits = list(number)
    if u[0] < 0.85:
        pos = int(u[1] * 10)
        old = digits[pos]
        digits[pos] = str((int(old) + 1 + int(u[2] * 9)) % 10)
    else:
        pos = int(u[1] * 9)
        if digits[pos] == digits[pos + 1]:
            digits[pos] = str((int(digits[pos]) + 1) % 10)
        else:
            digits[pos], digits[pos + 1] = digits[pos + 1], digits[pos]
    return "".join(digits)


def mistype_postcode(postcode: str, u: np.ndarray) -> str:
    """One character of the postcode slipped: a digit or a letter changed."""
    chars = list(postcode)
    positions = [i for i, c in enumerate(chars) if c != " "]
    pos = positions[1 + int(u[0] * (len(positions) - 1))]
    c = chars[pos]
    if c.isdigit():
        chars[pos] = str((int(c) + 1 + int(u[1] * 8)) % 10)
    else:
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        chars[pos] = letters[(letters.find(c) + 1 + int(u[1] * 18)) % len(letters)]
    return "".join(chars)


# --- dates ----------------------------------------------------------------------------------
def ymd(day: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d64 = np.asarray(day).astype("datetime64[D]")
    y = d64.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d64.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (d64 - d64.astype("datetime64[M]")).astype(np.int64) + 1
    return y, m, d


def from_ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    months = (np.asarray(y) - 1970) * 12 + (np.asarray(m) - 1)
    first = months.astype("datetime64[M]").astype("datetime64[D]")
    return (first + (np.asarray(d) - 1)).astype(np.int64)


def year_of_day(day: np.ndarray) -> np.ndarray:
    return np.asarray(day).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
