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
# band (at their latest record), and its date only as a month, quarter or year. Whether an
# attendance was reported is worked out from exact dates, and in the default tier a police
# record's month read with "reported within 14 days" would place an attendance the tier
# publishes without a month. So the default tier says per attendance only what the published
# periods show: *not reported* where no police victim record of the patient can lie within the
# window (they have none, or every one is published in a period too far away), *cannot tell*
# otherwise (`reported_to_police` is NULL). Every share below from it is therefore a range: at
# least the attendances certainly not reported, at most those not certainly reported. The exact
# share overall and by council comes from the protected table
# `aggregates.unreported_assaults_by_council`. The exact shares by setting, weapon, age and sex,
# and the last section (how the answer depends on the window, and how many days lie between an
# attendance and its police record), need the exact dates: they read the restricted tier
# (`connect(tier="restricted")`), which only named analysts can open, and are left out for
# everyone else.
#
# **How to read it.** In the default-tier charts the red bar is the share certainly not
# reported and the grey bar beyond it the attendances the published periods cannot tell (so the
# true share lies between the end of the red bar and the end of the grey one); groups with
# fewer than 5 attendances are not drawn. The exact shares (restricted tier) are bars with a 95%
# confidence interval (Wilson). The council chart uses the protected table
# `aggregates.unreported_assaults_by_council`, in which counts from 1 to 4, and the cells that
# would give them away, are suppressed.
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


def share_not_reported(by: str, source=None) -> pl.DataFrame:
    """Attendances by one column of cohorts.unreported_assaults: how many were certainly not reported
    to police, how many certainly were, and (default tier) how many the published periods cannot tell."""
    return (con if source is None else source).sql(
        f"""
        SELECT coalesce({by}::VARCHAR, 'Not recorded') AS "group", count(*) AS attendances,
               count(*) FILTER (WHERE NOT reported_to_police) AS not_reported,
               count(*) FILTER (WHERE reported_to_police) AS reported,
               count(*) FILTER (WHERE reported_to_police IS NULL) AS cannot_tell
        FROM cohorts.unreported_assaults GROUP BY ALL ORDER BY "group"
        """
    ).pl()


def _axes(ax, shown: pl.DataFrame, hidden: int, title: str):
    ax.set_yticks(np.arange(shown.height), [f"{g} (n={n:,})" for g, n in shown.select("group", "attendances").iter_rows()])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    if overall_share is not None:
        ax.axvline(overall_share, ls="--", color="black", lw=1)
    ax.set_title(title + (f" ({hidden} small group{'s' if hidden > 1 else ''} not shown)" if hidden else ""))


def plot_ranges(ax, table: pl.DataFrame, title: str):
    """Default tier: the share certainly not reported (red) and the share the published periods
    cannot tell (grey, beyond it); small groups left out."""
    shown = table.filter(pl.col("attendances") >= MIN_GROUP)
    if shown.height:
        n = shown["attendances"].to_numpy()
        low, unknown = shown["not_reported"].to_numpy() / n, shown["cannot_tell"].to_numpy() / n
        y = np.arange(shown.height)
        ax.barh(y, low, color="tab:red", alpha=0.7, label="certainly not reported")
        ax.barh(y, unknown, left=low, color="tab:gray", alpha=0.35, label="cannot tell (published periods)")
    _axes(ax, shown, table.height - shown.height, title)


def plot_shares(ax, table: pl.DataFrame, title: str):
    """Restricted tier: horizontal bars of the exact share not reported with Wilson intervals; small groups left out."""
    shown = table.filter(pl.col("attendances") >= MIN_GROUP)
    if shown.height:
        k, n = shown["not_reported"].to_numpy(), shown["attendances"].to_numpy()
        low, high = wilson(k, n)
        y = np.arange(shown.height)
        ax.barh(y, k / n, color="tab:red", alpha=0.7)
        errors = np.clip([k / n - low, high - k / n], 0, None)  # rounding can make a bound cross the share at 0% or 100%
        ax.errorbar(k / n, y, xerr=errors, fmt="none", color="black", capsize=3)
    _axes(ax, shown, table.height - shown.height, title)


def describe_range(group: str, n: int, k: int, unknown: int) -> str:
    """"group: 40% to 55% not reported (n attendances)": certainly not reported, and at most."""
    return f"{group}: {pct(k, n)} to {pct(k + unknown, n)} not reported ({n:,} attendances)"


con = connect()
total = dict(con.sql(
    """
    SELECT police_record, count FROM aggregates.unreported_assaults_by_council
    WHERE council = 'Total' AND police_record IN ('not reported', 'Total')
    """
).fetchall())
window, attendances, certainly_not, cannot_tell = con.sql(
    """
    SELECT max(window_days), count(*), count(*) FILTER (WHERE NOT reported_to_police),
           count(*) FILTER (WHERE reported_to_police IS NULL)
    FROM cohorts.unreported_assaults
    """
).fetchall()[0]
overall_share = total["not reported"] / total["Total"] if total.get("not reported") is not None and total.get("Total") else None
if overall_share is not None:
    print(f"{total['Total']:,} A&E assault attendances; {pct(total['not reported'], total['Total'])} have no police "
          f"victim record of the same person within {window} days either side (protected table, exact)")
