"""The true events a scenario produces, as parallel arrays (one element per event)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..population import Population


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
