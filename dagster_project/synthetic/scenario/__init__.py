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

The scenario is built in stages that share one state (`base.BuilderState`): persons and their
social care referrals (`persons`), police occurrences and nominals (`police`), then YOS
outcomes and A&E attendances (`agencies`); `builder.ScenarioBuilder` runs them in order.
The numbers themselves are in `parameters`, the sampling helpers in `sampling` and the result's
shape in `world`.
"""

from __future__ import annotations

from .builder import ScenarioBuilder
from .parameters import (
    AE_AGES,
    CE_AGES,
    CE_PER_10K_UNDER_25,
    CHILD_AGES_AT_REFERRAL,
    DA_GROUPS,
    DA_REPEATS,
    DA_SHARE_OF_VSO,
    DA_VICTIM_AGES,
    GROUP_BY_VICTIM,
    HOURS_DA,
    HOURS_GENERAL,
    HOURS_PROACTIVE,
    HOURS_SCHOOL,
    KNIFE_RATE,
    MINUTES_PER_DAY,
    MONTH_WEIGHT,
    NTE_HOURS,
    OFFENDER_AGES,
    OFFENDER_ONLY_OCCURRENCES,
    OFFENDER_RATE,
    ROLE_OFFENDER,
    ROLE_SUSPECT,
    ROLE_VICTIM,
    ROLE_WITNESS,
    ROLES,
    SHARE,
    SUBSTANCE_RATE,
    VICTIM_AGES,
    VO_AGES,
    WEEKDAY_DA,
    WEEKDAY_FLAT,
    WEEKDAY_NTE,
    WEEKDAY_WORK,
    WITNESS_AGES,
)
from .sampling import Calendar, allocate, stream
from .world import Attendances, Occurrences, Outcomes, PoliceNominals, Referrals, World

__all__ = [
    "AE_AGES",
    "CE_AGES",
    "CE_PER_10K_UNDER_25",
    "CHILD_AGES_AT_REFERRAL",
    "DA_GROUPS",
    "DA_REPEATS",
    "DA_SHARE_OF_VSO",
    "DA_VICTIM_AGES",
    "GROUP_BY_VICTIM",
    "HOURS_DA",
    "HOURS_GENERAL",
    "HOURS_PROACTIVE",
    "HOURS_SCHOOL",
    "KNIFE_RATE",
    "MINUTES_PER_DAY",
    "MONTH_WEIGHT",
    "NTE_HOURS",
    "OFFENDER_AGES",
    "OFFENDER_ONLY_OCCURRENCES",
    "OFFENDER_RATE",
    "ROLES",
    "ROLE_OFFENDER",
    "ROLE_SUSPECT",
    "ROLE_VICTIM",
    "ROLE_WITNESS",
    "SHARE",
    "SUBSTANCE_RATE",
    "VICTIM_AGES",
    "VO_AGES",
    "WEEKDAY_DA",
    "WEEKDAY_FLAT",
    "WEEKDAY_NTE",
    "WEEKDAY_WORK",
    "WITNESS_AGES",
    "Attendances",
    "Calendar",
    "Occurrences",
    "Outcomes",
    "PoliceNominals",
    "Referrals",
    "ScenarioBuilder",
    "World",
    "allocate",
    "stream",
]
