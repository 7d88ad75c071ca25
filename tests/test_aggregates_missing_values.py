"""Publication tolerates missing values in every dimension (issue 10, finding 4).

A tiny warehouse whose cohort and reference tables hold nulls in every column a publication
groups by: no date, no hour, no home neighbourhood, a neighbourhood with no name, council or
decile in the reference lookup, no sex, no age, no ethnic group, no police-record status.
Every publication builds, every null row is counted in a 'Not known' category (ethnic group:
'Not stated'), and the audit of all tables together still holds (so the shared margins it
relies on stay true with the unknowns).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from itertools import cycle, islice

import dagster as dg
import polars as pl
import pytest

from dagster_project import warehouse
from dagster_project.publication import aggregates
from dagster_project.publication.aggregates import PUBLICATIONS, counts, publish_all

LSOA = pl.DataFrame(
    {
        "lsoa21cd": ["L1", "L2", "L3", "L4", "L5", "L6"],
        "lsoa21nm": ["Bedford 001A", "Bedford 001B", "Luton 001A", None, "Luton 002A", "Luton 003A"],
        "lad22cd": ["E1", "E1", "E2", "E2", None, "E2"],
        "lad22nm": ["Bedford", "Bedford", "Luton", "Luton", None, "Luton"],
        "imd_decile": [1, 2, 3, 4, 5, None],
    },
    schema_overrides={"imd_decile": pl.Int32},
)
# A person's home: each neighbourhood, none, and a code the lookup does not know.
HOMES = ["L1", "L2", "L3", "L4", "L5", "L6", None, "X99"]


def take(values, n):
    return list(islice(cycle(values), n))


def build_world(path) -> dict:
    """Write the tiny warehouse; return the rows it holds, to count nulls independently."""
    n_persons = 70
    persons = pl.DataFrame(
        {
            "person_id": [f"p{i:02d}" for i in range(n_persons)],
            "home_lsoa": take(HOMES, n_persons),
            "sex": take(["F", "M", "F", "M", None], n_persons),
            "ethnic_group": take(["White", "Asian", "Black", "Mixed", "Other", None], n_persons),
        }
    )
    victims = pl.DataFrame(
        {
            "person_id": persons["person_id"][:60],
            "age_at_first": take([8, 16, 30, None, 45, 70, 19], 60),
        },
        schema_overrides={"age_at_first": pl.Int32},
    )
    exploitation = pl.DataFrame({"person_id": persons["person_id"][40:]})
    start = dt.date(2024, 1, 1)
    n_events = 90
    dates = [None if i % 7 == 3 else start + dt.timedelta(days=5 * i) for i in range(n_events)]
    hours = [None if i % 6 == 1 else (3 * i) % 24 for i in range(n_events)]
    events = pl.DataFrame(
        {
            "person_id": take(persons["person_id"][:60].to_list(), n_events + 5),
            "feed": take(["police", "health"], n_events) + ["social_care"] * 5,
            "role": take(["VICTIM", "ATTENDANCE"], n_events) + ["REFERRAL"] * 5,
            "event_date": dates + [start] * 5,
            "event_hour": hours + [None] * 5,
        },
        schema_overrides={"event_hour": pl.Int32},
    )
    attendances = pl.DataFrame(
        {
            "event_id": list(range(40)),
            "home_lsoa": take(HOMES, 40),
            "reported_to_police": take([True, False, None], 40),
        }
    )
    population = pl.DataFrame(
        {
            "lsoa21cd": [c for c in LSOA["lsoa21cd"] for _ in range(4)] + ["L1", "L2"],
            "sex": take(["F", "M"], 24) + [None, "F"],
            "age_band": take(["0-9", "0-9", "25-34", "25-34"], 24) + ["18-24", None],
            "residents": take([100, 120, None, 90], 24) + [15, 20],
        }
    )
    with warehouse.connect(path) as con:
        for schema in ("reference", "cohorts"):
            warehouse.run(con, f"CREATE SCHEMA {schema}")
        for name, frame in {
            "reference.lsoa": LSOA,
            "reference.population": population,
            "cohorts.victims": victims,
            "cohorts.exploitation_risk": exploitation,
            "cohorts.unreported_assaults": attendances,
        }.items():
            warehouse.replace_table(con, name, frame)
        warehouse.replace_table(con, "staging_persons", persons)
        warehouse.replace_table(con, "staging_events", events)
        # As cohorts.persons and cohorts.events derive them: home from reference.lsoa, date parts.
        warehouse.run(
            con,
            """
            CREATE TABLE cohorts.persons AS
            SELECT p.person_id, p.sex, p.ethnic_group, p.home_lsoa,
                   l.lsoa21nm AS neighbourhood, l.lad22nm AS council, l.imd_decile
            FROM staging_persons AS p LEFT JOIN reference.lsoa AS l ON l.lsoa21cd = p.home_lsoa""",
        )
        warehouse.run(
            con,
            """
            CREATE TABLE cohorts.events AS
            SELECT person_id, feed, role, event_date, month(event_date)::INTEGER AS event_month,
                   isodow(event_date)::INTEGER AS event_weekday, event_hour
            FROM staging_events""",
        )
        warehouse.run(con, "DROP TABLE staging_persons")
        warehouse.run(con, "DROP TABLE staging_events")
    lookup = {r["lsoa21cd"]: r for r in LSOA.iter_rows(named=True)}

    def home(code, column):
        row = lookup.get(code)
        return None if row is None else row[column]

    people = persons.with_columns(
        council=pl.col("home_lsoa").map_elements(lambda c: home(c, "lad22nm"), return_dtype=pl.String),
        neighbourhood=pl.col("home_lsoa").map_elements(lambda c: home(c, "lsoa21nm"), return_dtype=pl.String),
        decile=pl.col("home_lsoa").map_elements(lambda c: home(c, "imd_decile"), return_dtype=pl.Int64),
    )
    victim_people = people.join(victims, on="person_id")
    victimisations = events.filter(pl.col("feed") != "social_care")
    return {
        "victims": victim_people,
        "victimisations": victimisations,
        "attendances": attendances.with_columns(
            council=pl.col("home_lsoa").map_elements(lambda c: home(c, "lad22nm"), return_dtype=pl.String)
        ),
        "exploitation": people.join(exploitation, on="person_id"),
    }


@pytest.fixture
def world(tmp_path):
    path = tmp_path / "veru.duckdb"
    rows = build_world(path)
    return path, rows


def nulls(frame: pl.DataFrame, column: str) -> int:
    return frame.get_column(column).null_count()


def expected(rows) -> dict[str, tuple[int, dict[str, int]]]:
    """Per publication: how many rows it counts, and per dim how many lack a value."""
    v, e, a, x = rows["victims"], rows["victimisations"], rows["attendances"], rows["exploitation"]
    return {
        "victims_by_council_and_age_band": (
            v.height,
            {"council": nulls(v, "council"), "age_band": nulls(v, "age_at_first")},
        ),
        "victims_by_council_and_sex": (v.height, {"council": nulls(v, "council"), "sex": nulls(v, "sex")}),
        "victims_by_neighbourhood": (v.height, {"neighbourhood": nulls(v, "neighbourhood")}),
        "victims_by_deprivation_decile": (v.height, {"deprivation_decile": nulls(v, "decile")}),
        "victims_by_ethnic_group": (v.height, {"ethnic_group": nulls(v, "ethnic_group")}),
        "victimisations_by_month": (e.height, {"month": nulls(e, "event_date")}),
        "victimisations_by_weekday_and_hour": (
            e.height,
            {"weekday": nulls(e, "event_date"), "hour": nulls(e, "event_hour")},
        ),
        "unreported_assaults_by_council": (
            a.height,
            {"council": nulls(a, "council"), "police_record": nulls(a, "reported_to_police")},
        ),
        "exploitation_risk_by_council_and_sex": (x.height, {"council": nulls(x, "council"), "sex": nulls(x, "sex")}),
    }


def test_every_publication_counts_every_row_and_every_null_as_not_known(world):
    path, rows = world
    want = expected(rows)
    assert set(want) == {p.name for p in PUBLICATIONS}
    with warehouse.connect(path, read_only=True) as con:
        warehouse.define_macros(con)
        for publication in PUBLICATIONS:
            frame = counts(con, publication)
            total, missing = want[publication.name]
            assert frame["count"].sum() == total, publication.name
            for dim, n in missing.items():
                assert n > 0, (publication.name, dim)  # the fixture really has nulls here
                unknown = "Not stated" if dim == "ethnic_group" else "Not known"
                got = frame.filter(pl.col(dim) == unknown)["count"].sum()
                assert got == n, (publication.name, dim)
            for dim in publication.dims:
                assert frame[dim].null_count() == 0
            # Each table on its own builds too, with its totals.
            table = aggregates.build(con, publication)
            grand = table.filter(pl.all_horizontal([pl.col(d) == "Total" for d in publication.dims]))
            assert grand["count"].item() in (None, total)


def test_each_publication_lists_its_labels_as_it_declares(world):
    """A label a table groups by has a margin of at least 1; the neighbourhood table lists every
    named neighbourhood (zeros included) and 'Not known' only when a victim has no known
    neighbourhood, even with a nameless neighbourhood in reference.lsoa (L4 here)."""
    from dagster_project.publication.audit import AuditTable
    from dagster_project.publication.disclosure import suppress

    path, _ = world
    with warehouse.connect(path) as con:
        warehouse.define_macros(con)
        for publication in PUBLICATIONS:
            frame = counts(con, publication)
            table = suppress(frame, list(publication.dims))
            floors = AuditTable.from_suppressed(
                publication.name, publication.population, table, listed_always=publication.listed_always(table.keys)
            ).listing_floor()
            assert all(v >= f for v, f in zip(table.values, floors, strict=True)), publication.name
            assert sum(floors) > 0, publication.name  # every table has a label listed only when it occurs
        named = {n for (n,) in con.sql("SELECT lsoa21nm FROM reference.lsoa WHERE lsoa21nm IS NOT NULL").fetchall()}
        by_neighbourhood = next(p for p in PUBLICATIONS if p.name == "victims_by_neighbourhood")
        assert set(counts(con, by_neighbourhood)["neighbourhood"]) == named | {"Not known"}
        warehouse.run(
            con,
            """DELETE FROM cohorts.victims WHERE person_id IN
                              (SELECT person_id FROM cohorts.persons WHERE neighbourhood IS NULL)""",
        )
        assert set(counts(con, by_neighbourhood)["neighbourhood"]) == named


def test_all_publications_together_pass_the_audit_with_nulls_everywhere(world):
    path, rows = world
    want = expected(rows)
    with warehouse.connect(path, read_only=True) as con:
        warehouse.define_macros(con)
        release = publish_all(con)
    assert release.audit.dropped_relations == ()  # the lookups' 'Not known' rows and each listing hold
    assert release.audit.passed, release.audit.summary()
    assert not release.audit.told_exactly
    for interval in release.audit.primary:  # the protection rule, entry by entry
        assert interval.low == 0, (interval.table, interval.key)
        assert interval.listed_low == interval.floor <= 1, (interval.table, interval.key)
        assert interval.informed_high >= 5, (interval.table, interval.key)
    for publication, table in release.tables.items():
        total, _ = want[publication.name]
        grand = table.filter(pl.all_horizontal([pl.col(d) == "Total" for d in publication.dims]))
        assert grand["count"].item() in (None, total), publication.name
        shown = table["count"].drop_nulls()
        assert not ((shown > 0) & (shown < 5)).any(), publication.name
        assert "suppression" not in table.columns
    # Rows with a missing value are counted, not dropped: 'Not known' cells per table.
    month_unknown = want["victimisations_by_month"][1]["month"]
    assert release.not_known["victimisations_by_month"] == month_unknown
    victims_unknown = sum(
        1 for r in rows["victims"].iter_rows(named=True) if r["council"] is None or r["age_at_first"] is None
    )
    assert release.not_known["victims_by_council_and_age_band"] == victims_unknown


def test_the_aggregates_asset_publishes_a_warehouse_full_of_nulls_and_its_audit_check_passes(world, capsys):
    from dagster_project.defs.publication.aggregate_assets import aggregates as aggregates_asset
    from dagster_project.resources import WarehouseResource
    from dagster_project.tools import publication_attack as attack

    path, _ = world
    result = dg.materialize([aggregates_asset], resources={"warehouse_db": WarehouseResource(path=str(path))})
    assert result.success
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["disclosure_control"].passed
    audit_check = checks["disclosure_audit"]
    assert audit_check.passed, audit_check.description
    metadata = audit_check.metadata
    assert metadata["unprotected_primary_cells"].value == 0
    assert metadata["primary_cells"].value > 0
    # The protection interval runs from the structural minimum (0, or 1 for a listed label) to 5 or more.
    assert metadata["lowest_primary_upper_end"].value >= 5
    assert metadata["narrowest_primary_interval_width"].value >= 4
    assert "structural minimum" in metadata["protection_interval"].value
    assert metadata["audit_cpu_seconds"].value >= 0
    with warehouse.connect(path, read_only=True) as con:
        written = {
            t
            for (t,) in con.sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'aggregates'"
            ).fetchall()
        }
    assert written == {p.name for p in PUBLICATIONS}

    # The outsider's tool reads what was written and recovers nothing.
    assert attack.main(["--warehouse", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "recovered_exactly: 0" in printed
    assert "recovered_exactly_by_some_reader: 0" in printed
    assert "small_not_protected: 0" in printed
    assert "small_told_small_by_informed_reader: 0" in printed


def test_tables_failing_the_audit_are_not_written_and_the_blocking_check_fails(world, monkeypatch):
    from dagster_project.defs.publication import aggregate_assets
    from dagster_project.publication.audit import HiddenInterval
    from dagster_project.resources import WarehouseResource

    path, _ = world
    resources = {"warehouse_db": WarehouseResource(path=str(path))}
    assert dg.materialize([aggregate_assets.aggregates], resources=resources).success
    with warehouse.connect(path, read_only=True) as con:
        before = warehouse.read_table(con, "aggregates.victims_by_council_and_sex")

    def leaky(con):
        release = publish_all(con)
        narrow = HiddenInterval("victims_by_council_and_sex", ("Bedford", "F"), 2.0, 3.0, primary=True)
        tables = {p: t.clear() for p, t in release.tables.items()}  # what a wrong build would write
        return aggregates.Release(
            tables=tables,
            audit=replace(release.audit, intervals=(narrow,)),
            hidden_across_tables=release.hidden_across_tables,
            revealed=release.revealed,
            not_known=release.not_known,
        )

    monkeypatch.setattr(aggregate_assets, "publish_all", leaky)
    result = dg.materialize([aggregate_assets.aggregates], resources=resources, raise_on_error=False)
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert not checks["disclosure_audit"].passed
    assert "victims_by_council_and_sex" in checks["disclosure_audit"].description
    with warehouse.connect(path, read_only=True) as con:
        assert warehouse.read_table(con, "aggregates.victims_by_council_and_sex").equals(before)
