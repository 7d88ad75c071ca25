"""Feed health in one word and a reason: the rules, on small fixed tables (no pipeline run)."""

import datetime as dt

import polars as pl
import pytest

from dagster_project.quality.health import STATUS_SCHEMA, assess, cadences, restate

D = dt.date
JUDGING_DAY = D(2024, 7, 12)


def deliveries(*rows: tuple) -> pl.DataFrame:
    """(file, extract date, status, reason, rows) per delivery."""
    return pl.DataFrame(
        [
            {
                "delivery_file": f,
                "extract_date": d,
                "status": s,
                "reason": r,
                "rows_read": n,
                "size_bytes": n * 100,
                "rows_rejected": 0,
                "fails_now": False,
            }
            for f, d, s, r, n in rows
        ],
        schema={
            "delivery_file": pl.String,
            "extract_date": pl.Date,
            "status": pl.String,
            "reason": pl.String,
            "rows_read": pl.Int64,
            "size_bytes": pl.Int64,
            "rows_rejected": pl.Int64,
            "fails_now": pl.Boolean,
        },
    )


NO_REJECTS = pl.DataFrame(schema={"delivery_file": pl.String, "reason": pl.String})
NO_VALIDATIONS = pl.DataFrame(schema={"label": pl.String, "success": pl.Boolean, "problem": pl.String})
GOOD = deliveries(
    ("police_2024-01-05.csv", D(2024, 1, 5), "accepted", None, 1000),
    ("police_2024-07-05.csv", D(2024, 7, 5), "accepted", None, 1100),
)


def judge(current, quarantine=None, validations=NO_VALIDATIONS, rejects=NO_REJECTS, as_of=JUDGING_DAY):
    quarantine = deliveries() if quarantine is None else quarantine
    health, _ = assess("police", current, quarantine, validations, rejects, as_of=as_of, records_served=2100)
    return health


def test_good_deliveries_on_time_are_healthy():
    health = judge(GOOD)
    assert (health.status, health.reason) == ("healthy", "latest delivery passed every check and arrived on time")
    assert health.latest_delivery == "police_2024-07-05.csv" and health.usual_rows == 1000
    assert health.days_since_delivery == 7 and health.last_good_delivery == "police_2024-07-05.csv"


def test_a_quarantined_latest_delivery_is_broken_and_names_what_is_served():
    bad = ("police_2025-01-05.csv", D(2025, 1, 5), "quarantined", "required column(s) missing: dob", 0)
    health = judge(pl.concat([GOOD, deliveries(bad)]), as_of=D(2025, 1, 12))
    assert health.status == "broken"
    assert "police_2025-01-05.csv was quarantined: required column(s) missing: dob" in health.reason
    assert "serving the last good data (up to police_2024-07-05.csv)" in health.reason


def test_an_earlier_quarantine_keeps_the_feed_broken_until_a_later_delivery_arrives():
    bad = deliveries(("police_2025-01-05.csv", D(2025, 1, 5), "quarantined", "empty file", 0))
    assert judge(GOOD, quarantine=bad, as_of=D(2025, 1, 12)).status == "broken"
    later = deliveries(("police_2025-02-05.csv", D(2025, 2, 5), "accepted", None, 1050))
    assert judge(pl.concat([GOOD, later]), quarantine=bad, as_of=D(2025, 2, 12)).status == "healthy"


def test_warnings_rejects_and_repeats_degrade_the_feed_with_their_words():
    failed = pl.DataFrame(
        {
            "label": ["police_2024-07-05.csv"],
            "success": [False],
            "problem": ["dob is missing in 12.0% of rows (at most 10% allowed)"],
        }
    )
    health = judge(GOOD, validations=failed)
    assert health.status == "degraded" and "dob is missing in 12.0% of rows" in health.reason

    rejects = pl.DataFrame(
        {
            "delivery_file": ["police_2024-07-05.csv"] * 2,
            "reason": ["nominal_link_id NL123456789 appears more than once (rows 3, 9)"] * 2,
        }
    )
    health = judge(GOOD, rejects=rejects)
    assert health.status == "degraded" and "2 row(s) rejected" in health.reason
    assert "NL123456789" not in health.reason and "quality.rejects_police" in health.reason  # no keys in words

    twice = deliveries(
        ("police_2024-07-06.csv", D(2024, 7, 6), "duplicate", "byte-identical to police_2024-07-05.csv", 1100)
    )
    health = judge(pl.concat([GOOD, twice]))
    assert health.status == "degraded" and "byte-identical to police_2024-07-05.csv" in health.reason


