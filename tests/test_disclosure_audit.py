"""The disclosure audit of linked tables, and complementary suppression across them.

The attacker here is written independently of `publication.audit`: a linear programme built
straight on `scipy.optimize.linprog` from the published frames, each table's lines and the
council margins the tables share (hand-written for each scenario), as the adversarial tester of
issue 10 (finding 5) did.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from hypothesis import assume, given, settings
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


def attacker(tables, *, labels=None, at_least_one=frozenset(), may_contradict=False):
    """[min, max] of every hidden entry given every published number.

    `tables`: name -> (published frame, dims, council_of), where council_of(cell key) is the
    council a cell's people live in (every table here counts the same people, so every
    council's total, and the grand total, is the same in all of them). `labels`: name -> each
    row's published "primary"/"secondary"/None label, as the old tables published it.
    `at_least_one`: (name, key) of hidden entries the reader takes to be at least 1; with
    `may_contradict` that belief may be wrong, and None is returned when it contradicts the
    published numbers.
    """
    variables, bounds, hidden = {}, [], []
    for name, (frame, dims, _) in tables.items():
        for r, row in enumerate(frame.iter_rows(named=True)):
            key = tuple(row[d] for d in dims)
            variables[(name, key)] = len(bounds)
            hidden.append(row["count"] is None)
            if row["count"] is not None:
                bounds.append((row["count"], row["count"]))
            elif labels is not None and labels[name][r] == "primary":
                bounds.append((1, THRESHOLD - 1))
            elif (name, key) in at_least_one:
                bounds.append((1, None))
            else:
                bounds.append((0, None))
    equations = []
    for name, (_frame, dims, _) in tables.items():
        keys = [k for (n, k) in variables if n == name]
        if len(dims) == 1:
            equations.append(
                {**{variables[(name, k)]: 1 for k in keys if k != (TOTAL,)}, variables[(name, (TOTAL,))]: -1}
            )
            continue
        rows = {k[0] for k in keys}
        cols = {k[1] for k in keys}
        for r in rows:
            equations.append(
                {**{variables[(name, (r, c))]: 1 for c in cols if c != TOTAL}, variables[(name, (r, TOTAL))]: -1}
            )
        for c in cols:
            equations.append(
                {**{variables[(name, (r, c))]: 1 for r in rows if r != TOTAL}, variables[(name, (TOTAL, c))]: -1}
            )
    names = list(tables)
    for first, second in itertools.pairwise(names):
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
            if res.status == 2 and may_contradict:
                return None
            assert res.status in (0, 3), res.message
            ends.append(np.inf if res.status == 3 else sign * res.fun)
        out[(name, key)] = tuple(ends)
    return out


def truth_of(table) -> dict[tuple[str, ...], int]:
    return dict(zip(table.keys, table.values, strict=True))


def listed_margins(frames, in_full=frozenset()) -> set:
    """What a reader of tables built by GROUP BY knows occurs: every entry that is the margin of
    one label (a one-way row; a two-way row or column total) and every grand total, except
    labels of the dims in `in_full` (listed whatever their count)."""
    out = set()
    for name, (frame, dims, _) in frames.items():
        for row in frame.iter_rows(named=True):
            key = tuple(row[d] for d in dims)
            labels = [(d, k) for d, k in zip(dims, key, strict=True) if k != TOTAL]
            if not labels and not set(dims) <= set(in_full) or len(labels) == 1 and labels[0][0] not in in_full:
                out.add((name, key))
    return out


def every_hidden(tables) -> set:
    """Every hidden entry: a reader who knows zeros are published takes each to be at least 1,
    and cannot tell the hidden zeros (complements chosen where nothing else would do) from the
    rest, so is wrong about those and concludes what it concludes."""
    return {(name, k) for name, t in tables.items() for k, h in zip(t.keys, t.hidden, strict=True) if h}


def nothing_published(frames) -> dict:
    """The same tables with every count hidden: what a reader knows before reading a number."""
    return {
        name: (frame.with_columns(pl.lit(None, dtype=pl.Int64).alias("count")), dims, council_of)
        for name, (frame, dims, council_of) in frames.items()
    }


# --- a synthetic scenario: victims by council x sex, by neighbourhood, by council x age band ---

NEIGHBOURHOODS = {
    "Ashford 001": "Ashford",
    "Dover 001": "Dover",
    "Dover 002": "Dover",
    "Swale 001": "Swale",
    "Swale 002": "Swale",
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
        "Dover": (
            [("Dover 001", 12), ("Dover 002", 18)],
            [("F", 14), ("M", 16)],
            [("0-17", 5), ("18-24", 6), ("25+", 19)],
        ),
        "Swale": (
            [("Swale 001", 10), ("Swale 002", 30)],
            [("F", 20), ("M", 20)],
            [("0-17", 4), ("18-24", 4), ("25+", 32)],
        ),
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
    return {
        (name, k): v
        for name, t in tables.items()
        for k, v, s in zip(t.keys, t.values, t.statuses, strict=True)
        if s == "primary"
    }


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
        (
            "council",
            "deprivation_decile",
            {"Bedford": 20, "Luton": 13, "Not known": 10},
            {"01": 3, "02": 30, "Not known": 10},
            pl.DataFrame(
                {
                    "council": ["Bedford", "Bedford", "Luton", "Luton", "Not known"],
                    "deprivation_decile": ["01", "02", "01", "02", "Not known"],
                }
            ),
        ),
        # A month table and a weekday table share only "is the date known".
        (
            "month",
            "weekday",
            {"01": 3, "02": 30, "Not known": 10},
            {"1-Monday": 20, "2-Tuesday": 13, "Not known": 10},
            pl.DataFrame(
                {
                    "month": ["01", "01", "02", "02", "Not known"],
                    "weekday": ["1-Monday", "2-Tuesday", "1-Monday", "2-Tuesday", "Not known"],
                }
            ),
        ),
    ],
)
def test_a_not_known_margin_two_tables_share_is_used(dim_a, dim_b, cells_a, cells_b, lookup):
    def table(dim, cells):
        return suppress(pl.DataFrame({dim: list(cells), "count": list(cells.values())}), [dim])

    tables = [LinkedTable("a", "people", table(dim_a, cells_a)), LinkedTable("b", "people", table(dim_b, cells_b))]
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
        "assaults", "assaults", suppress(pl.DataFrame({"council": ["a", "b"], "count": [2, 1]}), ["council"])
    )
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


# --- readers who know how tables list labels, and that zeros are published ----------------

GROUPED = (frozenset(),)  # a one-way table built by GROUP BY: a label is listed only when it occurs
GROUPED_2 = (frozenset(), frozenset())


def everywhere(_key) -> str:
    return "county"


def one_way(dim: str, cells: dict[str, int]):
    return suppress(pl.DataFrame({dim: list(cells), "count": list(cells.values())}), [dim])


def two_way(dims: list[str], cells: dict[tuple[str, str], int]):
    frame = pl.DataFrame([(*k, v) for k, v in cells.items()], schema=[*dims, "count"], orient="row")
    return suppress(frame.with_columns(pl.col("count").cast(pl.Int64)), dims)


def readers(frames, tables, in_full=frozenset()):
    """The three readers' intervals, written without `publication.audit`."""
    listed = listed_margins(frames, in_full)
    listing = attacker(frames, at_least_one=listed)
    informed = attacker(frames, at_least_one=listed | every_hidden(tables), may_contradict=True)
    # Where the belief contradicts the published numbers the reader knows it is wrong somewhere
    # and falls back to the listing reader (the audit does so per independent part, knowing more).
    return (
        attacker(frames),
        listing,
        listing if informed is None else informed,
        attacker(nothing_published(frames), at_least_one=listed),
    )


