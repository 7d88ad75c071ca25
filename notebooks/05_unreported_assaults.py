# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Assaults treated in hospital that police never hear of
#
# Emergency departments record assaults whether or not anyone calls the police (the Cardiff
# model of violence prevention rests on this). Linking A&E attendances to police records of
# the same person shows how much violence the police data miss, and which kinds: at home or
# in the street, with which weapons, in the night-time economy, in which council.
#
# **What counts.** Each A&E attendance for assault is a row of `cohorts.unreported_assaults`.
# It counts as *reported* when police recorded the same linked person as the victim of an
# offence within a window of days either side of the attendance (14 by default; the pipeline
# can be configured otherwise), and as *not reported* otherwise.
#
# **Which snapshot.** The analyst snapshot's default tier, in which every person and event hides
# among at least five: each attendance carries the patient's published home council, sex and age
# band (at their latest record), and its date only as a month, quarter or year. Whether it was
# reported is worked out in the warehouse from the exact dates. The last section (how the answer
# depends on the window, and how many days lie between an attendance and its police record)
# needs those exact dates: it reads the restricted tier (`connect(tier="restricted")`), which
# only named analysts can open, and is left out for everyone else.
#
# **How to read it.** The bars are the share *not* reported, with a 95% confidence interval
# (Wilson); groups with fewer than 5 attendances are not drawn. The council chart uses the
# protected table `aggregates.unreported_assaults_by_council`, in which counts from 1 to 4,
# and the cells that would give them away, are suppressed.
#
# **Caveats.**
# - In the demo the data are synthetic.
# - Linkage error biases the share upwards: when the A&E record and the police record of the
#   same person fail to link, a reported assault looks unreported. A false link does the
#   opposite. The linkage evaluation in the quality dashboard says how large each error is.
# - "Reported" means *a* police victim record near the date, not necessarily for the same
#   incident; and a victim may be on police records as a suspect (a fight), which counts as not
#   reported here. The window sensitivity below shows how much the answer depends on the window.

# %%
import matplotlib.pyplot as plt
import numpy as np
import polars as pl

from dagster_project.analyst import connect

MIN_GROUP = 5  # groups smaller than this are not drawn


def pct(part, whole) -> str:
    """A share as a percentage ("<1%" for a small non-zero share), or "n/a" when there is nothing to divide by."""
    if not whole:
        return "n/a"
    return "<1%" if 0 < part / whole < 0.005 else f"{part / whole:.0%}"


