"""`ScenarioBuilder`: the persons, police and other agencies' stages run in order, then the
population's truth flags."""

from __future__ import annotations

import numpy as np

from .agencies import AgenciesMixin
from .parameters import (
    AE_AGES,
    CE_PER_10K_UNDER_25,
    OFFENDER_AGES,
    ROLE_OFFENDER,
    ROLE_SUSPECT,
    ROLE_VICTIM,
    ROLE_WITNESS,
    SHARE,
    VICTIM_AGES,
    VO_AGES,
    WITNESS_AGES,
)
from .persons import PersonsMixin
from .police import PoliceMixin
from .world import World


class ScenarioBuilder(PersonsMixin, PoliceMixin, AgenciesMixin):
    """Builds one `World` for `people` persons between `start` and `end` in `county`, from `seed`.

    Each stage draws from its own named random stream, so the world is byte-identical per seed.
    """

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