def assert_protected(frames, tables, in_full=frozenset()):
    """Every primary entry: the LP reader's interval reaches 0, the listing reader's lower end
    is its structural minimum, the informed reader's upper end reaches the threshold."""
    lp, listing, informed, structure = readers(frames, tables, in_full)
    primary = primary_entries(tables)
    assert primary
    for key in primary:
        assert lp[key][0] <= 1e-6, (key, lp[key])
        assert listing[key][0] <= structure[key][0] + 1e-6, (key, listing[key], structure[key])
        assert informed[key][1] >= THRESHOLD - 1e-6, (key, informed[key])
    return lp, listing, informed, structure


def test_listing_floor_is_1_for_the_margin_of_a_label_listed_only_when_it_occurs():
    table = AuditTable(
        "t",
        "p",
        ("council", "sex"),
        (("a", "F"), ("a", TOTAL), ("Not known", "F"), ("Not known", TOTAL), (TOTAL, "F"), (TOTAL, TOTAL)),
        (1, 1, 1, 1, 2, 2),
        listed_always=(frozenset({"a"}), frozenset()),
    )
    # cells 0; 'a' is listed whatever its count; 'Not known' and 'F' only when they occur.
    assert table.listing_floor() == (0.0, 0.0, 0.0, 1.0, 1.0, 1.0)
    assert replace(table, listed_always=None).listing_floor() == (0.0,) * 6
    with pytest.raises(ValueError, match="one set of labels per dim"):
        replace(table, listed_always=(frozenset(),))


