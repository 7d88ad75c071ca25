"""Statistical disclosure control of published count tables (`protect`, `suppress`).

The published frame says only whether an entry is hidden; why (primary or secondary) is kept in
`SuppressedTable.statuses` for the audit, and the tests of the method read it there.
"""

from __future__ import annotations

import logging

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.publication import protect, suppress

DIMS = ["council", "age_band"]


def two_way(rows: dict[str, list[int]], cols: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        [(r, c, v) for r, values in rows.items() for c, v in zip(cols, values, strict=True)],
        schema={"council": pl.String, "age_band": pl.String, "count": pl.Int64},
        orient="row",
    )


def one_way(cells: dict[str, int]) -> pl.DataFrame:
    return pl.DataFrame({"council": list(cells), "count": list(cells.values())})


def pattern(table) -> dict[tuple[str, ...], str | None]:
    """Each entry's status ("primary", "secondary" or None) of a `suppress` result, by key."""
    return dict(zip(table.keys, table.statuses, strict=True))


def suppressed_keys(table) -> dict[tuple[str, ...], str]:
    return {k: v for k, v in pattern(table).items() if v is not None}


def test_the_published_table_says_whether_a_count_is_hidden_never_why():
    counts = one_way({"Ashford": 3, "Dover": 10, "Swale": 20, "Thanet": 0})
    published = protect(counts, ["council"])
    statuses = suppress(counts, ["council"])

    assert published.columns == ["council", "count", "suppressed", "is_total"]
    assert published["suppressed"].to_list() == [s is not None for s in statuses.statuses]
    assert published.equals(statuses.frame())
    assert not any(isinstance(v, str) and v in ("primary", "secondary") for row in published.iter_rows() for v in row)


# --- one-way tables -----------------------------------------------------------------------


def test_one_way_small_cell_and_its_complement():
    counts = one_way({"Ashford": 3, "Dover": 10, "Swale": 20, "Thanet": 0})
    table = protect(counts, ["council"])

    assert table.columns == ["council", "count", "suppressed", "is_total"]
    assert table["council"].to_list() == ["Ashford", "Dover", "Swale", "Thanet", "Total"]
    # 3 is small; 10 is the smallest other non-zero cell, hidden so Total - rest cannot give 3.
    assert table["count"].to_list() == [None, None, 20, 0, 33]
    assert suppress(counts, ["council"]).statuses == ["primary", "secondary", None, None, None]
    assert table["is_total"].to_list() == [False, False, False, False, True]


def test_one_way_small_total_is_suppressed_too():
    table = suppress(one_way({"Ashford": 2, "Dover": 0}), ["council"])
    assert pattern(table) == {("Ashford",): "primary", ("Dover",): None, ("Total",): "primary"}


def test_one_way_single_cell_line_suppresses_total():
    # One small cell: its total is the same number and is hidden as well.
    table = suppress(one_way({"Ashford": 4}), ["council"])
    assert table.frame()["count"].to_list() == [None, None]
    assert table.statuses == ["primary", "primary"]


def test_one_way_complement_ties_go_to_first_in_sort_order():
    table = suppress(one_way({"Swale": 7, "Dover": 7, "Ashford": 1}), ["council"])
    assert suppressed_keys(table) == {("Ashford",): "primary", ("Dover",): "secondary"}


def test_nothing_small_nothing_suppressed():
    table = protect(one_way({"Ashford": 5, "Dover": 12}), ["council"])
    assert table["count"].to_list() == [5, 12, 17]
    assert not table["suppressed"].any()


# --- two-way tables -----------------------------------------------------------------------


