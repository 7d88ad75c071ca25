"""The police stage: victim occurrences, suspects and offenders allocated to them, offences with
no victim, witnesses, where and how each occurrence happened, and who holds a PNC number."""

from __future__ import annotations

import numpy as np

from .. import codes
from ..codes import DRUGS, HOMICIDE, PUBLIC_ORDER, RAPE, ROBBERY, SEXUAL, STALK, VWI, VWO, WEAPONS
from ..geography import COUNCILS
from ..population import assign_pnc, deprivation_risk, year_of
from .base import BuilderState
from .parameters import (
    DA_SHARE_OF_VSO,
    GROUP_BY_VICTIM,
    HOURS_GENERAL,
    HOURS_PROACTIVE,
    HOURS_SCHOOL,
    KNIFE_RATE,
    MINUTES_PER_DAY,
    OFFENDER_ONLY_OCCURRENCES,
    OFFENDER_RATE,
    ROLE_OFFENDER,
    ROLE_SUSPECT,
    ROLE_VICTIM,
    ROLE_WITNESS,
    SUBSTANCE_RATE,
    WEEKDAY_FLAT,
    WEEKDAY_WORK,
)
from .sampling import allocate, pick
from .world import Occurrences, PoliceNominals


class PoliceMixin(BuilderState):
    """Adds the police occurrences and their nominals, then assembles them with places and PNC numbers."""

    def _victim_groups(self, rng, person: np.ndarray, forced: np.ndarray) -> np.ndarray:
        pop = self.pop
        age = pop.age_at(person, np.full(person.size, self.start_day + 365))
        male = pop.male[person]
        key = np.where(age < 13, 0, np.where(age < 18, np.where(male, 2, 1), np.where(male, 4, 3)))
        names = ("child", "F_teen", "M_teen", "F_adult", "M_adult")
        group = np.empty(person.size, dtype=np.int64)
        for k, name in enumerate(names):
            m = key == k
            group[m] = pick(rng, GROUP_BY_VICTIM[name], int(m.sum()))
        return np.where(forced >= 0, forced, group)

    def _victim_occurrences(self, victims: np.ndarray, vo: np.ndarray) -> None:
        rng = self.rng("victim_occurrences")
        pop = self.pop
        # victim slots: every victim once, victim-offenders 1-2 times, some exploited and
        # social-care children, then repeat victims until DA is ~40% of violence + sexual.
        ce_victim = self.ce_index[rng.random(self.ce_index.size) < np.array([0.35, 0.55, 0.5])[self.ce_kind]]
        ce_forced = np.where(
            np.isin(ce_victim, self.ce_index[self.ce_kind == 0]),
            pick(rng, (0.6, 0, 0, 0, 0, 0, 0.4), ce_victim.size),
            pick(rng, (0.05, 0.05, 0.15, 0.25, 0.5), ce_victim.size),
        )
        sc_old = self.sc_children[pop.age_at(self.sc_children, np.full(self.sc_children.size, self.end_day)) >= 1]
        sc_victim = sc_old[rng.random(sc_old.size) < 0.08]
        vo_victim = np.concatenate([vo, vo[rng.random(vo.size) < 0.4]])
        base = np.concatenate([victims, vo_victim, ce_victim, sc_victim])
        forced = np.concatenate([np.full(victims.size + vo_victim.size, -1), ce_forced, np.full(sc_victim.size, -1)])
        group = self._victim_groups(rng, base, forced)
        vso = np.isin(group, codes.VIOLENCE_AND_SEXUAL)
        da_vso = int(
            sum(np.isin(c["group"], codes.VIOLENCE_AND_SEXUAL).sum() for c in self._occ if c["domestic"].all())
        )
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
        nte_p = np.where(
            np.isin(group, (VWI, VWO, SEXUAL, PUBLIC_ORDER)), nte_p, np.where(group == ROBBERY, nte_p * 0.5, 0)
        )
        nte = rng.random(n) < nte_p
        minute = np.where(
            nte,
            self.cal.nte_minutes(rng, n),
            self.cal.minutes(rng, self.cal.days_sample(rng, n, WEEKDAY_FLAT), HOURS_GENERAL),
        )
        # children: assaults at school in term time, during the day
        child = age < 16
        school = child & (rng.random(n) < 0.3)
        minute = np.where(
            school, self.cal.minutes(rng, self.cal.days_sample(rng, n, WEEKDAY_WORK), HOURS_SCHOOL), minute
        )
        occ = self._add_occurrences(minute, group, False, nte)
        self._add_nominals(base, occ, ROLE_VICTIM)
        self.victim_occ, self.victim_occ_person = occ, base
        self.ce_involved_occ = set(occ[np.isin(base, self.ce_index)].tolist())
        # suspects wanted for each victim occurrence
        probs = {
            "default": (0.30, 0.52, 0.13, 0.05),
            RAPE: (0.25, 0.75, 0, 0),
            SEXUAL: (0.25, 0.75, 0, 0),
            STALK: (0.15, 0.85, 0, 0),
            ROBBERY: (0.35, 0.35, 0.20, 0.10),
            PUBLIC_ORDER: (0.40, 0.50, 0.10, 0),
            HOMICIDE: (0.0, 0.7, 0.3, 0),
        }
        k = pick(rng, probs["default"], n)
        for g, p in probs.items():
            if g != "default":
                m = group == g
                k[m] = pick(rng, p, int(m.sum()))
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

    def _offender_only(
        self, rng, n: int, youth_share: float, pair_share: float = 0.25
    ) -> tuple[np.ndarray, np.ndarray]:
        """Drug, weapon and public order occurrences with no victim; returns suspect demand."""
        if n == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=bool)
        group = np.array([DRUGS, WEAPONS, PUBLIC_ORDER])[pick(rng, (0.55, 0.25, 0.20), n)]
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

        def cat(k: str) -> np.ndarray:
            return np.concatenate([c[k] for c in self._occ])

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
        for target, mask in (
            (first_victim, role == ROLE_VICTIM),
            (first_suspect, (role == ROLE_SUSPECT) | (role == ROLE_OFFENDER)),
        ):
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
        first_day = np.where(
            is_suspect[persons], first[persons], self.start_day + rng.integers(0, 365, persons.size) - 3 * 365
        )
        first_year = year_of(first_day)
        new_share = np.where(youth[persons], 0.5, 0.2)
        assign_pnc(rng, pop, persons, first_year, new_share)