def wilson(k: np.ndarray, n: np.ndarray, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """95% Wilson score interval for k successes out of n (n > 0)."""
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


def connect_restricted():
    """The restricted tier (full detail), or None with the reason when this reader may not open it."""
    try:
        return connect(tier="restricted")
    except (PermissionError, FileNotFoundError) as error:
        print(f"Restricted tier not available: {error}")
        return None


def share_not_reported(by: str, label: str | None = None) -> pl.DataFrame:
    """Attendances and the share not reported, by one column of cohorts.unreported_assaults."""
    return con.sql(
        f"""
        SELECT coalesce({by}::VARCHAR, 'Not recorded') AS "group", count(*) AS attendances,
               count(*) FILTER (WHERE NOT reported_to_police) AS not_reported
        FROM cohorts.unreported_assaults GROUP BY ALL ORDER BY "group"
        """
    ).pl().with_columns(pl.lit(label or by).alias("by"))


def plot_shares(ax, table: pl.DataFrame, title: str):
    """Horizontal bars of the share not reported with Wilson intervals; small groups left out."""
    shown = table.filter(pl.col("attendances") >= MIN_GROUP)
    y = np.arange(shown.height)
    if shown.height:
        k, n = shown["not_reported"].to_numpy(), shown["attendances"].to_numpy()
        low, high = wilson(k, n)
        ax.barh(y, k / n, color="tab:red", alpha=0.7)
        errors = np.clip([k / n - low, high - k / n], 0, None)  # rounding can make a bound cross the share at 0% or 100%
        ax.errorbar(k / n, y, xerr=errors, fmt="none", color="black", capsize=3)
    ax.set_yticks(y, [f"{g} (n={n:,})" for g, n in shown.select("group", "attendances").iter_rows()])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    if overall_share is not None:
        ax.axvline(overall_share, ls="--", color="black", lw=1)
    hidden = table.height - shown.height
    ax.set_title(title + (f" ({hidden} small group{'s' if hidden > 1 else ''} not shown)" if hidden else ""))


con = connect()
attendances, not_reported, window = con.sql(
    """
    SELECT count(*), count(*) FILTER (WHERE NOT reported_to_police), max(window_days)
    FROM cohorts.unreported_assaults
    """
).fetchall()[0]
overall_share = not_reported / attendances if attendances else None
print(f"{attendances:,} A&E assault attendances; {pct(not_reported, attendances)} have no police victim record "
      f"of the same person within {window} days either side")

# %% [markdown]
# ## By setting, weapon, period of the day and admission
#
# The dashed line is the share for all attendances. Settings follow the Cardiff model's
# location of the assault as A&E records it. The period of the day (night 00-05, morning,
# afternoon, evening 18-23) is published only where five or more patients of the same group
# share it with the month; the others are "not published".

# %%
tables = {
    "setting": share_not_reported("setting"),
    "weapon": share_not_reported("weapon"),
    "time_of_day": share_not_reported("coalesce(time_of_day, 'not published')"),
    "admitted": share_not_reported("CASE WHEN admitted THEN 'admitted' WHEN NOT admitted THEN 'not admitted' END"),
}
fig, axes = plt.subplots(2, 2, figsize=(13, 7))
for ax, (key, title) in zip(axes.flat, (("setting", "Where the assault happened"), ("weapon", "Weapon"),
                                        ("time_of_day", "Period of the day"),
                                        ("admitted", "Admitted to a ward"))):
    plot_shares(ax, tables[key], title)
fig.suptitle("Share of A&E assault attendances with no police victim record")
plt.tight_layout()
plt.show()

for key, table in tables.items():
    for group, n, k in table.filter(pl.col("attendances") >= MIN_GROUP).select("group", "attendances", "not_reported").iter_rows():
        print(f"{key} = {group}: {pct(k, n)} not reported ({n:,} attendances)")

# %% [markdown]
# ## By age and sex
#
# The patient's age band at their latest record, and sex, as the default tier publishes them
# ("Not recorded" includes those whose group was too small to publish).

# %%
ages = share_not_reported("age_band")
sexes = share_not_reported("CASE sex WHEN 'F' THEN 'female' WHEN 'M' THEN 'male' ELSE 'not recorded' END")
fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4), gridspec_kw={"width_ratios": [3, 2]})
plot_shares(left, ages, "Age band (at the latest record)")
plot_shares(right, sexes, "Sex")
plt.tight_layout()
plt.show()
for group, n, k in sexes.filter(pl.col("attendances") >= MIN_GROUP).select("group", "attendances", "not_reported").iter_rows():
    print(f"{group}: {pct(k, n)} not reported")

# %% [markdown]
# ## By council (protected table)
#
# From `aggregates.unreported_assaults_by_council`: attendances by the patient's home council.
# A council whose "not reported" count is suppressed has no share.

# %%
by_council = con.sql(
    """
    SELECT council,
           any_value(count) FILTER (WHERE police_record = 'not reported') AS not_reported,
           any_value(count) FILTER (WHERE police_record = 'Total') AS attendances,
           bool_or(suppressed) FILTER (WHERE police_record IN ('not reported', 'Total')) AS suppressed
    FROM aggregates.unreported_assaults_by_council
    WHERE council <> 'Total'
    GROUP BY council ORDER BY council
    """
).pl()
fig, ax = plt.subplots(figsize=(9, 3.5))
y = np.arange(by_council.height)
shares, labels = [], []
for council, k, n, hidden in by_council.iter_rows():
    shares.append(k / n if k is not None and n else 0.0)
    labels.append(f"{council} (n={n:,})" if n is not None else f"{council} (n suppressed)")
ax.barh(y, shares, color="tab:red", alpha=0.7)
for position, (council, k, n, hidden) in zip(y, by_council.iter_rows()):
    if k is None or not n:
        ax.annotate("suppressed", (0, position), fontsize=8, color="grey", va="center")
if overall_share is not None:
    ax.axvline(overall_share, ls="--", color="black", lw=1)
