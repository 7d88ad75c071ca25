"""The state the scenario's stages share, and the helpers they record events with.

`ScenarioBuilder` (in `builder`) is this state plus one mixin per stage; each stage reads what
earlier stages left here (e.g. the police stage reads `ce_index`, set by the persons stage), so
`ScenarioBuilder.build` runs them in a fixed order.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from ..geography import County
from ..population import Population, PopulationBuilder, day_number
from .sampling import Calendar, stream


class BuilderState:
    """Settings, random streams and the events recorded so far, shared by every stage."""

    # What one stage leaves for later ones (set in the order `ScenarioBuilder.build` runs them).
    ce_index: np.ndarray  # persons: children at risk of exploitation ...
    ce_kind: np.ndarray  # ... and their kind (0 CCE only, 1 CSE only, 2 both)
    da_victims: np.ndarray  # persons: domestic-abuse couples
    da_perps: np.ndarray
    sc_children: np.ndarray  # persons: children referred to social care for other reasons
    _n_da_children: int  # persons: children of domestic-abuse couples
    pop: Population  # build: the finished population, after the person pools

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

    def rng(self, name: str) -> np.random.Generator:
        return stream(self.seed, name)

    def _add_occurrences(
        self, minute: np.ndarray, group: np.ndarray, domestic: bool | np.ndarray, nte: np.ndarray | None = None
    ) -> np.ndarray:
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
