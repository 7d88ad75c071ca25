"""The other agencies' stage: youth justice outcomes after police offending, A&E assault
attendances (reported ones after a police victim record, unreported ones kept clear of them),
and the social care referrals gathered into one table."""

from __future__ import annotations

import numpy as np

from .. import codes
from ..codes import RAPE, ROBBERY, SEXUAL, VWI, VWO
from ..population import year_of
from .base import BuilderState
from .parameters import HOURS_GENERAL, MINUTES_PER_DAY, ROLE_OFFENDER, ROLE_SUSPECT, ROLE_VICTIM, WEEKDAY_FLAT
from .sampling import pick
from .world import Attendances, Occurrences, Outcomes, PoliceNominals, Referrals


class AgenciesMixin(BuilderState):
    """Derives YOS outcomes and A&E attendances from the police records, and gathers the referrals."""

    def _yos_outcomes(self, police: PoliceNominals, occ: Occurrences) -> Outcomes:
        rng = self.rng("yos")
        pop = self.pop
        day = occ.minute[police.occ] // MINUTES_PER_DAY
        age = pop.age_at(police.person, day)
        suspect = (police.role == ROLE_SUSPECT) | (police.role == ROLE_OFFENDER)
        is_ce = np.zeros(pop.size, dtype=bool)
        is_ce[self.ce_index] = True
        p = np.where(is_ce[police.person], 0.6, 0.45)
        cand = np.flatnonzero(
            suspect
            & (age >= 10)
            & (age <= 17)
            & (rng.random(police.person.size) < p)
            & (pop.pnc_year[police.person] > 0)
        )
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
        fte = (
            is_first & (pop.pnc_year[person] >= year_of(np.array([self.start_day]))[0]) & (rng.random(cand.size) < 0.9)
        )
        council = self.county.lsoa_council[pop.lsoa_at(person, out_day)]
        service = (council == 2).astype(np.int64)
        outcome = pick(rng, codes.OUTCOME_WEIGHTS, cand.size)
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
            u < 0.70,
            rng.integers(20, 360, rep.size),
            np.where(
                u < 0.85,
                rng.integers(360, 1440, rep.size),
                np.where(u < 0.95, rng.integers(1440, 3 * 1440, rep.size), rng.integers(3 * 1440, 14 * 1440, rep.size)),
            ),
        )
        r_minute = occ.minute[police.occ[rep]] + delay
        r_person = police.person[rep]
        r_loc = np.where(
            occ.domestic[police.occ[rep]],
            0,
            np.where(
                occ.nte[police.occ[rep]],
                np.where(rng.random(rep.size) < 0.6, 2, 1),
                pick(rng, (0.1, 0.5, 0.0, 0.1, 0.3), rep.size),
            ),
        )
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
        u_minute = np.where(
            nte,
            self.cal.nte_minutes(rng, n_u),
            self.cal.minutes(rng, self.cal.days_sample(rng, n_u, WEEKDAY_FLAT), HOURS_GENERAL),
        )
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
        u_loc = np.where(nte, pick(rng, (0.05, 0.4, 0.55, 0.0, 0.0), n_u), pick(rng, (0.3, 0.4, 0.05, 0.0, 0.25), n_u))
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
        weapon = np.where(knife, 1, pick(rng, (0.55, 0.0, 0.12, 0.004, 0.08, 0.25), n))
        admitted = rng.random(n) < np.where(knife, 0.35, 0.12)
        district = self.county.lsoa_district[pop.lsoa_at(person, minute // MINUTES_PER_DAY)]
        site = np.where(np.char.startswith(district.astype(str), "LU") | (district == "MK17"), 0, 1)
        second = minute * 60 + rng.integers(0, 60, n)
        return Attendances(person, second, site, loc, weapon, admitted, reported)

    @staticmethod
    def _near(
        person: np.ndarray, minute: np.ndarray, v_person: np.ndarray, v_minute: np.ndarray, window: int
    ) -> np.ndarray:
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
        def cat(k: str) -> np.ndarray:
            return np.concatenate([c[k] for c in self._referrals])

        person, day = cat("person"), cat("day")
        council = self.county.lsoa_council[self.pop.lsoa_at(person, day)]
        return Referrals(
            person,
            day,
            council,
            cat("source"),
            cat("need"),
            cat("cse"),
            cat("cce"),
            cat("missing"),
            cat("cpp"),
            cat("lac"),
        )