ax.set_yticks(y, labels)
ax.invert_yaxis()
ax.set_xlim(0, 1)
ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
ax.set_title("Share not reported, by home council (protected table)")
plt.show()

for council, k, n, hidden in by_council.iter_rows():
    print(f"{council}: " + (f"{pct(k, n)} of {n:,} attendances not reported" if k is not None and n else "suppressed"))

# %% [markdown]
# ## How sensitive is the answer to the window?
#
# The share not reported, recomputed from `cohorts.events` for windows from the same day to
# three months either side. A wider window finds more police records, but the further away a
# record is, the more likely it is about a different incident. Right, for attendances that
# were reported, the days from the attendance to the nearest police victim record. A police
# record is dated by when the offence happened, not when it was reported, so the record of the
# same incident falls on or before the attendance (an assault just before midnight can be
# treated the next day); a record dated after the attendance is more likely a later offence.
#
# This section needs every record's exact date, so it reads the **restricted tier**
# (`connect(tier="restricted")`); it is left out when you are not one of the named analysts who
# may open it.

# %%
detail = connect_restricted()
if detail is not None:
    WINDOWS = [0, 1, 3, 7, 14, 28, 56, 91]
    sensitivity = detail.sql(
        f"""
        WITH attendances AS (SELECT event_id, person_id, event_date FROM cohorts.events WHERE feed = 'health'),
        victim_records AS (SELECT person_id, event_date FROM cohorts.events WHERE feed = 'police' AND role = 'VICTIM'),
        nearest AS (
            SELECT a.event_id, min(abs(date_diff('day', a.event_date, p.event_date))) AS days
            FROM attendances AS a LEFT JOIN victim_records AS p USING (person_id)
            GROUP BY a.event_id
        )
        SELECT w.window_days, count(*) AS attendances,
               count(*) FILTER (WHERE days IS NULL OR days > w.window_days) AS not_reported
        FROM nearest CROSS JOIN (SELECT unnest({WINDOWS}) AS window_days) AS w
        GROUP BY w.window_days ORDER BY w.window_days
        """
    ).pl()
    gaps = detail.sql(
        "SELECT days_to_police_record FROM cohorts.unreported_assaults WHERE days_to_police_record IS NOT NULL"
    ).pl()["days_to_police_record"].to_numpy()
    suspects = detail.sql(
        """
        SELECT count(DISTINCT u.event_id)
        FROM cohorts.unreported_assaults AS u
        JOIN cohorts.events AS e
          ON e.person_id = u.person_id AND e.feed = 'police' AND e.role IN ('SUSPECT', 'OFFENDER')
         AND abs(date_diff('day', u.event_date, e.event_date)) <= 14
        WHERE NOT u.reported_to_police
        """
    ).fetchall()[0][0]

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4))
    left.plot(sensitivity["window_days"].to_list(),
              [k / n if n else 0 for k, n in sensitivity.select("not_reported", "attendances").iter_rows()], marker="o")
    left.set_xscale("symlog", linthresh=1)
    left.set_xticks(WINDOWS, [str(w) for w in WINDOWS])
    left.set_ylim(0, 1)
    left.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    left.set_xlabel("window: days either side of the attendance")
    left.set_ylabel("share not reported")
    left.set_title("Share not reported by window")
    span = int(np.abs(gaps).max()) if gaps.size else 1
    right.hist(gaps, bins=np.arange(-span - 0.5, span + 1.5), color="tab:blue")
    right.set_xlabel("days from the attendance to the police offence date (negative: offence before)")
    right.set_ylabel("attendances")
    right.set_title("When the police record falls, for reported attendances")
    plt.tight_layout()
    plt.show()

    for w, n, k in sensitivity.iter_rows():
        print(f"window {w:>2} days: {pct(k, n)} not reported")
    if gaps.size:
        print(f"Of reported attendances, the police record is dated the same day for {pct(int((gaps == 0).sum()), gaps.size)}, "
              f"before the attendance for {pct(int((gaps < 0).sum()), gaps.size)} and after it for "
              f"{pct(int((gaps > 0).sum()), gaps.size)}")
    print(f"{pct(suspects, not_reported)} of unreported attendances have a police suspect or offender record "
          f"of the same person within 14 days: possibly a fight police recorded the other way round")
    detail.close()

# %%
con.close()
