"""The disclosure audit of linked tables, and complementary suppression across them.

The attacker here is written independently of `publication.audit`: a linear programme built
straight on `scipy.optimize.linprog` from the published frames, each table's lines and the
council margins the tables share (hand-written for each scenario), as the adversarial tester of
issue 10 (finding 5) did.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from dagster_project.publication import suppress
from dagster_project.publication.audit import (
    AuditTable,
    LinkedTable,
    Relations,
    audit,
    protect_together,
)

THRESHOLD = 5
TOTAL = "Total"


# --- an independent attacker ---------------------------------------------------------------


def attacker(tables, *, labels=None):
    """[min, max] of every hidden entry given every published number.

    `tables`: name -> (published frame, dims, council_of), where council_of(cell key) is the
    council a cell's people live in (every table here counts the same people, so every
    council's total, and the grand total, is the same in all of them). `labels`: name -> each
    row's published "primary"/"secondary"/None label, as the old tables published it.
    """
    variables, bounds, hidden = {}, [], []
    for name, (frame, dims, _) in tables.items():
        for r, row in enumerate(frame.iter_rows(named=True)):
            variables[(name, tuple(row[d] for d in dims))] = len(bounds)
            hidden.append(row["count"] is None)
            if row["count"] is not None:
                bounds.append((row["count"], row["count"]))
            elif labels is not None and labels[name][r] == "primary":
                bounds.append((1, THRESHOLD - 1))
            else:
                bounds.append((0, None))
    equations = []
    for name, (frame, dims, _) in tables.items():
        keys = [k for (n, k) in variables if n == name]
        if len(dims) == 1:
            equations.append({**{variables[(name, k)]: 1 for k in keys if k != (TOTAL,)},
                              variables[(name, (TOTAL,))]: -1})
            continue
        rows = {k[0] for k in keys}
        cols = {k[1] for k in keys}
        for r in rows:
            equations.append({**{variables[(name, (r, c))]: 1 for c in cols if c != TOTAL},
                              variables[(name, (r, TOTAL))]: -1})
        for c in cols:
            equations.append({**{variables[(name, (r, c))]: 1 for r in rows if r != TOTAL},
                              variables[(name, (TOTAL, c))]: -1})
    names = list(tables)
    for first, second in zip(names, names[1:]):
        by_council: dict[str, dict[int, int]] = {}
        for name, sign in ((first, 1), (second, -1)):
            council_of = tables[name][2]
            for (n, key), var in variables.items():
                if n == name and TOTAL not in key:
                    by_council.setdefault(council_of(key), {})[var] = sign
        equations.extend(by_council.values())
        equations.append({var: sign for terms in by_council.values() for var, sign in terms.items()})
    a = np.zeros((len(equations), len(bounds)))
    for i, terms in enumerate(equations):
        for var, coef in terms.items():
            a[i, var] += coef
    out = {}
    for (name, key), var in variables.items():
        if not hidden[var]:
            continue
        ends = []
        for sign in (1, -1):
            c = np.zeros(len(bounds))
            c[var] = sign
            res = linprog(c, A_eq=a, b_eq=np.zeros(len(equations)), bounds=bounds, method="highs")
            assert res.status in (0, 3), res.message
            ends.append(np.inf if res.status == 3 else sign * res.fun)
        out[(name, key)] = tuple(ends)
    return out


def truth_of(table) -> dict[tuple[str, ...], int]:
    return dict(zip(table.keys, table.values, strict=True))


# --- a synthetic scenario: victims by council x sex, by neighbourhood, by council x age band ---

NEIGHBOURHOODS = {
    "Ashford 001": "Ashford", "Dover 001": "Dover", "Dover 002": "Dover",
    "Swale 001": "Swale", "Swale 002": "Swale",
}
GEOGRAPHY = pl.DataFrame({"neighbourhood": list(NEIGHBOURHOODS), "council": list(NEIGHBOURHOODS.values())})


def people() -> pl.DataFrame:
    """One row per victim. Two traps for an attacker:

    - Ashford has 3 victims. The council x sex table hides Ashford's and Dover's totals (30 is
      the smallest other council total) but the neighbourhood table publishes both Dover
      neighbourhoods (it hides Swale 001 = 10 instead): Ashford = grand total - Swale - Dover.
    - Swale has 4 victims aged 0-17 and 4 aged 18-24, both hidden with the row total
      published: their sum, 8, is known, and labels saying "primary" (1 to 4) pin both to 4.
    """
    rows = []
    plan = {
        # council: [(neighbourhood, n)], [(sex, n)], [(age band, n)]
        "Ashford": ([("Ashford 001", 3)], [("F", 3)], [("25+", 3)]),
        "Dover": ([("Dover 001", 12), ("Dover 002", 18)], [("F", 14), ("M", 16)],
                  [("0-17", 5), ("18-24", 6), ("25+", 19)]),
        "Swale": ([("Swale 001", 10), ("Swale 002", 30)], [("F", 20), ("M", 20)],
                  [("0-17", 4), ("18-24", 4), ("25+", 32)]),
    }
    for council, parts in plan.items():
        columns = [[label for label, n in part for _ in range(n)] for part in parts]
        for neighbourhood, sex, age in zip(*columns, strict=True):
            rows.append((council, neighbourhood, sex, age))
    return pl.DataFrame(rows, schema=["council", "neighbourhood", "sex", "age_band"], orient="row")


def tabulate(frame: pl.DataFrame, dims: list[str]) -> pl.DataFrame:
    return frame.group_by(dims).len("count").with_columns(pl.col("count").cast(pl.Int64))


SCENARIO = {
    "by_council_and_sex": (["council", "sex"], lambda k: k[0]),
    "by_neighbourhood": (["neighbourhood"], lambda k: NEIGHBOURHOODS[k[0]]),
    "by_council_and_age_band": (["council", "age_band"], lambda k: k[0]),
}


def suppressed_scenario(names=tuple(SCENARIO)):
    data = people()
    return {name: suppress(tabulate(data, SCENARIO[name][0]), SCENARIO[name][0]) for name in names}


def published(tables) -> dict:
    return {name: (t.frame(), SCENARIO[name][0], SCENARIO[name][1]) for name, t in tables.items()}


def linked(tables) -> list[LinkedTable]:
    return [LinkedTable(name, "victims", t) for name, t in tables.items()]


def primary_entries(tables):
    return {(name, k): v for name, t in tables.items()
            for k, v, s in zip(t.keys, t.values, t.statuses, strict=True) if s == "primary"}


# --- finding 5 as a test -------------------------------------------------------------------


def test_the_attacker_recovers_small_counts_from_tables_protected_one_at_a_time_with_labels():
    tables = suppressed_scenario()
    labels = {name: t.statuses for name, t in tables.items()}
    intervals = attacker(published(tables), labels=labels)

    exact = {k: lo for k, (lo, hi) in intervals.items() if hi - lo < 1e-6}
    truth = {(name, k): v for name, t in tables.items() for k, v in truth_of(t).items()}
    # The labels pin Swale's two hidden 4s; the shared council margin gives Ashford's 3.
    assert exact[("by_council_and_age_band", ("Swale", "0-17"))] == 4
    assert exact[("by_council_and_age_band", ("Swale", "18-24"))] == 4
    assert exact[("by_council_and_sex", ("Ashford", TOTAL))] == 3
    assert all(round(value) == truth[k] for k, value in exact.items())


def test_tables_protected_one_at_a_time_leak_across_tables_even_without_labels():
    intervals = attacker(published(suppressed_scenario()))
    assert intervals[("by_council_and_sex", ("Ashford", TOTAL))] == pytest.approx((3, 3))
    assert intervals[("by_neighbourhood", ("Ashford 001",))] == pytest.approx((3, 3))


def test_the_same_attacker_finds_nothing_in_tables_protected_together():
    tables = suppressed_scenario()
    changes = protect_together(linked(tables), Relations(lookups=(GEOGRAPHY,)), threshold=THRESHOLD)
    assert changes.hidden  # the scenario needs cross-table suppression
    frames = published(tables)
    for frame, _, _ in frames.values():
        assert "suppression" not in frame.columns
        shown = frame["count"].drop_nulls()
        assert not ((shown > 0) & (shown < THRESHOLD)).any()

    intervals = attacker(frames)
    assert not [k for k, (lo, hi) in intervals.items() if hi - lo < 1e-6]
    for key in primary_entries(tables):
        lo, hi = intervals[key]
        assert lo <= 1e-6 and hi >= THRESHOLD - 1e-6, key


def test_the_audit_gives_the_same_intervals_as_the_independent_attacker():
    tables = suppressed_scenario()
    protect_together(linked(tables), Relations(lookups=(GEOGRAPHY,)))
    result = audit([t.for_audit() for t in linked(tables)], Relations(lookups=(GEOGRAPHY,)))
    theirs = attacker(published(tables))

    ours = {(i.table, i.key): (i.low, i.high) for i in result.intervals}
    assert ours.keys() == theirs.keys()
    for key, (lo, hi) in theirs.items():
        assert ours[key] == pytest.approx((lo, hi)), key
    assert result.passed
    assert {(i.table, i.key) for i in result.primary} == set(primary_entries(tables))


# --- the audit catches what one-table protection misses ------------------------------------


def test_the_audit_catches_a_cell_revealed_by_another_tables_published_margin_and_suppression_fixes_it():
    tables = suppressed_scenario(("by_council_and_sex", "by_neighbourhood"))
    relations = Relations(lookups=(GEOGRAPHY,))

    before = audit([t.for_audit() for t in linked(tables)], relations)
    assert not before.passed
    caught = {(i.table, i.key) for i in before.unprotected}
    assert ("by_council_and_sex", ("Ashford", TOTAL)) in caught
    assert ("by_neighbourhood", ("Ashford 001",)) in caught
    assert all(i.exact for i in before.unprotected)

    changes = protect_together(linked(tables), relations)
    after = audit([t.for_audit() for t in linked(tables)], relations)
    assert after.passed, after.summary()
    assert not after.exact
    # It hides more; it publishes again only secondary entries the others give away exactly.
    assert changes.hidden
    primary = set(primary_entries(tables))
    assert not primary & set(changes.revealed)
    assert {(i.table, i.key) for i in before.intervals if i.exact and not i.primary} >= set(changes.revealed)
    assert len(after.intervals) == len(before.intervals) + len(changes.hidden) - len(changes.revealed)
    for key in primary_entries(tables):
        lo, hi = attacker(published(tables))[key]
        assert lo <= 1e-6 and hi >= THRESHOLD


def test_without_the_neighbourhood_lookup_the_audit_would_miss_the_leak():
    # The relation matters: with only the grand totals linked, the audit cannot see it.
    tables = suppressed_scenario(("by_council_and_sex", "by_neighbourhood"))
    blind = audit([t.for_audit() for t in linked(tables)], Relations())
    assert blind.passed
    seeing = audit([t.for_audit() for t in linked(tables)], Relations(lookups=(GEOGRAPHY,)))
    assert not seeing.passed


@pytest.mark.parametrize(
    ("dim_a", "dim_b", "cells_a", "cells_b", "lookup"),
    [
        # A council table and a deprivation decile table share only "is the home known":
        # both 'Not known' cells count the same people.
        ("council", "deprivation_decile",
         {"Bedford": 20, "Luton": 13, "Not known": 10},
         {"01": 3, "02": 30, "Not known": 10},
         pl.DataFrame({"council": ["Bedford", "Bedford", "Luton", "Luton", "Not known"],
                       "deprivation_decile": ["01", "02", "01", "02", "Not known"]})),
        # A month table and a weekday table share only "is the date known".
        ("month", "weekday",
         {"01": 3, "02": 30, "Not known": 10},
         {"1-Monday": 20, "2-Tuesday": 13, "Not known": 10},
         pl.DataFrame({"month": ["01", "01", "02", "02", "Not known"],
                       "weekday": ["1-Monday", "2-Tuesday", "1-Monday", "2-Tuesday", "Not known"]})),
    ],
)
def test_a_not_known_margin_two_tables_share_is_used(dim_a, dim_b, cells_a, cells_b, lookup):
    def table(dim, cells):
        return suppress(pl.DataFrame({dim: list(cells), "count": list(cells.values())}), [dim])

    tables = [LinkedTable("a", "people", table(dim_a, cells_a)),
              LinkedTable("b", "people", table(dim_b, cells_b))]
    relations = Relations(lookups=(lookup,))
    # The table holding the 3 hides it with its 'Not known' 10, which the other publishes.
    result = audit([t.for_audit() for t in tables], relations)
    assert [i.exact for i in result.unprotected] == [True]
    assert audit([t.for_audit() for t in tables], Relations()).passed  # blind without the lookup

    protect_together(tables, relations)
    assert audit([t.for_audit() for t in tables], relations).passed


def test_a_relation_the_true_counts_break_is_left_out_and_fails_the_audit():
    tables = suppressed_scenario(("by_council_and_sex", "by_neighbourhood"))
    wrong = GEOGRAPHY.with_columns(
        council=pl.when(pl.col("neighbourhood") == "Dover 001").then(pl.lit("Swale")).otherwise("council")
    )
    result = audit([t.for_audit() for t in linked(tables)], Relations(lookups=(wrong,)))
    assert result.dropped_relations == ("shared margin of by_council_and_sex and by_neighbourhood",)
    assert not result.passed


def test_a_label_the_lookup_does_not_list_is_reported_and_fails_the_audit():
    tables = suppressed_scenario(("by_council_and_sex", "by_neighbourhood"))
    partial = GEOGRAPHY.filter(pl.col("neighbourhood") != "Dover 002")
    result = audit([t.for_audit() for t in linked(tables)], Relations(lookups=(partial,)))
    assert result.dropped_relations == (
        "shared margin of by_council_and_sex and by_neighbourhood: council or neighbourhood labels "
        "the lookup does not list",
    )
    assert not result.passed


def test_a_population_bound_narrows_a_hidden_total():
    # 3 assaults, every entry hidden (all small); the 30 victimisations they are among, published.
    assaults = AuditTable.from_suppressed(
        "assaults", "assaults", suppress(pl.DataFrame({"council": ["a", "b"], "count": [2, 1]}), ["council"]))
    assert assaults.published == (None, None, None)
    events = AuditTable("events", "events", ("month",), (("01",), ("02",), (TOTAL,)), (0, 30, 30))

    bounded = audit([assaults, events], Relations(at_most=(("assaults", "events"),)))
    unbounded = audit([assaults, events])
    total = ("assaults", (TOTAL,))
    assert {(i.table, i.key): i.high for i in bounded.intervals}[total] == 30
    assert {(i.table, i.key): i.high for i in unbounded.intervals}[total] == np.inf


def test_published_small_counts_fail_the_audit():
    table = AuditTable("t", "p", ("council",), (("a",), ("b",), (TOTAL,)), (3, 10, 13))
    result = audit([table])
    assert result.published_small == (("t", ("a",)),)
    assert not result.passed


# --- property: random linked tables ---------------------------------------------------------


@st.composite
def linked_tables(draw):
    """A council x sex table and a neighbourhood table whose neighbourhoods split each council."""
    n_councils = draw(st.integers(2, 4))
    cells = draw(st.lists(st.integers(0, 12), min_size=2 * n_councils, max_size=2 * n_councils))
    by_sex = pl.DataFrame(
        [(f"c{i}", sex, cells[2 * i + j]) for i in range(n_councils) for j, sex in enumerate("FM")],
        schema={"council": pl.String, "sex": pl.String, "count": pl.Int64}, orient="row",
    )
    rows, lookup = [], []
    for i in range(n_councils):
        total = cells[2 * i] + cells[2 * i + 1]
        parts = draw(st.integers(1, 3))
        cuts = sorted(draw(st.lists(st.integers(0, total), min_size=parts - 1, max_size=parts - 1)))
        sizes = np.diff([0, *cuts, total])
        for j, size in enumerate(sizes):
            rows.append((f"c{i} n{j}", int(size)))
            lookup.append((f"c{i} n{j}", f"c{i}"))
    by_neighbourhood = pl.DataFrame(rows, schema={"neighbourhood": pl.String, "count": pl.Int64}, orient="row")
    geography = pl.DataFrame(lookup, schema=["neighbourhood", "council"], orient="row")
    return by_sex, by_neighbourhood, geography


@settings(max_examples=50, deadline=None)
@given(linked_tables())
def test_random_linked_tables_protected_together_keep_every_small_count_in_0_to_5(case):
    by_sex, by_neighbourhood, geography = case
    mapping = dict(geography.iter_rows())
    tables = {
        "by_council_and_sex": suppress(by_sex, ["council", "sex"]),
        "by_neighbourhood": suppress(by_neighbourhood, ["neighbourhood"]),
    }
    links = [LinkedTable(n, "victims", t) for n, t in tables.items()]
    protect_together(links, Relations(lookups=(geography,)))

    frames = {
        "by_council_and_sex": (tables["by_council_and_sex"].frame(), ["council", "sex"], lambda k: k[0]),
        "by_neighbourhood": (tables["by_neighbourhood"].frame(), ["neighbourhood"], lambda k: mapping[k[0]]),
    }
    for frame, _, _ in frames.values():
        shown = frame["count"].drop_nulls()
        assert not ((shown > 0) & (shown < THRESHOLD)).any()
    intervals = attacker(frames)
    for key, value in primary_entries(tables).items():
        assert 0 < value < THRESHOLD
        lo, hi = intervals[key]
        assert lo <= 1e-6 and hi >= THRESHOLD - 1e-6, (key, lo, hi)
    # Published entries are the true counts.
    for name, t in tables.items():
        frame = t.frame()
        shown = [v for v, h in zip(t.values, t.hidden, strict=True) if not h]
        assert frame["count"].drop_nulls().to_list() == shown