def test_two_small_listed_rows_with_a_published_total_are_told_small_until_a_third_row_is_hidden():
    """Asian 2 and Black 3 hidden, everything else published: they sum to 5 and each occurs,
    so each is 1 to 4. The audit (as every reader) says so; protection hides a third row."""
    tables = {
        "by_ethnic_group": one_way("ethnic_group", {"Asian": 2, "Black": 3, "Other": 10, "White": 45}),
        "by_sex": one_way("sex", {"F": 30, "M": 30}),
    }
    links = [LinkedTable(n, "victims", t, GROUPED) for n, t in tables.items()]
    before = audit([t.for_audit() for t in links])
    assert {(i.key, i.listed_low, i.informed_high) for i in before.unprotected} == {
        (("Asian",), 1, 4),
        (("Black",), 1, 4),
    }
    assert all(i.low == 0 and i.high == 5 for i in before.unprotected)  # the LP reader sees [0, 5]

    changes = protect_together(links)
    assert changes.hidden == (("by_ethnic_group", ("Other",)),)  # the cheapest third row
    assert changes.audit.passed
    frames = {n: (t.frame(), [t.dims[0]], everywhere) for n, t in tables.items()}
    assert_protected(frames, tables)


def test_a_two_way_table_whose_listed_rows_are_all_small_gets_its_grand_total_hidden():
    """Two young people in each of Alpha, Beta and 'Not known', all women: with the grand
    total (6) published, three listed rows of at least 1 each are each at most 4."""
    table = two_way(["council", "sex"], {("Alpha", "F"): 2, ("Beta", "F"): 2, ("Not known", "F"): 2})
    assert dict(zip(table.keys, table.hidden, strict=True))[(TOTAL, TOTAL)] is False
    links = [LinkedTable("risk", "risk", table, GROUPED_2)]
    before = audit([t.for_audit() for t in links])
    assert not before.passed and before.unprotected

    protect_together(links)
    assert dict(zip(table.keys, table.hidden, strict=True))[(TOTAL, TOTAL)] is True
    assert_protected({"risk": (table.frame(), ["council", "sex"], everywhere)}, {"risk": table})


def test_a_reader_who_takes_hidden_counts_to_be_non_zero_cannot_tell_a_small_count_from_a_publishable_one():
    """Alpha: 2 women and 3 men; Beta: 27 and 28. The council x sex cells are hidden, Alpha's
    total (5) published, also by the age table. Taking every hidden cell to be at least 1, a
    reader gets [1, 4] for both Alpha cells, unless Alpha's total is free in both tables."""
    people = {("Alpha", "F"): 2, ("Alpha", "M"): 3, ("Beta", "F"): 27, ("Beta", "M"): 28}
    ages = {("Alpha", "25+"): 5, ("Beta", "18-24"): 20, ("Beta", "25+"): 35}
    tables = {
        "by_council_and_sex": two_way(["council", "sex"], people),
        "by_council_and_age_band": two_way(["council", "age_band"], ages),
    }
    links = [LinkedTable(n, "victims", t, GROUPED_2) for n, t in tables.items()]
    before = audit([t.for_audit() for t in links])
    failing = {(i.table, i.key): (i.low, i.high, i.informed_low, i.informed_high) for i in before.unprotected}
    assert failing[("by_council_and_sex", ("Alpha", "F"))] == (0, 5, 1, 4)

    changes = protect_together(links)
    assert changes.audit.passed
    assert all(i.truth > 0 for i in changes.audit.intervals)  # no zero hidden: the reader is right
    frames = {n: (t.frame(), list(t.dims), lambda k: k[0]) for n, t in tables.items()}
    _, _, informed, _ = assert_protected(frames, tables)
    assert informed[("by_council_and_sex", ("Alpha", "F"))][1] >= THRESHOLD


