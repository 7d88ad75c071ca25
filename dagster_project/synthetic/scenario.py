"""The true events behind the feeds: who was a victim, suspect or witness of what and when,
who was referred to children's social care, attended A&E after an assault, or received a youth
justice outcome.

Every number here is a rate per person appearing in some feed, so volumes per resident of the
scaled county (see ``geography``) are the same at every size. The patterns follow the
Bedfordshire strategic needs assessment (``shared/seeds``):

* victims of violence and sexual offences peak at 15-34 and are more often female; offenders
  and suspects are mostly (~80%) male;
* about 4 in 10 violence and sexual offences are domestic abuse (partners; repeat victims, some
  3+ times in 12 months);
* more offences in May and the summer, and at night (20:00-03:00) at weekends in town centres
  (night-time economy, drink involved); drug and weapon offences have no victim;
* most (~70%) A&E assault attendances never reach the police; the reported ones have a police
  victim record 0-3 days before (always within 14 days);
* 86 children and young people per 10,000 under-25 residents are at risk of exploitation;
  criminal exploitation (CCE) 75% male, sexual exploitation (CSE) 54% female; they often also
  appear as police victims or suspects, in YOS and at A&E.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

import numpy as np

from . import codes
from .codes import DRUGS, HOMICIDE, PUBLIC_ORDER, RAPE, ROBBERY, SEXUAL, STALK, VWI, VWO, WEAPONS
from .geography import COUNCILS, County
from .population import (
    DAYS_PER_YEAR,
    Population,
    PopulationBuilder,
    assign_pnc,
    day_number,
    deprivation_risk,
    feminise_shared_surnames,
    sample_ages,
    year_of,
)

# --- volumes (per person appearing in some feed) -------------------------------------------
CE_PER_10K_UNDER_25 = 86  # children/young people at risk of exploitation, needs assessment
SHARE = {
    "social_care_child": 0.16,
    "couples": 0.10,  # DA couples: two persons each
    "victim": 0.22,
    "victim_offender": 0.035,
    "witness": 0.06,
    "ae_only": 0.065,
}  # offenders: the remainder
DA_SHARE_OF_VSO = 0.40
OFFENDER_ONLY_OCCURRENCES = 0.055  # drugs, weapons, public order without a victim
MINUTES_PER_DAY = 1440

ROLE_VICTIM, ROLE_SUSPECT, ROLE_OFFENDER, ROLE_WITNESS = 0, 1, 2, 3
ROLES = ("VICTIM", "SUSPECT", "OFFENDER", "WITNESS")

# --- time patterns ---------------------------------------------------------------------------
MONTH_WEIGHT = np.array([0.90, 0.86, 0.94, 0.97, 1.14, 1.10, 1.12, 1.10, 1.00, 0.98, 0.93, 0.97])
WEEKDAY_FLAT = np.ones(7)
WEEKDAY_DA = np.array([0.9, 0.9, 0.9, 0.95, 1.1, 1.3, 1.25])  # Monday first
WEEKDAY_NTE = np.array([0.03, 0.03, 0.04, 0.15, 1.0, 1.0, 0.12])  # night starting that day
WEEKDAY_WORK = np.array([1.1, 1.1, 1.1, 1.1, 1.0, 0.8, 0.7])
HOURS_GENERAL = np.array([2.6, 2.2, 1.8, 1.2, 0.7, 0.4, 0.4, 0.7, 1.2, 1.5, 1.7, 1.9, 2.1, 2.2, 2.4, 2.9, 3.4, 3.5, 3.5, 3.4, 3.3, 3.2, 3.0, 2.8])
HOURS_DA = np.array([3.0, 2.5, 2.0, 1.3, 0.8, 0.5, 0.5, 0.8, 1.0, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.9, 2.2, 2.6, 3.0, 3.4, 3.7, 3.8, 3.7, 3.4])
HOURS_PROACTIVE = np.array([0.8, 0.6, 0.4, 0.2, 0.1, 0.1, 0.2, 0.5, 1.0, 1.5, 1.8, 2.0, 2.0, 2.0, 2.2, 2.5, 2.8, 3.0, 3.0, 2.8, 2.5, 2.1, 1.6, 1.2])
NTE_HOURS = np.array([1.0, 1.4, 2.0, 2.6, 3.0, 2.7, 1.9])  # 20:00 .. 02:59
HOURS_SCHOOL = np.array([0.1] * 8 + [1.0, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.2, 0.8, 0.5, 0.3, 0.2, 0.1, 0.1, 0.1, 0.1])

# --- ages (years at the start of the period) -------------------------------------------------
VICTIM_AGES = {(10, 14): 0.05, (15, 17): 0.10, (18, 24): 0.27, (25, 34): 0.27, (35, 44): 0.15, (45, 54): 0.09, (55, 64): 0.04, (65, 85): 0.03}
VO_AGES = {(12, 14): 0.10, (15, 17): 0.30, (18, 24): 0.45, (25, 34): 0.15}
OFFENDER_AGES = {(10, 14): 0.04, (15, 16): 0.10, (17, 17): 0.04, (18, 24): 0.30, (25, 34): 0.28, (35, 44): 0.14, (45, 54): 0.07, (55, 70): 0.03}
WITNESS_AGES = {(16, 24): 0.2, (25, 44): 0.45, (45, 64): 0.25, (65, 80): 0.1}
AE_AGES = {(13, 17): 0.08, (18, 24): 0.30, (25, 34): 0.29, (35, 44): 0.17, (45, 54): 0.10, (55, 75): 0.06}
DA_VICTIM_AGES = {(16, 17): 0.02, (18, 24): 0.24, (25, 34): 0.36, (35, 44): 0.23, (45, 54): 0.10, (55, 70): 0.05}
CE_AGES = {(11, 11): 0.04, (12, 12): 0.08, (13, 13): 0.14, (14, 14): 0.20, (15, 15): 0.22, (16, 16): 0.20, (17, 17): 0.12}
CHILD_AGES_AT_REFERRAL = {(0, 4): 0.30, (5, 9): 0.25, (10, 15): 0.35, (16, 17): 0.10}

# Offence group of a victim occurrence by victim sex and age: rows are
# (VWI, VWO, STALK, RAPE, SEXUAL, HOMICIDE, ROBBERY, WEAPONS, DRUGS, PUBLIC_ORDER)
GROUP_BY_VICTIM = {
    "child": (0.30, 0.40, 0.03, 0.05, 0.22, 0.0, 0.0, 0.0, 0.0, 0.0),
    "F_teen": (0.20, 0.28, 0.14, 0.08, 0.22, 0.0, 0.05, 0.0, 0.0, 0.03),
    "M_teen": (0.33, 0.32, 0.05, 0.01, 0.04, 0.0, 0.20, 0.0, 0.0, 0.05),
    "F_adult": (0.30, 0.33, 0.13, 0.06, 0.11, 0.001, 0.03, 0.0, 0.0, 0.04),
    "M_adult": (0.41, 0.36, 0.05, 0.005, 0.015, 0.001, 0.09, 0.0, 0.0, 0.07),
}
DA_GROUPS = (0.30, 0.33, 0.27, 0.05, 0.03, 0.0, 0.0, 0.0, 0.0, 0.02)
DA_REPEATS = {1: 0.55, 2: 0.20, 3: 0.10, 4: 0.06, 5: 0.04, 6: 0.02, 7: 0.015, 8: 0.01, 9: 0.005}
OFFENDER_RATE = {DRUGS: 0.6, WEAPONS: 0.6, PUBLIC_ORDER: 0.4}  # SUSPECT otherwise
KNIFE_RATE = np.array([0.09, 0.02, 0.005, 0.02, 0.01, 0.5, 0.25, 0.7, 0.08, 0.02])
SUBSTANCE_RATE = np.array([0.2, 0.18, 0.08, 0.25, 0.15, 0.3, 0.12, 0.15, 1.0, 0.35])


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per component, stable for a given seed."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


@dataclass
class Occurrences:
    minute: np.ndarray  # minutes since 1970-01-01
    group: np.ndarray
    lsoa: np.ndarray
    domestic: np.ndarray
    knife: np.ndarray
    substance: np.ndarray
    nte: np.ndarray


@dataclass
class PoliceNominals:
    person: np.ndarray
    occ: np.ndarray
    role: np.ndarray


@dataclass
class Referrals:
    person: np.ndarray
    day: np.ndarray
    council: np.ndarray
    source: np.ndarray
    need: np.ndarray
    cse: np.ndarray
    cce: np.ndarray
    missing: np.ndarray
    cpp: np.ndarray
    lac: np.ndarray


@dataclass
class Attendances:
    person: np.ndarray
    second: np.ndarray  # seconds since 1970-01-01
    site: np.ndarray
    location: np.ndarray
    weapon: np.ndarray
    admitted: np.ndarray
    reported: np.ndarray  # truth only: follows a police victim record of the same assault


@dataclass
class Outcomes:
    person: np.ndarray
    day: np.ndarray
    service: np.ndarray  # 0 Bedfordshire, 1 Luton
    outcome: np.ndarray
    offence_type: np.ndarray  # str
    fte: np.ndarray
    exploitation: np.ndarray
    nominal: np.ndarray  # index of the police nominal it follows


@dataclass
class World:
    population: Population
    occurrences: Occurrences
    police: PoliceNominals
    referrals: Referrals
    attendances: Attendances
    outcomes: Outcomes
    start_day: int
    end_day: int


class Calendar:
    def __init__(self, start_day: int, end_day: int):
        self.start_day, self.end_day = start_day, end_day
        self.days = np.arange(start_day, end_day + 1)
        self.month = self.days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
        self.weekday = (self.days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0

    def days_sample(self, rng: np.random.Generator, n: int, weekday: np.ndarray, month: np.ndarray = MONTH_WEIGHT) -> np.ndarray:
        w = month[self.month] * weekday[self.weekday]
        return self.days[rng.choice(self.days.size, size=n, p=w / w.sum())]

    def minutes(self, rng: np.random.Generator, days: np.ndarray, hours: np.ndarray) -> np.ndarray:
        h = rng.choice(24, size=days.size, p=hours / hours.sum())
        return days * MINUTES_PER_DAY + h * 60 + rng.integers(0, 60, size=days.size)

    def nte_minutes(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Weekend nights, 20:00 to 02:59, peaking around midnight."""
        night = self.days_sample(rng, n, WEEKDAY_NTE)
        h = rng.choice(NTE_HOURS.size, size=n, p=NTE_HOURS / NTE_HOURS.sum())
        m = night * MINUTES_PER_DAY + (20 + h) * 60 + rng.integers(0, 60, size=n)
        last = (self.end_day + 1) * MINUTES_PER_DAY - 1
        return np.where(m > last, m - 7 * MINUTES_PER_DAY, m)