def test_no_delivery_past_the_cadence_is_late_and_late_outranks_degraded():
    cadence = cadences()["police"]
    on_time = GOOD.get_column("extract_date")[-1] + dt.timedelta(days=cadence.max_days)
    assert judge(GOOD, as_of=on_time).status == "healthy"
    health = judge(GOOD, as_of=on_time + dt.timedelta(days=1))
    assert health.status == "late"
    assert health.reason.startswith(f"no delivery for {cadence.max_days + 1} days (last 2024-07-05)")
    assert judge(deliveries(), as_of=on_time).status == "late"  # nothing ever arrived


@pytest.mark.parametrize(("status", "reason"), [("healthy", "all good"), ("degraded", "3 row(s) rejected")])
def test_a_status_judged_again_later_goes_late_and_keeps_its_earlier_reason(status, reason):
    cadence = cadences()["police"]
    record = {name: None for name in STATUS_SCHEMA} | {
        "feed": "police",
        "status": status,
        "reason": reason,
        "latest_extract_date": D(2024, 7, 5),
        "as_of": D(2024, 7, 12),
        "days_since_delivery": 7,
    }
    assert restate(record, D(2024, 7, 12)) is record
    moved = restate(record, D(2024, 8, 1))
    assert (moved["status"], moved["days_since_delivery"], moved["reason"]) == (status, 27, reason)
    late = restate(record, D(2024, 7, 5) + dt.timedelta(days=cadence.max_days + 1))
    assert late["status"] == "late" and late["reason"].startswith("no delivery for")
    assert (reason in late["reason"]) == (status != "healthy")
    broken = restate(record | {"status": "broken"}, D(2025, 7, 5))
    assert broken["status"] == "broken" and "no delivery for 365 days" in broken["reason"]


def test_the_usual_size_comes_from_recent_history_and_allows_for_small_feeds():
    from dagster_project.quality.suites import usual_row_range

    assert usual_row_range([]) == (0, None) and usual_row_range([6000]) == (0, None)  # too thin a history
    low, high = usual_row_range([5250, 6130, 5961, 6206])  # the police demo feed: median 6045.5
    assert (low, high) == (3022, 18137)
    assert not low <= int(6045.5 * 0.3) <= high  # "a file 70% smaller than usual" is flagged
    assert usual_row_range([1, 99999, 6000, 6100, 5900, 6050])[0] > 2900  # only the last four count
    low, high = usual_row_range([2, 11])  # a tiny feed: Poisson noise, not a broken export
    assert low == 0 and high >= 20


def test_null_rate_chart_scales_to_the_rates_and_keys_the_latest_delivery():
    from dagster_project.quality.dashboard import _lines

    svg = _lines(
        {"dob": [("2024-01-05", 5.8), ("2024-07-05", None)], "sex": [("2024-01-05", 0.0), ("2024-07-05", 1.0)]}
    )
    assert ">10%</text>" in svg and ">100%</text>" not in svg  # small rates stay readable
    assert "dob –</span>" in svg and "sex 1.0%</span>" in svg  # dob was not in the latest delivery
    assert ">100%</text>" in _lines({"nhs_number": [("2024-01-05", 64.0)]})


def test_a_delivery_dated_after_the_judging_day_is_degraded_not_late():
    health = judge(GOOD, as_of=D(2024, 7, 1))  # the latest file says 2024-07-05
    assert health.status == "degraded" and "no delivery for" not in health.reason
    assert "police_2024-07-05.csv is dated 4 days after 2024-07-01" in health.reason and "VERU_AS_OF" in health.reason
