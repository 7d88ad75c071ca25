"""True persons: demographics, names, addresses over time, NHS and PNC numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from . import codes
from .geography import COUNCILS, County
from .identifiers import issue_nhs_numbers, pnc_check_letter
from .names import (
    COMPOUND_SURNAME_RATE,
    DEFAULT_COMPOUND_SURNAME_RATE,
    MIDDLE_NAME_RATE,
    ORIGINS,
    PREFIX_FORENAMES,
    feminine_surname,
    forename_lists,
    surname_lists,
)

EPOCH = dt.date(1970, 1, 1)
DAYS_PER_YEAR = 365.25

# Cohorts: the role each person was created for (a person may gain other roles later).
COHORTS: tuple[str, ...] = (
    "exploited_child",
    "social_care_child",
    "da_victim",
    "da_perpetrator",
    "victim",
    "victim_offender",
    "offender",
    "witness",
    "ae_only",
)
COHORT = {name: i for i, name in enumerate(COHORTS)}

# Movers: ~15% move once in the period; where they go.
MOVE_RATE = 0.15
MOVE_SAME_DISTRICT, MOVE_SAME_COUNCIL = 0.55, 0.37  # remainder: another council


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def year_of(day: np.ndarray) -> np.ndarray:
    """Calendar year of day numbers."""
    return np.asarray(day).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def sample_ages(rng: np.random.Generator, n: int, bands: dict[tuple[int, int], float]) -> np.ndarray:
    """Ages in years (float) from {(lo, hi): weight} bands, uniform within a band."""
    spans = list(bands)
    w = np.array([bands[s] for s in spans], dtype=float)
    pick = rng.choice(len(spans), size=n, p=w / w.sum())
    lo = np.array([s[0] for s in spans])[pick]
    hi = np.array([s[1] for s in spans])[pick]
    return lo + rng.random(n) * (hi - lo + 1)


# Violence per resident is higher in Bedford and Luton than in Central Bedfordshire (needs
# assessment, age-standardised rates), on top of the deprivation gradient within each council.
COUNCIL_RATE = {"Bedford": 1.1, "Central Bedfordshire": 0.85, "Luton": 1.0}


def deprivation_risk(imd_decile: np.ndarray) -> np.ndarray:
    """Relative rate of violence by IMD decile: the most deprived ~6x the least deprived."""
    return 0.5 * 6.0 ** ((10 - imd_decile) / 9)


@dataclass
class _Chunk:
    cohort: np.ndarray
    male: np.ndarray
    dob: np.ndarray
    lsoa: np.ndarray
    postcode: np.ndarray
    eth: np.ndarray
    origin: np.ndarray
    surname: np.ndarray


@dataclass
class Population:
    """One entry per true person; ``person_id`` is ``T`` + 7 digits of index + 1."""

    cohort: np.ndarray
    male: np.ndarray
    dob: np.ndarray  # day number
    lsoa: np.ndarray  # home LSOA at the start of the period
    postcode: np.ndarray  # index into County.postcode
    eth: np.ndarray  # index into codes.ETHNICITIES
    origin: np.ndarray  # index into names.ORIGINS
    forename: np.ndarray
    middle: np.ndarray  # '' when none
    surname: np.ndarray
    move_day: np.ndarray  # day number of the move, -1 if none
    new_lsoa: np.ndarray
    new_postcode: np.ndarray
    nhs: np.ndarray  # int64, always issued
    pnc_year: np.ndarray  # 4-digit year, 0 when the person has no PNC record
    pnc_serial: np.ndarray
    pnc_letter: np.ndarray
    flags: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return int(self.male.size)

    def person_ids(self) -> np.ndarray:
        return np.array([f"T{i + 1:07d}" for i in range(self.size)], dtype=object)

    def lsoa_at(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        moved = (self.move_day[person] >= 0) & (day >= self.move_day[person])
        return np.where(moved, self.new_lsoa[person], self.lsoa[person])

    def postcode_at(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        moved = (self.move_day[person] >= 0) & (day >= self.move_day[person])
        return np.where(moved, self.new_postcode[person], self.postcode[person])

    def age_at(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Whole years of age on ``day`` (approximate to a day, enough for bands)."""
        return np.floor((day - self.dob[person]) / DAYS_PER_YEAR).astype(np.int64)