def _pick(rng: np.random.Generator, p: tuple[float, ...] | np.ndarray, n: int) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return rng.choice(p.size, size=n, p=p / p.sum())


def _quota(rng: np.random.Generator, n: int, p: tuple[float, ...]) -> np.ndarray:
    """Categories in exact proportions ``p`` (largest remainder), shuffled."""
    share = np.asarray(p, dtype=float) / sum(p) * n
    counts = np.floor(share).astype(np.int64)
    counts[np.argsort(-(share - counts), kind="stable")[: n - int(counts.sum())]] += 1
    return rng.permutation(np.repeat(np.arange(len(p)), counts))


def _counts(rng: np.random.Generator, table: dict[int, float], n: int) -> np.ndarray:
    keys = np.array(list(table))
    return keys[_pick(rng, tuple(table.values()), n)]


def allocate(
    rng: np.random.Generator, need_male: np.ndarray, members: np.ndarray, member_male: np.ndarray, propensity: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Fill suspect slots from a pool so that every member is used at least once if possible.

    Returns the person for each slot and the members left unused (they get offences of
    their own). Slots beyond the pool's size go to members in proportion to ``propensity``
    (a heavy tail: a few prolific offenders).
    """
    out = np.empty(need_male.size, dtype=np.int64)
    if members.size == 0:
        raise ValueError("no members to allocate suspects from")
    order = rng.permutation(members.size)
    covered = np.zeros(members.size, dtype=bool)
    slots = np.flatnonzero(need_male)
    males = order[member_male[order]]
    k = min(slots.size, males.size)
    out[slots[:k]] = males[:k]
    covered[males[:k]] = True
    if slots.size > k:
        male_pos = np.flatnonzero(member_male) if member_male.any() else np.arange(members.size)
        w = propensity[male_pos]
        out[slots[k:]] = male_pos[rng.choice(male_pos.size, size=slots.size - k, p=w / w.sum())]
    slots = np.flatnonzero(~need_male)
    free = order[~covered[order]]
    k = min(slots.size, free.size)
    out[slots[:k]] = free[:k]
    covered[free[:k]] = True
    if slots.size > k:
        out[slots[k:]] = rng.choice(members.size, size=slots.size - k, p=propensity / propensity.sum())
    return members[out], members[~covered]


class ScenarioBuilder:
    def __init__(self, people: int, seed: int, start: dt.date, end: dt.date, county: County):
        self.people = people
        self.seed = seed
        self.county = county
        self.start_day, self.end_day = day_number(start), day_number(end)
        self.cal = Calendar(self.start_day, self.end_day)
        self.pb = PopulationBuilder(stream(seed, "population"), county, start, end)
        # accumulated events
        self._occ: list[dict[str, np.ndarray]] = []
        self._nominals: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._referrals: list[dict[str, np.ndarray]] = []
        self.n_occ = 0

    # --- helpers --------------------------------------------------------------------------------
    def rng(self, name: str) -> np.random.Generator:
        return stream(self.seed, name)

    def _add_occurrences(self, minute: np.ndarray, group: np.ndarray, domestic: bool | np.ndarray, nte: np.ndarray | None = None) -> np.ndarray:
        n = minute.size
        self._occ.append(
            {
                "minute": minute.astype(np.int64),
                "group": group.astype(np.int64),
                "domestic": np.broadcast_to(np.asarray(domestic, dtype=bool), (n,)).copy(),
                "nte": np.zeros(n, dtype=bool) if nte is None else nte.astype(bool),
            }
        )
        idx = np.arange(self.n_occ, self.n_occ + n)
        self.n_occ += n
        return idx

    def _add_nominals(self, person: np.ndarray, occ: np.ndarray, role: np.ndarray | int) -> None:
        role = np.broadcast_to(np.asarray(role), person.shape).astype(np.int64)
        self._nominals.append((person.astype(np.int64), occ.astype(np.int64), role.copy()))

    def _dob(self, age_years: np.ndarray, at_day: np.ndarray | int | None = None) -> np.ndarray:
        return self.pb.dob_from_age(age_years, at_day)

    # --- build ----------------------------------------------------------------------------------
    def build(self, progress=None) -> World:
        step = progress.update if progress is not None else (lambda n=1: None)
        n = self.people
        n_ce = max(2, int(round(CE_PER_10K_UNDER_25 / 10_000 * self.county.under_25_residents())))
        n_couples = int(round(SHARE["couples"] * n))
        n_sc = int(round(SHARE["social_care_child"] * n))
        fixed = {k: int(round(SHARE[k] * n)) for k in ("victim", "victim_offender", "witness", "ae_only")}
        n_off = n - n_ce - 2 * n_couples - n_sc - sum(fixed.values())
        if n_off < 10:
            raise ValueError(f"people={n} is too small for the scenario")

        self._exploited_children(n_ce)
        self._couples(n_couples, max_children=int(0.45 * n_sc))
        self._social_care_children(n_sc - self._n_da_children)
        step()
        victims = self._person_pool("victim", fixed["victim"], VICTIM_AGES, 0.5, 0.5)
        vo = self._person_pool("victim_offender", fixed["victim_offender"], VO_AGES, 0.75, 0.7)
        offenders = self._person_pool("offender", n_off, OFFENDER_AGES, 0.82, 0.7)
        witnesses = self._person_pool("witness", fixed["witness"], WITNESS_AGES, 0.5, 0.0)
        ae_only = self._person_pool("ae_only", fixed["ae_only"], AE_AGES, 0.68, 0.5)
        self.pop = pop = self.pb.finish()
        step()
        self._victim_occurrences(victims, vo)
        self._offender_occurrences_and_suspects(vo, offenders)
        self._witnesses(witnesses)
        occurrences, police = self._assemble_police()
        step()
        self._assign_pnc(police, occurrences)
        outcomes = self._yos_outcomes(police, occurrences)
        attendances = self._attendances(police, occurrences, ae_only)
        referrals = self._assemble_referrals()
        step()
        self._flags(police, occurrences, referrals, attendances, outcomes)
        return World(pop, occurrences, police, referrals, attendances, outcomes, self.start_day, self.end_day)

    # --- persons --------------------------------------------------------------------------------
    def _person_pool(self, cohort: str, n: int, ages: dict, p_male: float, risk: float) -> np.ndarray:
        rng = self.rng(f"pool:{cohort}")
        male = rng.random(n) < p_male
        dob = self._dob(sample_ages(rng, n, ages))
        return self.pb.add(cohort, male=male, dob=dob, risk_power=risk)

    def _exploited_children(self, n: int) -> None:
        rng = self.rng("exploited")
        # exact quotas, so that small runs show the pattern too
        kind = _quota(rng, n, (0.55, 0.35, 0.10))  # 0 CCE only, 1 CSE only, 2 both
        male = np.zeros(n, dtype=bool)
        for k, p_male in enumerate((0.78, 0.44, 0.5)):
            m = np.flatnonzero(kind == k)
            male[m] = _quota(rng, m.size, (1 - p_male, p_male)).astype(bool)
        age = sample_ages(rng, n, CE_AGES)
        dob = self._dob(age)
        idx = self.pb.add(
            "exploited_child", male=male, dob=dob, risk_power=0.7,
            council_weight={"Luton": 1.2, "Bedford": 1.05, "Central Bedfordshire": 0.85},
        )
        self.ce_index, self.ce_kind = idx, kind
        # Referrals: 1-5, at least one flagged with the concern(s), before the 18th birthday.
        last_day = np.minimum(self.end_day, dob + int(18 * DAYS_PER_YEAR) - 1)
        first_day = np.maximum(self.start_day, dob + int(10 * DAYS_PER_YEAR))
        k = np.minimum(1 + rng.poisson(0.9, n), 5)
        person = np.repeat(idx, k)
        span = np.repeat(last_day - first_day, k)
        day = np.repeat(first_day, k) + np.floor(rng.random(person.size) * np.maximum(span, 1)).astype(np.int64)
        flagged = rng.random(person.size) < 0.8
        first_of = np.concatenate([[0], np.cumsum(k)[:-1]])
        flagged[first_of + np.floor(rng.random(n) * k).astype(np.int64)] = True
        pk = np.repeat(kind, k)
        cse = flagged & (pk != 0)
        cce = flagged & (pk != 1)
        missing = np.where(flagged, rng.negative_binomial(1.2, 1.2 / 4.2, person.size), rng.poisson(0.6, person.size))
        self._add_referrals(
            rng, person, day, source_p=(0.45, 0.25, 0.10, 0.05, 0.15),
            need_p=(0.40, 0.0, 0.0, 0.10, 0.15, 0.35, 0.0, 0.0, 0.0), cpp=0.15, lac=0.25,
            cse=cse, cce=cce, missing=missing,
        )

    def _couples(self, n: int, max_children: int) -> None:
        rng = self.rng("couples")
        pb = self.pb
        v_male = rng.random(n) < 0.15
        v_age = sample_ages(rng, n, DA_VICTIM_AGES)
        p_male = np.where(rng.random(n) < 0.96, ~v_male, v_male)
        p_age = np.clip(v_age + rng.normal(2.5, 4.0, n), 17, 85)
        v_lsoa = pb.sample_lsoa(n, 0.5)
        v_pc = pb.sample_postcode(v_lsoa)
        v_eth = pb.sample_eth(v_lsoa)
        v_origin = pb.sample_origin(v_eth)
        cohabit = rng.random(n) < 0.7
        p_lsoa = np.where(cohabit, v_lsoa, pb.sample_lsoa(n, 0.5))
        p_pc = np.where(cohabit, v_pc, pb.sample_postcode(p_lsoa))
        same_eth = rng.random(n) < 0.85
        p_eth = np.where(same_eth, v_eth, pb.sample_eth(p_lsoa))
        p_origin = np.where(same_eth, v_origin, pb.sample_origin(p_eth))
        p_surname = pb.sample_surname(p_origin, p_male)
        v_surname = pb.sample_surname(v_origin, v_male)
        shared = cohabit & same_eth & (rng.random(n) < 0.4)
        taken = feminise_shared_surnames(p_surname, v_origin)
        v_surname = np.where(shared & ~v_male, taken, v_surname)
        victims = pb.add("da_victim", male=v_male, dob=self._dob(v_age), lsoa=v_lsoa, postcode=v_pc, eth=v_eth, origin=v_origin, surname=v_surname)
        perps = pb.add("da_perpetrator", male=p_male, dob=self._dob(p_age), lsoa=p_lsoa, postcode=p_pc, eth=p_eth, origin=p_origin, surname=p_surname)
        self.da_victims, self.da_perps = victims, perps
        # DA occurrences: a first one, then repeats at exponential gaps (mean 45 days).
        k = _counts(rng, DA_REPEATS, n)
        couple = np.repeat(np.arange(n), k)
        first = self.cal.days_sample(rng, n, WEEKDAY_DA)
        seq = np.arange(couple.size) - np.repeat(np.concatenate([[0], np.cumsum(k)[:-1]]), k)
        gaps = np.where(seq == 0, 0, np.ceil(rng.exponential(45.0, couple.size))).astype(np.int64)
        day = np.repeat(first, k) + self._cumsum_within(gaps, k)
        keep = day <= self.end_day
        couple, day, seq = couple[keep], day[keep], seq[keep]
        last = np.r_[couple[1:] != couple[:-1], True]
        group = _pick(rng, DA_GROUPS, couple.size)
        homicide = last & (rng.random(couple.size) < 0.002)
        group[homicide] = HOMICIDE
        minute = self.cal.minutes(rng, day, HOURS_DA)
        occ = self._add_occurrences(minute, group, True)
        self._add_nominals(victims[couple], occ, ROLE_VICTIM)
        role = np.where(rng.random(couple.size) < 0.35, ROLE_OFFENDER, ROLE_SUSPECT)
        self._add_nominals(perps[couple], occ, role)
        self.da_occ, self.da_couple = occ, couple
        # Children of cohabiting couples, referred by the police after a DA incident.
        eligible = np.flatnonzero(cohabit & (v_age >= 20) & (v_age <= 45) & (rng.random(n) < 0.45))
        n_kids = _counts(rng, {1: 0.5, 2: 0.35, 3: 0.15}, eligible.size)
        cum = np.cumsum(n_kids)
        eligible, n_kids = eligible[cum <= max_children], n_kids[cum <= max_children]
        fam = np.repeat(eligible, n_kids)
        mother_age = np.where(v_male[fam], p_age[fam], v_age[fam])
        kid_age = rng.random(fam.size) * np.clip(mother_age - 17, 1, 16)
        kid_male = rng.random(fam.size) < 0.51
        # children carry the father's surname more often than the mother's
        father_surname = np.where(p_male[fam], p_surname[fam], v_surname[fam])
        mother_surname = np.where(p_male[fam], v_surname[fam], p_surname[fam])
        surname = np.where(rng.random(fam.size) < 0.65, father_surname, mother_surname)
        surname = np.where(kid_male, surname, feminise_shared_surnames(surname, v_origin[fam]))
        kids = pb.add(
            "social_care_child", male=kid_male, dob=self._dob(kid_age), lsoa=v_lsoa[fam], postcode=v_pc[fam],
            eth=v_eth[fam], origin=v_origin[fam], surname=surname,
        )
        self._n_da_children = kids.size
        self.da_children, self.da_child_couple = kids, fam
        # Each child is referred after the couple's first DA occurrence, and after some repeats.
        occ_day = minute // MINUTES_PER_DAY
        first_occ = np.full(n, -1)
        with_occ, first_index = np.unique(couple, return_index=True)
        first_occ[with_occ] = first_index
        has_occ = first_occ[fam] >= 0
        kids, fam = kids[has_occ], fam[has_occ]
        ref_day = occ_day[first_occ[fam]] + rng.integers(1, 11, kids.size)
        extra_mask = (seq > 0) & (rng.random(couple.size) < 0.35)
        extra_couple, extra_day = couple[extra_mask], occ_day[extra_mask]
        order = np.argsort(fam, kind="stable")
        kid_by_couple = {}
        for kid, c in zip(kids[order], fam[order]):
            kid_by_couple.setdefault(int(c), []).append(int(kid))
        e_person, e_day = [], []
        for c, d in zip(extra_couple, extra_day):
            for kid in kid_by_couple.get(int(c), ()):
                e_person.append(kid)
                e_day.append(int(d) + 1 + int(rng.integers(0, 10)))
        person = np.concatenate([kids, np.array(e_person, dtype=np.int64)])
        day = np.concatenate([ref_day, np.array(e_day, dtype=np.int64)])
        dob = self.pb.chunk_values("dob")[person]
        ok = (day <= self.end_day) & (day < dob + int(18 * DAYS_PER_YEAR)) & (day >= dob)
        self._add_referrals(
            rng, person[ok], day[ok], source_p=(0.9, 0.03, 0.03, 0.0, 0.04),
            need_p=(0.85, 0.0, 0.0, 0.10, 0.05, 0.0, 0.0, 0.0, 0.0), cpp=0.18, lac=0.06,
        )
        # DA-household children with no referral (their couple's only incident fell after the
        # end) still need a record: refer them independently.
        referred = np.zeros(self.pb.count, dtype=bool)
        referred[person[ok]] = True
        unreferred = self.da_children[~referred[self.da_children]]
        self._independent_referrals(rng, unreferred)

    @staticmethod
    def _cumsum_within(values: np.ndarray, k: np.ndarray) -> np.ndarray:
        c = np.cumsum(values)
        starts = np.repeat(np.concatenate([[0], np.cumsum(k)[:-1]]), k)
        base = np.concatenate([[0], c])[starts]
        return c - base

    def _independent_referrals(self, rng: np.random.Generator, persons: np.ndarray) -> None:
        """One referral each, at a day when the child is 0-17, within the period."""
        if persons.size == 0:
            return
        dob = self.pb.chunk_values("dob")[persons]
        lo = np.maximum(self.start_day, dob)
        hi = np.minimum(self.end_day, dob + int(18 * DAYS_PER_YEAR) - 1)
        day = lo + np.floor(rng.random(persons.size) * np.maximum(hi - lo, 1)).astype(np.int64)
        self._add_referrals(
            rng, persons, day, source_p=(0.22, 0.22, 0.16, 0.08, 0.32),
            need_p=(0.52, 0.04, 0.03, 0.09, 0.02, 0.03, 0.02, 0.08, 0.17), cpp=0.10, lac=0.05,
        )

    def _social_care_children(self, n: int) -> None:
        """Children referred for other reasons: singles, siblings and a few twins."""
        rng = self.rng("social_care")
        pb = self.pb
        if n <= 0:
            return
        sizes = _counts(rng, {1: 0.80, 2: 0.12, 3: 0.05, 4: 0.03}, n)  # 4 encodes twins (2 children)
        children = np.where(sizes == 4, 2, sizes)
        cum = np.cumsum(children)
        keep = cum <= n
        sizes, children = sizes[keep], children[keep]
        short = n - int(children.sum())
        sizes = np.concatenate([sizes, np.ones(short, dtype=np.int64)])
        children = np.concatenate([children, np.ones(short, dtype=np.int64)])
        n_fam = sizes.size
        fam = np.repeat(np.arange(n_fam), children)
        pos = np.arange(fam.size) - np.repeat(np.concatenate([[0], np.cumsum(children)[:-1]]), children)
        twins = np.repeat(sizes == 4, children)
        ref_day = self.cal.days_sample(rng, n_fam, WEEKDAY_WORK, MONTH_WEIGHT * np.array([1, 1, 1, 1, 1, 1, 1, 0.7, 1, 1, 1, 0.9]))
        head_age = sample_ages(rng, n_fam, CHILD_AGES_AT_REFERRAL)
        offset = np.where(pos == 0, 0.0, rng.uniform(1.2, 6.0, fam.size) * np.where(rng.random(fam.size) < 0.5, -1, 1))
        offset = np.where(twins, 0.0, offset)
        age = np.clip(head_age[fam] + offset, 0.05, 17.9)
        age = np.where(twins & (pos > 0), head_age[fam], age)
        day = ref_day[fam]
        dob = (day - np.floor(age * DAYS_PER_YEAR)).astype(np.int64)
        dob = np.where(twins & (pos > 0), np.repeat(dob[pos == 0], children)[np.arange(fam.size)], dob)
        male = rng.random(fam.size) < 0.52
        lsoa = pb.sample_lsoa(n_fam, 0.5)
        eth = pb.sample_eth(lsoa)
        origin = pb.sample_origin(eth)
        surname_m = pb.sample_surname(origin, np.ones(n_fam, dtype=bool))
        surname = np.where(male, surname_m[fam], feminise_shared_surnames(surname_m[fam], origin[fam]))
        pc = pb.sample_postcode(lsoa)
        idx = pb.add("social_care_child", male=male, dob=dob, lsoa=lsoa[fam], postcode=pc[fam], eth=eth[fam], origin=origin[fam], surname=surname)
        # siblings are referred together most of the time
        together = np.repeat(rng.random(n_fam) < 0.7, children)
        alone_day = self.cal.days_sample(rng, fam.size, WEEKDAY_WORK)
        day = np.where((pos == 0) | together, day, alone_day)
        day = np.clip(day, dob, dob + int(18 * DAYS_PER_YEAR) - 1)
        # re-referrals
        extra = _counts(rng, {0: 0.78, 1: 0.15, 2: 0.05, 3: 0.02}, fam.size)
        rep = np.repeat(np.arange(fam.size), extra)
        gaps = self._cumsum_within(rng.integers(30, 400, rep.size), extra)
        r_person = np.concatenate([idx, idx[rep]])
        r_day = np.concatenate([day, day[rep] + gaps])
        r_dob = np.concatenate([dob, dob[rep]])
        ok = (r_day <= self.end_day) & (r_day >= self.start_day) & (r_day < r_dob + int(18 * DAYS_PER_YEAR)) & (r_day >= r_dob)
        self._add_referrals(
            rng, r_person[ok], r_day[ok], source_p=(0.22, 0.22, 0.16, 0.08, 0.32),
            need_p=(0.52, 0.04, 0.03, 0.09, 0.02, 0.03, 0.02, 0.08, 0.17), cpp=0.10, lac=0.05,
        )
        referred = np.zeros(pb.count, dtype=bool)
        referred[r_person[ok]] = True
        self._independent_referrals(rng, idx[~referred[idx]])
        self.sc_children = idx

    def _add_referrals(self, rng, person, day, *, source_p, need_p, cpp, lac, cse=None, cce=None, missing=None) -> None:
        n = person.size
        self._referrals.append(
            {
                "person": person.astype(np.int64),
                "day": day.astype(np.int64),
                "source": _pick(rng, source_p, n),
                "need": _pick(rng, need_p, n),
                "cse": np.zeros(n, dtype=bool) if cse is None else cse,
                "cce": np.zeros(n, dtype=bool) if cce is None else cce,
                "missing": rng.poisson(0.08, n) if missing is None else missing,
                "cpp": rng.random(n) < cpp,
                "lac": rng.random(n) < lac,
            }
        )

    # --- police -----------------------------------------------------------------------------------
    def _victim_groups(self, rng, person: np.ndarray, forced: np.ndarray) -> np.ndarray:
        pop = self.pop
        age = pop.age_at(person, np.full(person.size, self.start_day + 365))
        male = pop.male[person]
        key = np.where(age < 13, 0, np.where(age < 18, np.where(male, 2, 1), np.where(male, 4, 3)))
        names = ("child", "F_teen", "M_teen", "F_adult", "M_adult")
        group = np.empty(person.size, dtype=np.int64)
        for k, name in enumerate(names):
            m = key == k
            group[m] = _pick(rng, GROUP_BY_VICTIM[name], int(m.sum()))
        return np.where(forced >= 0, forced, group)

    def _victim_occurrences(self, victims: np.ndarray, vo: np.ndarray) -> None:
        rng = self.rng("victim_occurrences")
        pop = self.pop
        # victim slots: every victim once, victim-offenders 1-2 times, some exploited and
        # social-care children, then repeat victims until DA is ~40% of violence + sexual.
        ce_victim = self.ce_index[rng.random(self.ce_index.size) < np.array([0.35, 0.55, 0.5])[self.ce_kind]]
        ce_forced = np.where(np.isin(ce_victim, self.ce_index[self.ce_kind == 0]), _pick(rng, (0.6, 0, 0, 0, 0, 0, 0.4), ce_victim.size),
                             _pick(rng, (0.05, 0.05, 0.15, 0.25, 0.5), ce_victim.size))
        sc_old = self.sc_children[pop.age_at(self.sc_children, np.full(self.sc_children.size, self.end_day)) >= 1]
        sc_victim = sc_old[rng.random(sc_old.size) < 0.08]
        vo_victim = np.concatenate([vo, vo[rng.random(vo.size) < 0.4]])
        base = np.concatenate([victims, vo_victim, ce_victim, sc_victim])
        forced = np.concatenate([np.full(victims.size + vo_victim.size, -1), ce_forced, np.full(sc_victim.size, -1)])
        group = self._victim_groups(rng, base, forced)
        vso = np.isin(group, codes.VIOLENCE_AND_SEXUAL)
        da_vso = int(sum(np.isin(c["group"], codes.VIOLENCE_AND_SEXUAL).sum() for c in self._occ if c["domestic"].all()))
        target = int(round(da_vso * (1 - DA_SHARE_OF_VSO) / DA_SHARE_OF_VSO))
        short = target - int(vso.sum())
        if short > 0:
            propensity = rng.gamma(0.8, 1.0, victims.size)
            extra = victims[rng.choice(victims.size, size=int(short * 1.3) + 10, p=propensity / propensity.sum())]
            extra_group = self._victim_groups(rng, extra, np.full(extra.size, -1))
            cum = np.cumsum(np.isin(extra_group, codes.VIOLENCE_AND_SEXUAL))
            take = int(np.searchsorted(cum, short) + 1)
            base = np.concatenate([base, extra[:take]])
            group = np.concatenate([group, extra_group[:take]])
        n = base.size
        age = pop.age_at(base, np.full(n, self.start_day + 365))
        male = pop.male[base]
        nte_p = np.where(male, 0.42, 0.28) * ((age >= 18) & (age <= 40))
        nte_p = np.where(np.isin(group, (VWI, VWO, SEXUAL, PUBLIC_ORDER)), nte_p, np.where(group == ROBBERY, nte_p * 0.5, 0))
        nte = rng.random(n) < nte_p
        minute = np.where(nte, self.cal.nte_minutes(rng, n), self.cal.minutes(rng, self.cal.days_sample(rng, n, WEEKDAY_FLAT), HOURS_GENERAL))
        # children: assaults at school in term time, during the day
        child = age < 16
        school = child & (rng.random(n) < 0.3)
        minute = np.where(school, self.cal.minutes(rng, self.cal.days_sample(rng, n, WEEKDAY_WORK), HOURS_SCHOOL), minute)
        occ = self._add_occurrences(minute, group, False, nte)
        self._add_nominals(base, occ, ROLE_VICTIM)
        self.victim_occ, self.victim_occ_person = occ, base
        self.ce_involved_occ = set(occ[np.isin(base, self.ce_index)].tolist())
        # suspects wanted for each victim occurrence
        probs = {
            "default": (0.30, 0.52, 0.13, 0.05),
            RAPE: (0.25, 0.75, 0, 0), SEXUAL: (0.25, 0.75, 0, 0), STALK: (0.15, 0.85, 0, 0),
            ROBBERY: (0.35, 0.35, 0.20, 0.10), PUBLIC_ORDER: (0.40, 0.50, 0.10, 0), HOMICIDE: (0.0, 0.7, 0.3, 0),
        }
        k = _pick(rng, probs["default"], n)
        for g, p in probs.items():
            if g != "default":
                m = group == g
                k[m] = _pick(rng, p, int(m.sum()))
        s_occ = np.repeat(occ, k)
        s_group = np.repeat(group, k)
        victim_age = np.repeat(age, k)
        youth_p = np.where(victim_age < 18, 0.6, np.where(s_group == ROBBERY, 0.35, 0.08))
        self.demand_occ = [s_occ]
        self.demand_youth = [rng.random(s_occ.size) < youth_p]
        self.demand_male = [np.isin(s_group, (RAPE, SEXUAL)) | (rng.random(s_occ.size) < 0.3)]

    def _offender_occurrences_and_suspects(self, vo: np.ndarray, offenders: np.ndarray) -> None:
        rng = self.rng("suspects")
        pop = self.pop
        n = int(round(OFFENDER_ONLY_OCCURRENCES * self.people))
        occ, youth = self._offender_only(rng, n, youth_share=0.25)
        self.demand_occ.append(occ)
        self.demand_youth.append(youth)
        self.demand_male.append(rng.random(occ.size) < 0.3)
        # pools: youth (16 or under at the start) and adults
        cce_suspects = self.ce_index[rng.random(self.ce_index.size) < np.array([0.70, 0.10, 0.5])[self.ce_kind]]
        sc_older = self.sc_children[pop.age_at(self.sc_children, np.full(self.sc_children.size, self.start_day)) >= 12]
        sc_suspects = sc_older[rng.random(sc_older.size) < 0.04]
        members = np.concatenate([offenders, vo, cce_suspects, sc_suspects])
        age0 = pop.age_at(members, np.full(members.size, self.start_day))
        is_youth = age0 <= 16
        propensity = rng.gamma(0.6, 1.0, members.size) + 0.05
        propensity[np.isin(members, cce_suspects)] *= 3
        d_occ = np.concatenate(self.demand_occ)
        d_youth = np.concatenate(self.demand_youth)
        d_male = np.concatenate(self.demand_male)
        person = np.empty(d_occ.size, dtype=np.int64)
        leftovers = []
        for flag in (True, False):
            slots = np.flatnonzero(d_youth == flag)
            pool = np.flatnonzero(is_youth == flag)
            assigned, unused = allocate(rng, d_male[slots], members[pool], pop.male[members[pool]], propensity[pool])
            person[slots] = assigned
            leftovers.append(unused)
        unused = np.concatenate(leftovers)
        # members no victim occurrence needed get an offence of their own
        own_occ, _ = self._offender_only(rng, unused.size, youth_share=0.0, pair_share=0.0)
        person = np.concatenate([person, unused])
        d_occ = np.concatenate([d_occ, own_occ])
        # no one twice in one occurrence
        pair = d_occ * (pop.size + 1) + person
        _, first = np.unique(pair, return_index=True)
        keep = np.zeros(pair.size, dtype=bool)
        keep[first] = True
        person, d_occ = person[keep], d_occ[keep]
        group = np.concatenate([c["group"] for c in self._occ])[d_occ]
        offender_p = np.array([OFFENDER_RATE.get(g, 0.3) for g in range(len(codes.OFFENCE_GROUPS))])[group]
        role = np.where(rng.random(person.size) < offender_p, ROLE_OFFENDER, ROLE_SUSPECT)
        self._add_nominals(person, d_occ, role)
        self.ce_involved_occ |= set(d_occ[np.isin(person, self.ce_index)].tolist())

    def _offender_only(self, rng, n: int, youth_share: float, pair_share: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
        """Drug, weapon and public order occurrences with no victim; returns suspect demand."""
        if n == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=bool)
        group = np.array([DRUGS, WEAPONS, PUBLIC_ORDER])[_pick(rng, (0.55, 0.25, 0.20), n)]
        days = self.cal.days_sample(rng, n, WEEKDAY_WORK)
        minute = self.cal.minutes(rng, days, HOURS_PROACTIVE)
        occ = self._add_occurrences(minute, group, False)
        k = 1 + (rng.random(n) < pair_share)
        return np.repeat(occ, k), rng.random(int(k.sum())) < youth_share

    def _witnesses(self, witnesses: np.ndarray) -> None:
        rng = self.rng("witnesses")
        slots = np.concatenate([witnesses, witnesses[rng.random(witnesses.size) < 0.07]])
        da = np.concatenate([c["domestic"] for c in self._occ])
        grp = np.concatenate([c["group"] for c in self._occ])
        cand = np.flatnonzero(~np.isin(grp, (DRUGS,)))
        w = np.where(da[cand], 0.15, 1.0)
        occ = cand[rng.choice(cand.size, size=slots.size, p=w / w.sum())]
        self._add_nominals(slots, occ, ROLE_WITNESS)

    def _assemble_police(self) -> tuple[Occurrences, PoliceNominals]:
        rng = self.rng("police_assemble")
        pop, county = self.pop, self.county
        cat = lambda k: np.concatenate([c[k] for c in self._occ])  # noqa: E731
        minute, group, domestic, nte = cat("minute"), cat("group"), cat("domestic"), cat("nte")
        person = np.concatenate([x[0] for x in self._nominals])
        occ = np.concatenate([x[1] for x in self._nominals])
        role = np.concatenate([x[2] for x in self._nominals])
        # drop nominals of suspects too young to be criminally responsible
        day = minute[occ] // MINUTES_PER_DAY
        age = pop.age_at(person, day)
        ok = ~((role != ROLE_VICTIM) & (age < 10)) & (day >= pop.dob[person])
        person, occ, role, day = person[ok], occ[ok], role[ok], day[ok]
        n_occ = minute.size
        # location: DA at home, night-time economy in town centres, else near victim or suspect
        first_victim = np.full(n_occ, -1)
        first_suspect = np.full(n_occ, -1)
        for target, mask in ((first_victim, role == ROLE_VICTIM), (first_suspect, (role == ROLE_SUSPECT) | (role == ROLE_OFFENDER))):
            rows = np.flatnonzero(mask)
            occs, first_index = np.unique(occ[rows], return_index=True)
            target[occs] = person[rows[first_index]]
        occ_day = minute // MINUTES_PER_DAY
        anchor = np.where(first_victim >= 0, first_victim, first_suspect)
        anchor = np.where(anchor >= 0, anchor, 0)
        home = pop.lsoa_at(anchor, occ_day)
        suspect_home = pop.lsoa_at(np.where(first_suspect >= 0, first_suspect, anchor), occ_day)
        council = county.lsoa_council[home]
        centres = [np.flatnonzero(county.town_centre & (county.lsoa_council == c)) for c in range(len(COUNCILS))]
        big_centres = np.flatnonzero(county.town_centre & (county.lsoa_council != 1))
        centre = np.empty(n_occ, dtype=np.int64)
        for c, pool in enumerate(centres):
            m = council == c
            centre[m] = pool[rng.integers(0, pool.size, int(m.sum()))]
        far = rng.random(n_occ) < 0.25
        centre[far] = big_centres[rng.integers(0, big_centres.size, int(far.sum()))]
        w = county.residents() * deprivation_risk(county.imd_decile) ** 2
        nearby = np.empty(n_occ, dtype=np.int64)
        for c in range(len(COUNCILS)):
            m = np.flatnonzero(council == c)
            pool = np.flatnonzero(county.lsoa_council == c)
            nearby[m] = pool[rng.choice(pool.size, size=m.size, p=w[pool] / w[pool].sum())]
        u = rng.random(n_occ)
        lsoa = np.where(u < 0.45, home, np.where(u < 0.6, suspect_home, np.where(u < 0.85, nearby, centre)))
        lsoa = np.where(nte, centre, lsoa)
        lsoa = np.where(domestic, np.where(rng.random(n_occ) < 0.8, home, suspect_home), lsoa)
        ce = np.zeros(n_occ, dtype=bool)
        ce[list(self.ce_involved_occ)] = True
        knife_p = KNIFE_RATE[group] * np.where(domestic, 0.6, 1.0) + np.where(ce, 0.2, 0.0)
        knife = rng.random(n_occ) < knife_p
        sub_p = np.where(nte, 0.85, np.where(domestic, 0.35, SUBSTANCE_RATE[group]))
        substance = rng.random(n_occ) < sub_p
        occurrences = Occurrences(minute, group, lsoa, domestic, knife, substance, nte)
        return occurrences, PoliceNominals(person, occ, role)

    def _assign_pnc(self, police: PoliceNominals, occ: Occurrences) -> None:
        rng = self.rng("pnc")
        pop = self.pop
        day = occ.minute[police.occ] // MINUTES_PER_DAY
        suspect = police.role != ROLE_VICTIM
        suspect &= police.role != ROLE_WITNESS
        first = np.full(pop.size, np.iinfo(np.int64).max)
        np.minimum.at(first, police.person[suspect], day[suspect])
        is_suspect = first < np.iinfo(np.int64).max
        youth = pop.age_at(np.arange(pop.size), np.full(pop.size, self.start_day)) <= 17
        gets = (is_suspect & (rng.random(pop.size) < 0.93)) | (is_suspect & youth)
        in_police = np.zeros(pop.size, dtype=bool)
        in_police[police.person] = True
        gets |= in_police & ~is_suspect & (rng.random(pop.size) < 0.04)
        persons = np.flatnonzero(gets)
        first_day = np.where(is_suspect[persons], first[persons], self.start_day + rng.integers(0, 365, persons.size) - 3 * 365)
        first_year = year_of(first_day)
        new_share = np.where(youth[persons], 0.5, 0.2)
        assign_pnc(rng, pop, persons, first_year, new_share)

    def _yos_outcomes(self, police: PoliceNominals, occ: Occurrences) -> Outcomes:
        rng = self.rng("yos")
        pop = self.pop
        day = occ.minute[police.occ] // MINUTES_PER_DAY
        age = pop.age_at(police.person, day)
        suspect = (police.role == ROLE_SUSPECT) | (police.role == ROLE_OFFENDER)
        is_ce = np.zeros(pop.size, dtype=bool)
        is_ce[self.ce_index] = True
        p = np.where(is_ce[police.person], 0.6, 0.45)
        cand = np.flatnonzero(suspect & (age >= 10) & (age <= 17) & (rng.random(police.person.size) < p) & (pop.pnc_year[police.person] > 0))
        out_day = day[cand] + 14 + np.floor(rng.gamma(2.0, 30.0, cand.size)).astype(np.int64)
        out_age = pop.age_at(police.person[cand], out_day)
        ok = (out_day <= self.end_day) & (out_age <= 17)
        cand, out_day = cand[ok], out_day[ok]
        person = police.person[cand]
        police.role[cand] = ROLE_OFFENDER
        order = np.lexsort((cand, out_day))
        cand, out_day, person = cand[order], out_day[order], person[order]
        _, first_index = np.unique(person, return_index=True)  # outcomes are in date order
        is_first = np.zeros(cand.size, dtype=bool)
        is_first[first_index] = True
        fte = is_first & (pop.pnc_year[person] >= year_of(np.array([self.start_day]))[0]) & (rng.random(cand.size) < 0.9)
        council = self.county.lsoa_council[pop.lsoa_at(person, out_day)]
        service = (council == 2).astype(np.int64)
        outcome = _pick(rng, codes.OUTCOME_WEIGHTS, cand.size)
        group = occ.group[police.occ[cand]]
        offence_type = np.array([codes.YOS_OFFENCE_TYPE_BY_GROUP[g] for g in group.tolist()], dtype=object)
        exploitation = np.where(is_ce[person], rng.random(cand.size) < 0.8, rng.random(cand.size) < 0.03)
        return Outcomes(person, out_day, service, outcome, offence_type, fte, exploitation, cand)

    def _attendances(self, police: PoliceNominals, occ: Occurrences, ae_only: np.ndarray) -> Attendances:
        rng = self.rng("health")
        pop = self.pop
        # reported: victims of injuring offences who went to A&E
        victim = police.role == ROLE_VICTIM
        group = occ.group[police.occ]
        domestic = occ.domestic[police.occ]
        p = np.zeros(police.person.size)
        p[group == VWI] = 0.26
        p[(group == VWI) & domestic] = 0.15
        p[group == ROBBERY] = 0.12
        p[group == RAPE] = 0.15
        p[group == SEXUAL] = 0.03
        p[group == VWO] = 0.03
        rep = np.flatnonzero(victim & (rng.random(p.size) < p))
        u = rng.random(rep.size)
        delay = np.where(
            u < 0.70, rng.integers(20, 360, rep.size),
            np.where(u < 0.85, rng.integers(360, 1440, rep.size),
                     np.where(u < 0.95, rng.integers(1440, 3 * 1440, rep.size), rng.integers(3 * 1440, 14 * 1440, rep.size))),
        )
        r_minute = occ.minute[police.occ[rep]] + delay
        r_person = police.person[rep]
        r_loc = np.where(occ.domestic[police.occ[rep]], 0, np.where(occ.nte[police.occ[rep]], np.where(rng.random(rep.size) < 0.6, 2, 1), _pick(rng, (0.1, 0.5, 0.0, 0.1, 0.3), rep.size)))
        r_knife = occ.knife[police.occ[rep]]
        # unreported: A&E-only people, and some people the police know from other incidents
        is_ce = np.isin(np.arange(pop.size), self.ce_index)
        cohort = pop.cohort
        share = np.zeros(pop.size)
        share[is_ce] = 0.25
        share[self.da_victims] = 0.12
        share[cohort == 6] = 0.06  # offenders
        share[cohort == 4] = 0.04  # victims
        share[self.sc_children] = 0.02
        known = np.flatnonzero(rng.random(pop.size) < share)
        u_person = np.concatenate([ae_only, ae_only[rng.random(ae_only.size) < 0.09], known])
        n_u = u_person.size
        nte = rng.random(n_u) < 0.45
        u_minute = np.where(nte, self.cal.nte_minutes(rng, n_u), self.cal.minutes(rng, self.cal.days_sample(rng, n_u, WEEKDAY_FLAT), HOURS_GENERAL))
        # keep unreported attendances clear of the person's police victim records (+-14 days)
        v_person, v_minute = police.person[victim], occ.minute[police.occ[victim]]
        order = np.lexsort((v_minute, v_person))
        v_person, v_minute = v_person[order], v_minute[order]
        for _ in range(6):
            clash = self._near(u_person, u_minute, v_person, v_minute, 14 * MINUTES_PER_DAY)
            if not clash.any():
                break
            k = int(clash.sum())
            u_minute[clash] = self.cal.minutes(rng, self.cal.days_sample(rng, k, WEEKDAY_FLAT), HOURS_GENERAL)
        clash = self._near(u_person, u_minute, v_person, v_minute, 14 * MINUTES_PER_DAY)
        u_person, u_minute, nte = u_person[~clash], u_minute[~clash], nte[~clash]
        n_u = u_person.size
        u_age = pop.age_at(u_person, u_minute // MINUTES_PER_DAY)
        u_loc = np.where(nte, _pick(rng, (0.05, 0.4, 0.55, 0.0, 0.0), n_u), _pick(rng, (0.3, 0.4, 0.05, 0.0, 0.25), n_u))
        u_loc = np.where((u_age < 17) & (rng.random(n_u) < 0.25), 3, u_loc)
        u_loc = np.where(np.isin(u_person, self.da_victims), 0, u_loc)
        u_knife = rng.random(n_u) < np.where(is_ce[u_person], 0.3, 0.07)
        person = np.concatenate([r_person, u_person])
        minute = np.concatenate([r_minute, u_minute])
        loc = np.concatenate([r_loc, u_loc])
        knife = np.concatenate([r_knife, u_knife])
        reported = np.concatenate([np.ones(r_person.size, dtype=bool), np.zeros(n_u, dtype=bool)])
        ok = (minute < (self.end_day + 1) * MINUTES_PER_DAY) & (minute // MINUTES_PER_DAY >= pop.dob[person])
        person, minute, loc, knife, reported = person[ok], minute[ok], loc[ok], knife[ok], reported[ok]
        n = person.size
        weapon = np.where(knife, 1, _pick(rng, (0.55, 0.0, 0.12, 0.004, 0.08, 0.25), n))
        admitted = rng.random(n) < np.where(knife, 0.35, 0.12)
        district = self.county.lsoa_district[pop.lsoa_at(person, minute // MINUTES_PER_DAY)]
        site = np.where(np.char.startswith(district.astype(str), "LU") | (district == "MK17"), 0, 1)
        second = minute * 60 + rng.integers(0, 60, n)
        return Attendances(person, second, site, loc, weapon, admitted, reported)

    @staticmethod
    def _near(person: np.ndarray, minute: np.ndarray, v_person: np.ndarray, v_minute: np.ndarray, window: int) -> np.ndarray:
        """Whether each (person, minute) lies within ``window`` of one of that person's
        records in (v_person, v_minute), which must be sorted by person then minute."""
        if v_person.size == 0 or person.size == 0:
            return np.zeros(person.size, dtype=bool)
        key_v = v_person.astype(np.float64) * 1e9 + v_minute
        key = person.astype(np.float64) * 1e9 + minute
        pos = np.searchsorted(key_v, key)
        clash = np.zeros(person.size, dtype=bool)
        for cand in (pos - 1, pos):
            ok = (cand >= 0) & (cand < v_person.size)
            c = np.clip(cand, 0, v_person.size - 1)
            clash |= ok & (v_person[c] == person) & (np.abs(v_minute[c] - minute) <= window)
        return clash

    def _assemble_referrals(self) -> Referrals:
        cat = lambda k: np.concatenate([c[k] for c in self._referrals])  # noqa: E731
        person, day = cat("person"), cat("day")
        council = self.county.lsoa_council[self.pop.lsoa_at(person, day)]
        return Referrals(person, day, council, cat("source"), cat("need"), cat("cse"), cat("cce"), cat("missing"), cat("cpp"), cat("lac"))

    def _flags(self, police, occ, referrals, attendances, outcomes) -> None:
        pop = self.pop
        f = pop.flags
        n = pop.size

        def mark(idx: np.ndarray) -> np.ndarray:
            out = np.zeros(n, dtype=bool)
            out[idx] = True
            return out

        f["is_da_victim"] = mark(self.da_victims)
        f["is_da_perpetrator"] = mark(self.da_perps)
        f["exploitation_risk_cse"] = mark(self.ce_index[self.ce_kind != 0])
        f["exploitation_risk_cce"] = mark(self.ce_index[self.ce_kind != 1])
        f["police_victim"] = mark(police.person[police.role == ROLE_VICTIM])
        f["police_suspect"] = mark(police.person[(police.role == ROLE_SUSPECT) | (police.role == ROLE_OFFENDER)])
        f["police_witness"] = mark(police.person[police.role == ROLE_WITNESS])
        f["in_social_care"] = mark(referrals.person)
        f["in_health"] = mark(attendances.person)
        f["in_yos"] = mark(outcomes.person)
        f["moved"] = pop.move_day >= 0
        f["has_pnc"] = pop.pnc_year > 0
