"""The persons stage: pools of victims, offenders, witnesses and A&E-only persons, children at
risk of exploitation, domestic-abuse couples and their children, and the social care
referrals of all children."""

from __future__ import annotations

import numpy as np

from ..codes import HOMICIDE
from ..population import DAYS_PER_YEAR, feminise_shared_surnames, sample_ages
from .base import BuilderState
from .parameters import (
    CE_AGES,
    CHILD_AGES_AT_REFERRAL,
    DA_GROUPS,
    DA_REPEATS,
    DA_VICTIM_AGES,
    HOURS_DA,
    MINUTES_PER_DAY,
    MONTH_WEIGHT,
    ROLE_OFFENDER,
    ROLE_SUSPECT,
    ROLE_VICTIM,
    WEEKDAY_DA,
    WEEKDAY_WORK,
)
from .sampling import pick, pick_counts, quota


class PersonsMixin(BuilderState):
    """Adds the persons of the scenario and the social care referrals of the children among them."""

    def _person_pool(self, cohort: str, n: int, ages: dict, p_male: float, risk: float) -> np.ndarray:
        rng = self.rng(f"pool:{cohort}")
        male = rng.random(n) < p_male
        dob = self._dob(sample_ages(rng, n, ages))
        return self.pb.add(cohort, male=male, dob=dob, risk_power=risk)

    def _exploited_children(self, n: int) -> None:
        rng = self.rng("exploited")
        # exact quotas, so that small runs show the pattern too
        kind = quota(rng, n, (0.55, 0.35, 0.10))  # 0 CCE only, 1 CSE only, 2 both
        male = np.zeros(n, dtype=bool)
        for k, p_male in enumerate((0.78, 0.44, 0.5)):
            m = np.flatnonzero(kind == k)
            male[m] = quota(rng, m.size, (1 - p_male, p_male)).astype(bool)
        age = sample_ages(rng, n, CE_AGES)
        dob = self._dob(age)
        idx = self.pb.add(
            "exploited_child",
            male=male,
            dob=dob,
            risk_power=0.7,
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
            rng,
            person,
            day,
            source_p=(0.45, 0.25, 0.10, 0.05, 0.15),
            need_p=(0.40, 0.0, 0.0, 0.10, 0.15, 0.35, 0.0, 0.0, 0.0),
            cpp=0.15,
            lac=0.25,
            cse=cse,
            cce=cce,
            missing=missing,
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
        victims = pb.add(
            "da_victim",
            male=v_male,
            dob=self._dob(v_age),
            lsoa=v_lsoa,
            postcode=v_pc,
            eth=v_eth,
            origin=v_origin,
            surname=v_surname,
        )
        perps = pb.add(
            "da_perpetrator",
            male=p_male,
            dob=self._dob(p_age),
            lsoa=p_lsoa,
            postcode=p_pc,
            eth=p_eth,
            origin=p_origin,
            surname=p_surname,
        )
        self.da_victims, self.da_perps = victims, perps
        # DA occurrences: a first one, then repeats at exponential gaps (mean 45 days).
        k = pick_counts(rng, DA_REPEATS, n)
        couple = np.repeat(np.arange(n), k)
        first = self.cal.days_sample(rng, n, WEEKDAY_DA)
        seq = np.arange(couple.size) - np.repeat(np.concatenate([[0], np.cumsum(k)[:-1]]), k)
        gaps = np.where(seq == 0, 0, np.ceil(rng.exponential(45.0, couple.size))).astype(np.int64)
        day = np.repeat(first, k) + self._cumsum_within(gaps, k)
        keep = day <= self.end_day
        couple, day, seq = couple[keep], day[keep], seq[keep]
        last = np.r_[couple[1:] != couple[:-1], True]
        group = pick(rng, DA_GROUPS, couple.size)
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
        n_kids = pick_counts(rng, {1: 0.5, 2: 0.35, 3: 0.15}, eligible.size)
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
            "social_care_child",
            male=kid_male,
            dob=self._dob(kid_age),
            lsoa=v_lsoa[fam],
            postcode=v_pc[fam],
            eth=v_eth[fam],
            origin=v_origin[fam],
            surname=surname,
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
        for kid, c in zip(kids[order], fam[order], strict=True):
            kid_by_couple.setdefault(int(c), []).append(int(kid))
        e_person, e_day = [], []
        for c, d in zip(extra_couple, extra_day, strict=True):
            for kid in kid_by_couple.get(int(c), ()):
                e_person.append(kid)
                e_day.append(int(d) + 1 + int(rng.integers(0, 10)))
        person = np.concatenate([kids, np.array(e_person, dtype=np.int64)])
        day = np.concatenate([ref_day, np.array(e_day, dtype=np.int64)])
        dob = self.pb.chunk_values("dob")[person]
        ok = (day <= self.end_day) & (day < dob + int(18 * DAYS_PER_YEAR)) & (day >= dob)
        self._add_referrals(
            rng,
            person[ok],
            day[ok],
            source_p=(0.9, 0.03, 0.03, 0.0, 0.04),
            need_p=(0.85, 0.0, 0.0, 0.10, 0.05, 0.0, 0.0, 0.0, 0.0),
            cpp=0.18,
            lac=0.06,
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
            rng,
            persons,
            day,
            source_p=(0.22, 0.22, 0.16, 0.08, 0.32),
            need_p=(0.52, 0.04, 0.03, 0.09, 0.02, 0.03, 0.02, 0.08, 0.17),
            cpp=0.10,
            lac=0.05,
        )

    def _social_care_children(self, n: int) -> None:
        """Children referred for other reasons: singles, siblings and a few twins."""
        rng = self.rng("social_care")
        pb = self.pb
        if n <= 0:
            return
        sizes = pick_counts(rng, {1: 0.80, 2: 0.12, 3: 0.05, 4: 0.03}, n)  # 4 encodes twins (2 children)
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
        ref_day = self.cal.days_sample(
            rng, n_fam, WEEKDAY_WORK, MONTH_WEIGHT * np.array([1, 1, 1, 1, 1, 1, 1, 0.7, 1, 1, 1, 0.9])
        )
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
        idx = pb.add(
            "social_care_child",
            male=male,
            dob=dob,
            lsoa=lsoa[fam],
            postcode=pc[fam],
            eth=eth[fam],
            origin=origin[fam],
            surname=surname,
        )
        # siblings are referred together most of the time
        together = np.repeat(rng.random(n_fam) < 0.7, children)
        alone_day = self.cal.days_sample(rng, fam.size, WEEKDAY_WORK)
        day = np.where((pos == 0) | together, day, alone_day)
        day = np.clip(day, dob, dob + int(18 * DAYS_PER_YEAR) - 1)
        # re-referrals
        extra = pick_counts(rng, {0: 0.78, 1: 0.15, 2: 0.05, 3: 0.02}, fam.size)
        rep = np.repeat(np.arange(fam.size), extra)
        gaps = self._cumsum_within(rng.integers(30, 400, rep.size), extra)
        r_person = np.concatenate([idx, idx[rep]])
        r_day = np.concatenate([day, day[rep] + gaps])
        r_dob = np.concatenate([dob, dob[rep]])
        ok = (
            (r_day <= self.end_day)
            & (r_day >= self.start_day)
            & (r_day < r_dob + int(18 * DAYS_PER_YEAR))
            & (r_day >= r_dob)
        )
        self._add_referrals(
            rng,
            r_person[ok],
            r_day[ok],
            source_p=(0.22, 0.22, 0.16, 0.08, 0.32),
            need_p=(0.52, 0.04, 0.03, 0.09, 0.02, 0.03, 0.02, 0.08, 0.17),
            cpp=0.10,
            lac=0.05,
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
                "source": pick(rng, source_p, n),
                "need": pick(rng, need_p, n),
                "cse": np.zeros(n, dtype=bool) if cse is None else cse,
                "cce": np.zeros(n, dtype=bool) if cce is None else cce,
                "missing": rng.poisson(0.08, n) if missing is None else missing,
                "cpp": rng.random(n) < cpp,
                "lac": rng.random(n) < lac,
            }
        )