def test_two_way_known_pattern():
    counts = two_way(
        {"Ashford": [2, 12, 30], "Dover": [9, 0, 15], "Swale": [6, 14, 21]},
        ["0-17", "18-24", "25+"],
    )
    table = protect(counts, DIMS)

    assert table.columns == ["council", "age_band", "count", "suppressed", "is_total"]
    # Row Ashford needs a second hidden cell: 12. Column 0-17: Swale's 6 (smaller than 9).
    # Column 18-24: Swale's 14, not Dover's 0. Row Swale then has two and is safe.
    assert suppressed_keys(suppress(counts, DIMS)) == {
        ("Ashford", "0-17"): "primary",
        ("Ashford", "18-24"): "secondary",
        ("Swale", "0-17"): "secondary",
        ("Swale", "18-24"): "secondary",
    }
    totals = table.filter(pl.col("is_total"))
    assert totals["count"].to_list() == [44, 24, 41, 17, 26, 66, 109]
    assert totals.select("council", "age_band").rows() == [
        ("Ashford", "Total"),
        ("Dover", "Total"),
        ("Swale", "Total"),
        ("Total", "0-17"),
        ("Total", "18-24"),
        ("Total", "25+"),
        ("Total", "Total"),
    ]


def test_zero_is_published_and_avoided_as_complement():
    counts = two_way({"Ashford": [3, 0, 7], "Dover": [8, 9, 10]}, ["a", "b", "c"])
    table = suppress(counts, DIMS)
    assert pattern(table)[("Ashford", "b")] is None
    assert table.frame().filter(council="Ashford", age_band="b")["count"].item() == 0
    assert suppressed_keys(table) == {
        ("Ashford", "a"): "primary",
        ("Ashford", "c"): "secondary",  # 7, not the 0
        ("Dover", "a"): "secondary",
        ("Dover", "c"): "secondary",
    }


def test_zero_used_as_complement_when_nothing_else_is_left():
    # Column y holds 8 and 0: once 8 is hidden, only the 0 can partner it.
    counts = two_way({"a": [3, 8], "b": [10, 0]}, ["x", "y"])
    table = suppress(counts, DIMS)
    assert suppressed_keys(table) == {
        ("a", "x"): "primary",
        ("a", "y"): "secondary",
        ("b", "x"): "secondary",
        ("b", "y"): "secondary",
    }
    assert table.frame().filter(pl.col("is_total"))["count"].to_list() == [11, 10, 13, 8, 21]


def test_one_row_table_hides_column_totals_with_their_cells():
    # One row: each column total equals its one cell, so hiding a cell hides its column total.
    counts = two_way({"Ashford": [2, 9, 30]}, ["a", "b", "c"])
    table = suppress(counts, DIMS)
    assert suppressed_keys(table) == {
        ("Ashford", "a"): "primary",
        ("Ashford", "b"): "secondary",
        ("Total", "a"): "primary",
        ("Total", "b"): "secondary",
    }


def test_small_row_total_is_protected_in_the_margin_line():
    # Row b totals 4: primary. Row totals + grand total is a line, so another row total goes.
    counts = two_way({"a": [10, 20], "b": [4, 0], "c": [30, 6], "d": [7, 40]}, ["x", "y"])
    table = suppress(counts, DIMS)
    hidden = suppressed_keys(table)
    assert hidden[("b", "Total")] == "primary"
    assert hidden[("b", "x")] == "primary"
    row_totals = [k for k in hidden if k[1] == "Total" and k[0] != "Total"]
    assert len(row_totals) >= 2


def test_cell_linking_two_hidden_blocks_gets_a_partner():
    # Two hidden 2x2 blocks joined by one hidden cell (p, r). Every row and column has two
    # hidden entries, yet rows p+q minus columns x+y gives (p, r) exactly. One more cell
    # joining the blocks is hidden: the smallest such is (q, s) = 20.
    counts = two_way(
        {
            "p": [1, 2, 2, 25],
            "q": [3, 4, 22, 20],
            "r": [30, 31, 1, 2],
            "s": [32, 33, 3, 4],
        },
        ["x", "y", "z", "zz"],
    )
    table = suppress(counts, DIMS)
    hidden = suppressed_keys(table)
    assert hidden[("p", "z")] == "primary"
    assert hidden[("q", "zz")] == "secondary"
    assert [k for k, v in hidden.items() if v == "secondary"] == [("q", "zz")]
    assert not determined_by_linear_algebra(table.frame(), counts)