else:
    print("The protected table suppresses the county total of attendances not reported")
print(f"In the default tier ({attendances:,} attendances of published persons): {pct(certainly_not, attendances)} "
      f"certainly not reported, {pct(cannot_tell, attendances)} that the published periods cannot tell")

# %% [markdown]
# ## By setting, weapon, period of the day and admission
#
# The dashed line is the exact share for all attendances (protected table). Settings follow the
# Cardiff model's location of the assault as A&E records it. The period of the day (night
# 00-05, morning, afternoon, evening 18-23) is published only where five or more patients of
# the same group share it with the month; the others are "not published". Each bar is a range:
# at least the red share was not reported, at most the red and grey together.

# %%
BREAKDOWNS = {
    "setting": ("setting", "Where the assault happened"),
    "weapon": ("weapon", "Weapon"),
    "time_of_day": ("coalesce(time_of_day, 'not published')", "Period of the day"),
    "admitted": ("CASE WHEN admitted THEN 'admitted' WHEN NOT admitted THEN 'not admitted' END", "Admitted to a ward"),
}
tables = {key: share_not_reported(by) for key, (by, _) in BREAKDOWNS.items()}
fig, axes = plt.subplots(2, 2, figsize=(13, 7))
for ax, (key, (_, title)) in zip(axes.flat, BREAKDOWNS.items()):
    plot_ranges(ax, tables[key], title)
axes.flat[0].legend(loc="lower right", fontsize=8)
fig.suptitle("A&E assault attendances with no police victim record: what the default tier can tell")
plt.tight_layout()
plt.show()

for key, table in tables.items():
    for group, n, k, unknown in table.filter(pl.col("attendances") >= MIN_GROUP).select(
            "group", "attendances", "not_reported", "cannot_tell").iter_rows():
        print(describe_range(f"{key} = {group}", n, k, unknown))

# %% [markdown]
# ## By age and sex
#
# The patient's age band at their latest record, and sex, as the default tier publishes them
# ("Not recorded" includes those whose group was too small to publish).

# %%
ages = share_not_reported("age_band")
sexes = share_not_reported("CASE sex WHEN 'F' THEN 'female' WHEN 'M' THEN 'male' ELSE 'not recorded' END")
fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4), gridspec_kw={"width_ratios": [3, 2]})
plot_ranges(left, ages, "Age band (at the latest record)")
plot_ranges(right, sexes, "Sex")
plt.tight_layout()
plt.show()
for group, n, k, unknown in sexes.filter(pl.col("attendances") >= MIN_GROUP).select(
        "group", "attendances", "not_reported", "cannot_tell").iter_rows():
    print(describe_range(group, n, k, unknown))

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
# ## Exact shares, and how sensitive they are to the window (restricted tier)
#
# This section needs every record's exact date, so it reads the **restricted tier**
# (`connect(tier="restricted")`); it is left out when you are not one of the named analysts who
# may open it.
#
# First the exact share not reported by setting, weapon, admission, age band (at the
# attendance) and sex. Then the share not reported, recomputed from `cohorts.events` for
# windows from the same day to three months either side. A wider window finds more police
# records, but the further away a record is, the more likely it is about a different incident.
# Right, for attendances that were reported, the days from the attendance to the nearest police
# victim record. A police record is dated by when the offence happened, not when it was
# reported, so the record of the same incident falls on or before the attendance (an assault
# just before midnight can be treated the next day); a record dated after the attendance is
# more likely a later offence.

# %%
detail = connect_restricted()
if detail is not None:
    exact = {
        "setting": ("setting", "Where the assault happened"),
        "weapon": ("weapon", "Weapon"),
        "admitted": BREAKDOWNS["admitted"],
        "age_band": ("age_band", "Age band (at the attendance)"),
        "sex": ("CASE sex WHEN 'F' THEN 'female' WHEN 'M' THEN 'male' ELSE 'not recorded' END", "Sex"),
    }
    fig, axes = plt.subplots(1, len(exact), figsize=(4 * len(exact), 4))
    for ax, (key, (by, title)) in zip(axes, exact.items()):
        table = share_not_reported(by, detail)
        plot_shares(ax, table, title)
        for group, n, k in table.filter(pl.col("attendances") >= MIN_GROUP).select(
                "group", "attendances", "not_reported").iter_rows():
            print(f"{key} = {group}: {pct(k, n)} not reported ({n:,} attendances)")
    fig.suptitle("Share of A&E assault attendances with no police victim record (exact, restricted tier)")
    plt.tight_layout()
    plt.show()

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
    not_reported = detail.sql("SELECT count(*) FROM cohorts.unreported_assaults WHERE NOT reported_to_police").fetchall()[0][0]
    print(f"{pct(suspects, not_reported)} of unreported attendances have a police suspect or offender record "
          f"of the same person within 14 days: possibly a fight police recorded the other way round")
    detail.close()

# %%
con.close()
