"""Disclosure audit of every published table together, and the suppression that makes it pass.

The attacker
------------
We assume an attacker who holds every published number of every table and everything public
about how the tables relate:

- which tables count the same population: the victim tables (by council and age band, by
  council and sex, by neighbourhood, by deprivation decile, by ethnic group) all count the same
  victims, so their grand totals are equal and so is every margin they share; the two
  victimisation tables (by month, by weekday and hour) count the same events;
- public lookups of labels that go together (`reference.lsoa`, which analysts and the public
  can see: a neighbourhood lies in one council and one deprivation decile; the calendar: an
  event with no date has neither a month nor a weekday), given as frames of the label
  combinations that can occur, 'Not known' included;
- bounds between populations: every victim has at least one victimisation, and every A&E
  assault attendance is a victimisation, so those totals are at most the victimisations';
- how each table lists its labels, and that zeros are published (the listing and informed
  readers of `audit.readers`).

For each hidden entry they solve two linear programmes: the smallest and the largest value it
can take such that every published number is what it is, every table adds up (cells to row,
column and grand totals), every shared margin agrees, every population bound holds and no
count is negative. That [min, max] is the entry's feasible interval (the LP reader's); an
interval of width 0 recovers it exactly (finding 5 of issue 10 did this with the published
"primary" labels, which are no longer published). The solver is HiGHS through
`scipy.optimize.linprog`.

Where each part lives
---------------------
- `tables`: each table as the audit sees it (`AuditTable`, `LinkedTable`) and what is public
  about how tables relate (`Relations`).
- `model`: the attacker's constraints, one variable per entry of every table; how shared margins
  are derived from the lookups, and why that is as strong as a joint microdata table.
- `lp`: the readers' linear programmes, split into independent parts and batched.
- `readers`: the three readers, the structural minimum, and `audit`.
- `result`: each hidden entry's intervals, the protection rule and the verdict (`AuditResult`,
  `summary_table`).
- `complementary`: complementary suppression across tables (`protect_together`).

Limits, honestly
----------------
The readers are LP relaxations, as in sdcTable and tau-Argus: an attacker solving integer
programmes could in principle narrow an interval by less than 1 where the LP's optimum is
fractional (with the tables here, sums of counts with unit coefficients, the extreme values are
integers in every case we measured). Listing a label tells that its category is not empty; the
rule only makes sure the published numbers tell no more. Where the informed reader's belief
contradicts the published numbers it learns that some hidden entry there is 0; the audit then
gives it only the listing reader's bounds in that part, not the most it could infer from
knowing that. Relations the publisher does not declare are not modelled: a
table from another year, a count published elsewhere, and the same tables published again
after the data changed (the difference of two weekly publications is a table of the people
added in between, whose small counts no audit of one publication protects).
"""

from dagster_project.publication.audit.complementary import Protection, protect_together
from dagster_project.publication.audit.readers import audit
from dagster_project.publication.audit.result import AuditResult, HiddenInterval, summary_table
from dagster_project.publication.audit.tables import (
    TOTAL,
    AuditError,
    AuditTable,
    LinkedTable,
    Relations,
)
from dagster_project.publication.disclosure import PRIMARY  # kept importable from here, as before the split

__all__ = [
    "PRIMARY",
    "TOTAL",
    "AuditError",
    "AuditResult",
    "AuditTable",
    "HiddenInterval",
    "LinkedTable",
    "Protection",
    "Relations",
    "audit",
    "protect_together",
    "summary_table",
]