def test_missing_combinations_count_as_zero():
    counts = two_way({"a": [6, 7], "b": [8, 9]}, ["x", "y"]).filter(
        ~((pl.col("council") == "b") & (pl.col("age_band") == "y"))
    )
    table = protect(counts, DIMS)
    assert table.filter(council="b", age_band="y")["count"].item() == 0
    assert table.filter(council="Total", age_band="Total")["count"].item() == 21


def test_suppress_zeros_makes_zeros_primary():
    counts = two_way({"a": [0, 10], "b": [12, 15]}, ["x", "y"])
    assert not protect(counts, DIMS)["suppressed"].any()
    table = suppress(counts, DIMS, suppress_zeros=True)
    assert suppressed_keys(table) == {
        ("a", "x"): "primary",
        ("a", "y"): "secondary",
        ("b", "x"): "secondary",
        ("b", "y"): "secondary",
    }


def test_threshold_and_output_is_independent_of_input_order():
    counts = two_way({"b": [4, 12], "a": [7, 9]}, ["y", "x"])
    table = protect(counts, DIMS, threshold=8)
    assert table.equals(protect(counts.reverse(), DIMS, threshold=8))
    assert table.select("council", "age_band").rows()[:2] == [("a", "x"), ("a", "y")]
    assert suppressed_keys(suppress(counts, DIMS, threshold=8))[("a", "y")] == "primary"  # 7 < 8


# --- denominators and rates ---------------------------------------------------------------


def test_rates_with_denominators_for_some_cells():
    counts = two_way({"a": [10, 20], "b": [30, 40]}, ["x", "y"])
    denominators = pl.DataFrame(
        {"council": ["a", "a", "b"], "age_band": ["x", "y", "x"], "residents": [1000, 3000, 7000]}
    )
    table = protect(counts, DIMS, denominators=denominators)

    assert table.columns[-2:] == ["residents", "rate_per_1000"]
    assert table.schema["residents"] == pl.Int64
    assert table.schema["rate_per_1000"] == pl.Float64
    got = {(r["council"], r["age_band"]): (r["residents"], r["rate_per_1000"]) for r in table.iter_rows(named=True)}
    assert got[("a", "x")] == (1000, 10.0)
    assert got[("a", "y")] == (3000, 6.7)
    assert got[("b", "y")] == (None, None)
    assert got[("a", "Total")] == (4000, 7.5)  # both cells have residents
    assert got[("b", "Total")] == (None, None)  # (b, y) has none
    assert got[("Total", "x")] == (8000, 5.0)
    assert got[("Total", "Total")] == (None, None)


def test_rates_with_denominators_for_one_dim_and_custom_per():
    counts = two_way({"a": [2, 20], "b": [30, 40]}, ["x", "y"])
    denominators = pl.DataFrame({"council": ["a", "b"], "residents": [4400, 70000]})
    table = protect(counts, DIMS, denominators=denominators, per=10_000)

    assert "rate_per_10000" in table.columns
    got = {(r["council"], r["age_band"]): (r["residents"], r["rate_per_10000"]) for r in table.iter_rows(named=True)}
    assert got[("a", "Total")] == (4400, 50.0)
    assert got[("Total", "Total")] == (74400, 12.4)
    assert got[("a", "x")] == (None, None)  # cells are finer than the denominators
    assert got[("Total", "x")] == (None, None)


def test_suppressed_count_has_no_rate():
    table = protect(
        one_way({"a": 3, "b": 10}),
        ["council"],
        denominators=pl.DataFrame({"council": ["a", "b"], "residents": [1000, 0]}),
    )
    assert table["residents"].to_list() == [1000, 0, 1000]
    assert table["rate_per_1000"].to_list() == [None, None, 13.0]  # b: zero residents