class PopulationBuilder:
    """Creates persons in chunks (one per cohort or family role), then finalises them."""

    def __init__(self, rng: np.random.Generator, county: County, start: dt.date, end: dt.date):
        self.rng = rng
        self.county = county
        self.start_day = day_number(start)
        self.end_day = day_number(end)
        self.chunks: list[_Chunk] = []
        self.count = 0
        residents = county.residents().astype(float)
        self._residents = residents
        self._eth_p = {
            ci: np.array(codes.ETHNICITY_BY_COUNCIL[c.name]) / sum(codes.ETHNICITY_BY_COUNCIL[c.name])
            for ci, c in enumerate(COUNCILS)
        }
        self._origin_p = []
        for code in codes.ETH_POLICE:
            table = codes.NAME_ORIGIN_BY_ETHNICITY[str(code)]
            p = np.zeros(len(ORIGINS))
            for origin, share in table.items():
                p[ORIGINS.index(origin)] = share
            self._origin_p.append(p / p.sum())

    # --- sampling helpers ---------------------------------------------------------------------
    def sample_lsoa(
        self, n: int, risk_power: float = 0.5, council_weight: dict[str, float] | None = None
    ) -> np.ndarray:
        w = self._residents * deprivation_risk(self.county.imd_decile) ** risk_power
        weight = dict(COUNCIL_RATE)
        for name, extra in (council_weight or {}).items():
            weight[name] *= extra
        mult = np.array([weight[c.name] for c in COUNCILS])
        w = w * mult[self.county.lsoa_council]
        return self.rng.choice(self.county.n_lsoa, size=n, p=w / w.sum())

    def sample_postcode(self, lsoa: np.ndarray) -> np.ndarray:
        first = self.county.lsoa_first_postcode[lsoa]
        size = self.county.lsoa_first_postcode[lsoa + 1] - first
        return first + np.floor(self.rng.random(lsoa.size) * size).astype(np.int64)

    def sample_eth(self, lsoa: np.ndarray) -> np.ndarray:
        council = self.county.lsoa_council[lsoa]
        eth = np.empty(lsoa.size, dtype=np.int64)
        for ci, p in self._eth_p.items():
            m = council == ci
            eth[m] = self.rng.choice(p.size, size=int(m.sum()), p=p)
        return eth

    def sample_origin(self, eth: np.ndarray) -> np.ndarray:
        origin = np.empty(eth.size, dtype=np.int64)
        for e in np.unique(eth):
            m = eth == e
            origin[m] = self.rng.choice(len(ORIGINS), size=int(m.sum()), p=self._origin_p[e])
        return origin

    def sample_surname(self, origin: np.ndarray, male: np.ndarray) -> np.ndarray:
        lists = surname_lists()
        out = np.empty(origin.size, dtype=object)
        for o in np.unique(origin):
            for sex, flag in (("M", True), ("F", False)):
                m = (origin == o) & (male == flag)
                if m.any():
                    nl = lists[(ORIGINS[o], sex)]
                    out[m] = nl.names[self.rng.choice(nl.names.size, size=int(m.sum()), p=nl.weights)]
        # Double-barrelled / hyphenated surnames.
        rate = np.array([COMPOUND_SURNAME_RATE.get(o, DEFAULT_COMPOUND_SURNAME_RATE) for o in ORIGINS])[origin]
        compound = np.flatnonzero(self.rng.random(origin.size) < rate)
        for i in compound:
            nl = lists[(ORIGINS[origin[i]], "M" if male[i] else "F")]
            other = nl.names[self.rng.choice(nl.names.size, p=nl.weights)]
            if other == out[i] or " " in other or "-" in other or " " in out[i] or "-" in out[i]:
                continue
            sep = " " if ORIGINS[origin[i]] == "portuguese" or self.rng.random() < 0.25 else "-"
            out[i] = f"{other}{sep}{out[i]}"
        return out

    # --- creation -----------------------------------------------------------------------------
    def dob_from_age(self, age_years: np.ndarray, at_day: int | np.ndarray | None = None) -> np.ndarray:
        """Day of birth for ages (float years) reached on ``at_day`` (default: period start)."""
        ref = self.start_day if at_day is None else at_day
        return (ref - np.floor(age_years * DAYS_PER_YEAR)).astype(np.int64)

    def add(
        self,
        cohort: str,
        *,
        male: np.ndarray,
        dob: np.ndarray,
        lsoa: np.ndarray | None = None,
        postcode: np.ndarray | None = None,
        eth: np.ndarray | None = None,
        origin: np.ndarray | None = None,
        surname: np.ndarray | None = None,
        risk_power: float = 0.5,
        council_weight: dict[str, float] | None = None,
    ) -> np.ndarray:
        """Add persons; returns their indices. Unset attributes are sampled."""
        n = int(male.size)
        if lsoa is None:
            lsoa = self.sample_lsoa(n, risk_power, council_weight)
        if postcode is None:
            postcode = self.sample_postcode(lsoa)
        if eth is None:
            eth = self.sample_eth(lsoa)
        if origin is None:
            origin = self.sample_origin(eth)
        if surname is None:
            surname = self.sample_surname(origin, male)
        chunk = _Chunk(
            cohort=np.full(n, COHORT[cohort]),
            male=male.astype(bool),
            dob=dob.astype(np.int64),
            lsoa=np.asarray(lsoa, dtype=np.int64),
            postcode=np.asarray(postcode, dtype=np.int64),
            eth=np.asarray(eth, dtype=np.int64),
            origin=np.asarray(origin, dtype=np.int64),
            surname=np.asarray(surname, dtype=object),
        )
        self.chunks.append(chunk)
        idx = np.arange(self.count, self.count + n)
        self.count += n
        return idx

    def chunk_values(self, attr: str) -> np.ndarray:
        return np.concatenate([getattr(c, attr) for c in self.chunks])

    def finish(self) -> Population:
        rng = self.rng
        cat = self.chunk_values
        male, origin = cat("male"), cat("origin")
        n = male.size
        forename, middle = self._given_names(origin, male)
        lsoa, postcode = cat("lsoa"), cat("postcode")
        move_day = np.full(n, -1, dtype=np.int64)
        movers = np.flatnonzero(rng.random(n) < MOVE_RATE)
        move_day[movers] = rng.integers(self.start_day + 20, self.end_day - 20, size=movers.size)
        new_lsoa, new_postcode = lsoa.copy(), postcode.copy()
        new_lsoa[movers] = self._move_destination(lsoa[movers])
        new_postcode[movers] = self.sample_postcode(new_lsoa[movers])
        return Population(
            cohort=cat("cohort"),
            male=male,
            dob=cat("dob"),
            lsoa=lsoa,
            postcode=postcode,
            eth=cat("eth"),
            origin=origin,
            forename=forename,
            middle=middle,
            surname=cat("surname"),
            move_day=move_day,
            new_lsoa=new_lsoa,
            new_postcode=new_postcode,
            nhs=issue_nhs_numbers(rng, n),
            pnc_year=np.zeros(n, dtype=np.int64),
            pnc_serial=np.zeros(n, dtype=np.int64),
            pnc_letter=np.full(n, "", dtype=object),
        )

    def _given_names(self, origin: np.ndarray, male: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rng = self.rng
        lists = forename_lists()
        n = origin.size
        forename = np.empty(n, dtype=object)
        middle = np.empty(n, dtype=object)
        for o in np.unique(origin):
            for sex, flag in (("M", True), ("F", False)):
                m = np.flatnonzero((origin == o) & (male == flag))
                if m.size == 0:
                    continue
                nl = lists[(ORIGINS[o], sex)]
                forename[m] = nl.names[rng.choice(nl.names.size, size=m.size, p=nl.weights)]
                middle[m] = nl.names[rng.choice(nl.names.size, size=m.size, p=nl.weights)]
        rate = np.array([MIDDLE_NAME_RATE[o] for o in ORIGINS])[origin]
        prefix = np.array([f in PREFIX_FORENAMES for f in forename])
        rate = np.where(prefix, 0.85, rate)
        has_middle = (rng.random(n) < rate) & (middle != forename)
        middle = np.where(has_middle, middle, "")
        return forename, middle.astype(object)

    def _move_destination(self, lsoa: np.ndarray) -> np.ndarray:
        county = self.county
        mode = np.searchsorted(
            [MOVE_SAME_DISTRICT, MOVE_SAME_DISTRICT + MOVE_SAME_COUNCIL], self.rng.random(lsoa.size), side="right"
        )
        dest = np.empty(lsoa.size, dtype=np.int64)
        w_all = self._residents * deprivation_risk(county.imd_decile) ** 0.5
        for home in np.unique(lsoa):
            for m in range(3):
                who = np.flatnonzero((lsoa == home) & (mode == m))
                if who.size == 0:
                    continue
                if m == 0:
                    pool = np.flatnonzero(county.lsoa_district == county.lsoa_district[home])
                elif m == 1:
                    pool = np.flatnonzero(county.lsoa_council == county.lsoa_council[home])
                else:
                    pool = np.flatnonzero(county.lsoa_council != county.lsoa_council[home])
                pool = pool[pool != home] if pool.size > 1 else pool
                w = w_all[pool]
                dest[who] = pool[self.rng.choice(pool.size, size=who.size, p=w / w.sum())]
        return dest


def assign_pnc(
    rng: np.random.Generator, pop: Population, persons: np.ndarray, first_year: np.ndarray, new_share: np.ndarray
) -> None:
    """Give ``persons`` a PNC number: year of first arrest, unique serial, check letter.

    ``first_year`` is the year of their first suspect record in the period; a share
    ``new_share`` are first arrested then, the others earlier (from age 10, not before 1995).
    """
    birth_year = year_of(pop.dob[persons])
    earliest = np.maximum(birth_year + 10, 1995)
    earliest = np.minimum(earliest, first_year)
    span = first_year - earliest
    earlier = earliest + np.floor(rng.random(persons.size) * np.maximum(span, 1)).astype(np.int64)
    year = np.where((rng.random(persons.size) < new_share) | (span <= 0), first_year, np.minimum(earlier, first_year))
    serial = np.zeros(persons.size, dtype=np.int64)
    for y in np.unique(year):
        m = np.flatnonzero(year == y)
        serial[m] = rng.choice(999_999, size=m.size, replace=False) + 1
    pop.pnc_year[persons] = year
    pop.pnc_serial[persons] = serial
    pop.pnc_letter[persons] = pnc_check_letter(year % 100, serial)


def feminise_shared_surnames(pop_surname: np.ndarray, origin: np.ndarray) -> np.ndarray:
    return np.array([feminine_surname(s, ORIGINS[o]) for s, o in zip(pop_surname, origin, strict=True)], dtype=object)
