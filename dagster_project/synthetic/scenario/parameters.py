"""The scenario's numbers: volumes per person, time-of-day and seasonal patterns, ages, and
the offence mix of victims, domestic abuse and offenders (see the package docstring for their
sources)."""

from __future__ import annotations

import numpy as np

from ..codes import DRUGS, PUBLIC_ORDER, WEAPONS

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
HOURS_GENERAL = np.array(
    [
        2.6,
        2.2,
        1.8,
        1.2,
        0.7,
        0.4,
        0.4,
        0.7,
        1.2,
        1.5,
        1.7,
        1.9,
        2.1,
        2.2,
        2.4,
        2.9,
        3.4,
        3.5,
        3.5,
        3.4,
        3.3,
        3.2,
        3.0,
        2.8,
    ]
)
HOURS_DA = np.array(
    [
        3.0,
        2.5,
        2.0,
        1.3,
        0.8,
        0.5,
        0.5,
        0.8,
        1.0,
        1.2,
        1.3,
        1.4,
        1.5,
        1.6,
        1.7,
        1.9,
        2.2,
        2.6,
        3.0,
        3.4,
        3.7,
        3.8,
        3.7,
        3.4,
    ]
)
HOURS_PROACTIVE = np.array(
    [
        0.8,
        0.6,
        0.4,
        0.2,
        0.1,
        0.1,
        0.2,
        0.5,
        1.0,
        1.5,
        1.8,
        2.0,
        2.0,
        2.0,
        2.2,
        2.5,
        2.8,
        3.0,
        3.0,
        2.8,
        2.5,
        2.1,
        1.6,
        1.2,
    ]
)
NTE_HOURS = np.array([1.0, 1.4, 2.0, 2.6, 3.0, 2.7, 1.9])  # 20:00 .. 02:59
HOURS_SCHOOL = np.array([0.1] * 8 + [1.0, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.2, 0.8, 0.5, 0.3, 0.2, 0.1, 0.1, 0.1, 0.1])

# --- ages (years at the start of the period) -------------------------------------------------
VICTIM_AGES = {
    (10, 14): 0.05,
    (15, 17): 0.10,
    (18, 24): 0.27,
    (25, 34): 0.27,
    (35, 44): 0.15,
    (45, 54): 0.09,
    (55, 64): 0.04,
    (65, 85): 0.03,
}
VO_AGES = {(12, 14): 0.10, (15, 17): 0.30, (18, 24): 0.45, (25, 34): 0.15}
OFFENDER_AGES = {
    (10, 14): 0.04,
    (15, 16): 0.10,
    (17, 17): 0.04,
    (18, 24): 0.30,
    (25, 34): 0.28,
    (35, 44): 0.14,
    (45, 54): 0.07,
    (55, 70): 0.03,
}
WITNESS_AGES = {(16, 24): 0.2, (25, 44): 0.45, (45, 64): 0.25, (65, 80): 0.1}
AE_AGES = {(13, 17): 0.08, (18, 24): 0.30, (25, 34): 0.29, (35, 44): 0.17, (45, 54): 0.10, (55, 75): 0.06}
DA_VICTIM_AGES = {(16, 17): 0.02, (18, 24): 0.24, (25, 34): 0.36, (35, 44): 0.23, (45, 54): 0.10, (55, 70): 0.05}
CE_AGES = {
    (11, 11): 0.04,
    (12, 12): 0.08,
    (13, 13): 0.14,
    (14, 14): 0.20,
    (15, 15): 0.22,
    (16, 16): 0.20,
    (17, 17): 0.12,
}
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