def test_unmatched_denominator_rows_are_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="dagster_project.publication.disclosure"):
        protect(
            one_way({"a": 6}),
            ["council"],
            denominators=pl.DataFrame({"council": ["a", "a "], "residents": [100, 200]}),
        )
    assert "1 denominator row(s) match no cell" in caplog.text


# --- invalid input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "dims", "kwargs", "message"),
    [
        (one_way({"a": 3, "b": -1}), ["council"], {}, "negative count -1"),
        (one_way({"a": 3}).with_columns(x=pl.lit("1"), y=pl.lit("2")), ["council", "x", "y"], {}, "got 3 dims"),
        (
            pl.DataFrame({"council": ["a", "a"], "count": [3, 4]}),
            ["council"],
            {},
            "repeated keys, e.g. {'council': 'a'}",
        ),
        (one_way({"a": 3, "Total": 4}), ["council"], {}, "holds the value 'Total'"),
        (one_way({"a": 3, "All": 4}), ["council"], {"total_label": "All"}, "value 'All'"),
        (one_way({"a": 3}), ["region"], {}, "no column 'region'"),
        (one_way({"a": 3}), "council", {}, "got 'council'"),
        (pl.DataFrame({"council": ["a"], "count": [1.5]}), ["council"], {}, "must hold integers, got Float64"),
        (
            pl.DataFrame({"council": ["a"], "count": [None]}, schema={"council": pl.String, "count": pl.Int64}),
            ["council"],
            {},
            "null value",
        ),
        (pl.DataFrame({"council": [1], "count": [3]}), ["council"], {}, "must be String"),
        (one_way({"a": 3}), ["council"], {"threshold": 0}, "threshold must be"),
        (one_way({"a": 3}).clear(), ["council"], {}, "counts is empty"),
    ],
)
def test_invalid_input_is_refused(counts, dims, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("{", r"\{")):
        protect(counts, dims, **kwargs)


@pytest.mark.parametrize(
    ("denominators", "message"),
    [
        (pl.DataFrame({"council": ["a", "a"], "residents": [1, 2]}), "repeated keys"),
        (pl.DataFrame({"council": ["a"], "residents": [-5]}), "negative value -5"),
        (pl.DataFrame({"council": ["a"], "population": [5]}), "no column 'residents'"),
        (pl.DataFrame({"region": ["a"], "residents": [5]}), "keyed by at least one"),
        (pl.DataFrame({"council": ["a"], "year": [2024], "residents": [5]}), r"\['year'\]"),
        (pl.DataFrame({"council": ["Total"], "residents": [5]}), "value 'Total'"),
    ],
)
def test_invalid_denominators_are_refused(denominators, message):
    with pytest.raises(ValueError, match=message):
        protect(one_way({"a": 3, "b": 9}), ["council"], denominators=denominators)


# --- properties over random two-way tables ------------------------------------------------

THRESHOLD = 5


def entries(table: pl.DataFrame, counts: pl.DataFrame):
    """The extended matrix of true values and the published (NaN when suppressed) one."""
    rows = sorted(counts["council"].unique().to_list()) + ["Total"]
    cols = sorted(counts["age_band"].unique().to_list()) + ["Total"]
    true = np.zeros((len(rows), len(cols)))
    for r, c, v in counts.iter_rows():
        true[rows.index(r), cols.index(c)] = v
    true[:, -1] = true[:, :-1].sum(axis=1)
    true[-1, :] = true[:-1, :].sum(axis=0)
    published = np.full_like(true, np.nan)
    for r, c, v in table.select("council", "age_band", "count").iter_rows():
        if v is not None:
            published[rows.index(r), cols.index(c)] = v
    return true, published