def test_a_listed_label_whose_only_non_zero_cell_is_hidden_gets_a_zero_hidden_with_it():
    """One victim of unknown sex, in Alpha; Beta's cell is a published 0. The 'Not known'
    column is listed, so a reader knows Alpha's cell is at least 1: that someone in Alpha has
    no recorded sex. Its structural minimum is 0, so a zero has to be hidden (nothing else
    can make room) and the reader is left with [0, ...]."""
    cells = {("Alpha", "F"): 20, ("Alpha", "M"): 20, ("Alpha", "Not known"): 1, ("Beta", "F"): 20, ("Beta", "M"): 20}
    table = two_way(["council", "sex"], cells)
    links = [LinkedTable("by_council_and_sex", "victims", table, GROUPED_2)]
    before = audit([t.for_audit() for t in links])
    cell = {i.key: i for i in before.intervals}[("Alpha", "Not known")]
    assert (cell.low, cell.listed_low, cell.floor) == (0, 1, 0)
    assert not before.passed

    changes = protect_together(links)
    assert ("by_council_and_sex", ("Beta", "Not known")) in changes.hidden  # the zero
    frames = {"by_council_and_sex": (table.frame(), ["council", "sex"], lambda k: k[0])}
    _, listing, _, _ = assert_protected(frames, {"by_council_and_sex": table})
    assert listing[("by_council_and_sex", ("Alpha", "Not known"))][0] == 0


def test_a_listing_the_true_counts_break_is_left_out_and_fails_the_audit():
    # A table listing every neighbourhood with its zeros, declared as if grouped by.
    table = one_way("neighbourhood", {"n1": 0, "n2": 3, "n3": 9})
    result = audit([LinkedTable("by_neighbourhood", "victims", table, GROUPED).for_audit()])
    assert result.dropped_relations == ("how by_neighbourhood lists its labels",)
    assert not result.passed
    declared = (frozenset({"n1", "n2", "n3"}),)  # every label listed whatever its count: even the total can be 0
    assert LinkedTable("by_neighbourhood", "victims", table, declared).for_audit().listing_floor() == (0, 0, 0, 0)
    assert audit([LinkedTable("by_neighbourhood", "victims", table, declared).for_audit()]).dropped_relations == ()


def test_the_attackers_informed_reader_is_unknown_where_a_hidden_zero_contradicts_it():
    # An attacker taking every hidden count to be at least 1 is wrong about the 0 here.
    table = AuditTable("t", "p", ("sex",), (("F",), ("M",), (TOTAL,)), (None, None, 1))
    (f, m) = audit([table]).intervals
    assert (f.low, f.high) == (0, 1)
    assert np.isnan(f.informed_low) and np.isnan(f.informed_high)
    assert f.informed == (0, 1)  # falls back to the listing reader (here the LP reader)


# --- property: random linked tables ---------------------------------------------------------


@st.composite
def linked_tables(draw):
    """A council x sex table and a neighbourhood table whose neighbourhoods split each council."""
    n_councils = draw(st.integers(2, 4))
    cells = draw(st.lists(st.integers(0, 12), min_size=2 * n_councils, max_size=2 * n_councils))
    by_sex = pl.DataFrame(
        [(f"c{i}", sex, cells[2 * i + j]) for i in range(n_councils) for j, sex in enumerate("FM")],
        schema={"council": pl.String, "sex": pl.String, "count": pl.Int64},
        orient="row",
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
    for t in tables.values():
        frame = t.frame()
        shown = [v for v, h in zip(t.values, t.hidden, strict=True) if not h]
        assert frame["count"].drop_nulls().to_list() == shown


@settings(max_examples=50, deadline=None)
@given(linked_tables())
def test_random_grouped_tables_protected_together_satisfy_every_reader(case):
    """As published: the council x sex table built by GROUP BY (a council or sex is listed only
    when it occurs), the neighbourhood table listing every neighbourhood with its zeros. After
    protection, every small count passes the protection rule against the independent readers."""
    by_sex, by_neighbourhood, geography = case
    by_sex = by_sex.filter(pl.col("count") > 0)
    assume(by_sex.height > 0)
    mapping = dict(geography.iter_rows())
    tables = {
        "by_council_and_sex": suppress(by_sex, ["council", "sex"]),
        "by_neighbourhood": suppress(by_neighbourhood, ["neighbourhood"]),
    }
    listing = {"by_council_and_sex": GROUPED_2, "by_neighbourhood": (frozenset(by_neighbourhood["neighbourhood"]),)}
    links = [LinkedTable(n, "victims", t, listing[n]) for n, t in tables.items()]
    changes = protect_together(links, Relations(lookups=(geography,)))
    assert changes.audit.passed
    frames = {
        "by_council_and_sex": (tables["by_council_and_sex"].frame(), ["council", "sex"], lambda k: k[0]),
        "by_neighbourhood": (tables["by_neighbourhood"].frame(), ["neighbourhood"], lambda k: mapping[k[0]]),
    }
    if primary_entries(tables):
        assert_protected(frames, tables, in_full={"neighbourhood"})
    _, _, informed, _ = readers(frames, tables, {"neighbourhood"})
    assert not [k for k, (lo, hi) in informed.items() if hi - lo < 1e-6]  # no reader recovers a count