def lines_of(shape):
    """Each line of the extended matrix as (cell positions, total position)."""
    n_rows, n_cols = shape
    rows = [([(i, j) for j in range(n_cols - 1)], (i, n_cols - 1)) for i in range(n_rows)]
    cols = [([(i, j) for i in range(n_rows - 1)], (n_rows - 1, j)) for j in range(n_cols)]
    return rows + cols


def recover_by_subtraction(published: np.ndarray) -> np.ndarray:
    """An attacker who repeatedly fills in any line's single unknown by subtraction."""
    known = published.copy()
    progress = True
    while progress:
        progress = False
        for cells, total in lines_of(known.shape):
            unknown = [p for p in [*cells, total] if np.isnan(known[p])]
            if len(unknown) == 1:
                p = unknown[0]
                others = sum(known[q] for q in cells if q != p)
                known[p] = known[total] - others if p != total else others
                progress = True
    return known


def determined_by_linear_algebra(table: pl.DataFrame, counts: pl.DataFrame) -> list:
    """Suppressed entries fixed by some combination of the line equations (sums, differences)."""
    true, published = entries(table, counts)
    unknown = [tuple(p) for p in np.argwhere(np.isnan(published))]
    if not unknown:
        return []
    index = {p: k for k, p in enumerate(unknown)}
    equations = []
    for cells, total in lines_of(true.shape):
        row = np.zeros(len(unknown))
        for p in cells:
            if p in index:
                row[index[p]] += 1
        if total in index:
            row[index[total]] -= 1
        equations.append(row)
    a = np.array(equations)
    rank = np.linalg.matrix_rank(a)
    return [p for p in unknown if np.linalg.matrix_rank(np.vstack([a, np.eye(len(unknown))[index[p]]])) == rank]


@st.composite
def grids(draw):
    n_rows = draw(st.integers(2, 6))
    n_cols = draw(st.integers(2, 6))
    values = draw(st.lists(st.integers(0, 30), min_size=n_rows * n_cols, max_size=n_rows * n_cols))
    rows = {f"r{i}": values[i * n_cols : (i + 1) * n_cols] for i in range(n_rows)}
    counts = two_way(rows, [f"c{j}" for j in range(n_cols)])
    order = draw(st.permutations(range(counts.height)))
    return counts, counts[list(order)]


@settings(max_examples=150, deadline=None)
@given(grids(), st.booleans())
def test_random_tables_disclose_nothing(grid, suppress_zeros):
    counts, shuffled = grid
    table = protect(counts, DIMS, threshold=THRESHOLD, suppress_zeros=suppress_zeros)
    true, published = entries(table, counts)
    hidden = np.isnan(published)

    # (1) No published count is small (nor zero when zeros are suppressed).
    shown = published[~hidden]
    assert not ((shown > 0) & (shown < THRESHOLD)).any()
    if suppress_zeros:
        assert not (shown == 0).any()
    assert table["suppressed"].to_list() == table["count"].is_null().to_list()

    # (2) No line has exactly one suppressed entry; subtraction, even repeated, recovers
    # nothing; and no suppressed entry is fixed by any combination of lines.
    for cells, total in lines_of(true.shape):
        assert sum(hidden[p] for p in [*cells, total]) != 1
    assert np.isnan(recover_by_subtraction(published)[hidden]).all()
    assert determined_by_linear_algebra(table, counts) == []

    # (3) Published entries (totals included) are the true values.
    np.testing.assert_array_equal(published[~hidden], true[~hidden])

    # (4) Deterministic, whatever the input row order.
    assert table.equals(protect(shuffled, DIMS, threshold=THRESHOLD, suppress_zeros=suppress_zeros))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=8))
def test_random_one_way_tables_disclose_nothing(values):
    table = protect(one_way({f"c{i}": v for i, v in enumerate(values)}), ["council"])
    shown = table["count"].drop_nulls().to_list()
    assert not any(0 < v < THRESHOLD for v in shown)
    assert table["suppressed"].sum() != 1
    total = table.filter(pl.col("is_total"))["count"].item()
    assert total is None or total == sum(values)
