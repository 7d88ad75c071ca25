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
# # Victims of violence: who, and when
#
# The needs assessment asks who is harmed (age, sex, ethnicity) and when (month, day of the
# week, hour, and how much falls in the night-time economy). This notebook answers both from
# the analyst snapshot's default tier, in which every person and every event hides among at
# least five: a person's home council, sex and age band (at their latest record) are published
# only where five or more share them, and an event's date only as the month, quarter or year
# at which five or more persons of the same kind share it. Where a question needs more detail
# (the time of day by feed and sex in the night-time economy) the notebook says so and reads
# the restricted tier, which only named analysts can open.
#
# **What counts.** A *victimisation* is a police record naming the person as the victim
# (violence against the person, sexual offences, robbery or public order: whatever the police
# extract holds) or an emergency-department (A&E) attendance for assault. A *victim* is a
# linked person with at least one victimisation (`cohorts.victims`). An assault that both
# police and A&E saw counts twice among victimisations but once among victims.
#
# **How to read it.** Person-level figures (from `cohorts.*`) are working figures for the
# analyst. Figures meant for publication come from the protected tables (`aggregates.*`), in
# which counts from 1 to 4, and the cells that would give them away, are suppressed: they are
# drawn as grey "suppressed" markers, never as zero.
#
# **Caveats.**
# - In the demo the data are synthetic: the patterns show what the notebook can do, not what
#   happens in Bedfordshire.
# - Linkage is probabilistic. A missed link splits one person in two (more victims, fewer repeat
#   victims); a false link merges two people. Sex and ethnicity are reconciled across a
#   person's records (the most often recorded value), so a false link can also mislabel them.
# - Rates use the residents in `reference.population`; only victims whose home neighbourhood is
#   in the county enter a rate's numerator. There is no population by ethnic group in the
#   snapshot, so ethnicity is shown as shares, not rates.

# %%
import matplotlib.pyplot as plt
import numpy as np
import polars as pl

from dagster_project.analyst import connect

AGE_BANDS = ["0-9", "10-14", "15-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
VICTIMISATION = "((feed = 'police' AND role = 'VICTIM') OR feed = 'health')"
# The night-time economy window, Friday and Saturday 20:00 to 03:59, covers 16 of the week's 168 hours.
NTE_SHARE_OF_WEEK = 16 / 168


def pct(part, whole) -> str:
    """A share as a percentage ("<1%" for a small non-zero share), or "n/a" when there is nothing to divide by."""
    if not whole:
        return "n/a"
    return "<1%" if 0 < part / whole < 0.005 else f"{part / whole:.0%}"


def mark_suppressed(ax, positions, suppressed, *, horizontal=False):
    """Write "suppressed" where a protected table hid a count, so a gap is never read as zero."""
    for position, hidden in zip(positions, suppressed):
        if hidden:
            xy = (0, position) if horizontal else (position, 0)
            ax.annotate("suppressed", xy, rotation=0 if horizontal else 90, fontsize=8, color="grey",
                        ha="left" if horizontal else "center", va="center" if horizontal else "bottom")


def connect_restricted():
    """The restricted tier (full detail), or None with the reason when this reader may not open it."""
    try:
        return connect(tier="restricted")
    except (PermissionError, FileNotFoundError) as error:
        print(f"Restricted tier not available: {error}")
        return None


con = connect()
about = con.sql("SELECT events_from, events_to, persons FROM main.about").fetchall()
if about:
    events_from, events_to, persons = about[0]
    print(f"Snapshot: {persons:,} linked persons, events from {events_from} to {events_to}")
victims, victimisations = con.sql(
    f"SELECT (SELECT count(*) FROM cohorts.victims), count(*) FROM cohorts.events WHERE {VICTIMISATION}"
).fetchall()[0]
print(f"{victims:,} victims with {victimisations:,} victimisations")

# %% [markdown]
# ## Who: age and sex
#
# Victims per 1,000 residents of the same age band and sex. The default tier publishes one age
# band per person, their age at their latest record (the age at the first victimisation is in
# the restricted tier and, protected, in `aggregates.victims_by_council_and_age_band`). Victims
# whose home council is published enter the rates; those published at the county level (their
# council, sex and age band group was too small) are left out, as are homes outside the county.
# The bars compare groups of very different sizes on one scale; the printed shares say where
# most victims are.

# %%
age_sex = con.sql(
    """
    WITH victims AS (
        SELECT p.age_band, p.sex
        FROM cohorts.victims AS v JOIN cohorts.persons AS p USING (person_id)
        WHERE p.age_band IS NOT NULL AND p.sex IN ('F', 'M') AND p.council IS NOT NULL AND p.council <> 'Not known'
    ),
    residents AS (
        SELECT age_band, sex, sum(residents) AS residents FROM reference.population GROUP BY ALL
    )
    SELECT r.age_band, r.sex, count(v.sex) AS victims, r.residents,
           1000.0 * count(v.sex) / nullif(r.residents, 0) AS rate_per_1000
    FROM residents AS r LEFT JOIN victims AS v USING (age_band, sex)
    GROUP BY r.age_band, r.sex, r.residents
    ORDER BY r.age_band, r.sex
    """
).pl()

fig, ax = plt.subplots(figsize=(9, 4))
x = np.arange(len(AGE_BANDS))
for offset, (sex, label) in zip((-0.2, 0.2), (("F", "female"), ("M", "male"))):
    rows = dict(age_sex.filter(pl.col("sex") == sex).select("age_band", "rate_per_1000").iter_rows())
    ax.bar(x + offset, [rows.get(band) or 0 for band in AGE_BANDS], width=0.4, label=label)
ax.set_xticks(x, AGE_BANDS)
ax.set_xlabel("age band (at the latest record)")
ax.set_ylabel("victims per 1,000 residents")
ax.set_title("Victims per 1,000 residents, by age band and sex")
ax.legend()
plt.show()

in_rates = int(age_sex["victims"].sum())
female = int(age_sex.filter(pl.col("sex") == "F")["victims"].sum())
under_18 = int(age_sex.filter(pl.col("age_band").is_in(["0-9", "10-14", "15-17"]))["victims"].sum())
aged_18_34 = int(age_sex.filter(pl.col("age_band").is_in(["18-24", "25-34"]))["victims"].sum())
print(f"{pct(female, in_rates)} of victims living in the county (with a known age and sex) are female")
print(f"{pct(under_18, in_rates)} were under 18 at their latest record, {pct(aged_18_34, in_rates)} aged 18 to 34")
highest = age_sex.drop_nulls("rate_per_1000").filter(pl.col("victims") > 0).sort("rate_per_1000", descending=True)
if highest.height:
    top = highest.row(0, named=True)
    print(f"Highest rate: {'females' if top['sex'] == 'F' else 'males'} aged {top['age_band']}, "
          f"{top['rate_per_1000']:.1f} victims per 1,000 residents")

# %% [markdown]
# ## Who: ethnic group
#
# From the protected table `aggregates.victims_by_ethnic_group` (ethnic group reconciled across
# each person's records; "Not stated" when no record states one). Without residents by ethnic
# group these are shares of victims, not rates: a large share can simply reflect a large
# population.

# %%
ethnic = con.sql(
    "SELECT ethnic_group, count, suppressed FROM aggregates.victims_by_ethnic_group WHERE NOT is_total ORDER BY ethnic_group"
).pl()
ethnic_total = con.sql(
    "SELECT count FROM aggregates.victims_by_ethnic_group WHERE is_total AND count IS NOT NULL"
).fetchall()
ethnic_total = ethnic_total[0][0] if ethnic_total else None

fig, ax = plt.subplots(figsize=(7, 3.5))
y = np.arange(ethnic.height)
ax.barh(y, ethnic["count"].fill_null(0).to_list(), color="tab:purple")
mark_suppressed(ax, y, ethnic["suppressed"].to_list(), horizontal=True)
ax.set_yticks(y, ethnic["ethnic_group"].to_list())
ax.invert_yaxis()
ax.set_xlabel("victims (published count)")
ax.set_title("Victims by ethnic group (protected table)")
plt.show()

for group, count in ethnic.select("ethnic_group", "count").iter_rows():
    share = pct(count, ethnic_total) if count is not None and ethnic_total else "suppressed"
    print(f"{group}: {share} of victims")

# %% [markdown]
# ## When: month of the year
#
# The published table counts victimisations by calendar month over the whole period, so a
# month that the period covers in more years has more chances. The line below therefore
# averages each month over the years the period covers it (`main.about` gives the period).
# The person-level events are not used here: the default tier publishes an event's month only
# where five or more persons of its group share it, and the months it keeps are the busier
# ones, so counting them would exaggerate the seasons.

# %%
by_month = con.sql(
    "SELECT month, count, suppressed FROM aggregates.victimisations_by_month "
    "WHERE NOT is_total AND month <> 'Not known' ORDER BY month"  # events with no date are not in a month
).pl()
first_month, last_month = (str(v)[:7] for v in con.sql("SELECT events_from, events_to FROM main.about").fetchall()[0])
covered = pl.date_range(pl.date(*map(int, first_month.split("-")), 1), pl.date(*map(int, last_month.split("-")), 1),
                        "1mo", eager=True).dt.month().alias("month").value_counts().rename({"count": "years"})
per_year = (
    by_month.filter(pl.col("count").is_not_null())
    .with_columns(pl.col("month").cast(pl.Int8))
    .join(covered.with_columns(pl.col("month").cast(pl.Int8)), on="month")
    .select("month", (pl.col("count") / pl.col("years")).alias("per_year"))
    .sort("month")
)
by_period = dict(con.sql(
    f"SELECT event_period_level, count(*) FROM cohorts.events WHERE {VICTIMISATION} GROUP BY ALL"
).fetchall())
print(f"Person-level victimisations published by month: {pct(by_period.get('month', 0), sum(by_period.values()))} "
      f"(the rest by quarter, year or not at all: " + ", ".join(f"{k} {v:,}" for k, v in sorted(by_period.items())) + ")")

fig, ax = plt.subplots(figsize=(9, 4))
published = {int(m): (c, s) for m, c, s in by_month.iter_rows()}
x = np.arange(1, 13)
ax.bar(x, [published.get(m, (0, False))[0] or 0 for m in x], color="tab:blue", alpha=0.6,
       label="victimisations, whole period (published)")
mark_suppressed(ax, x, [published.get(m, (0, False))[1] for m in x])
ax.plot(per_year["month"].to_list(), per_year["per_year"].to_list(), color="black", marker="o",
        label="average per year (published, per year covered)")
ax.set_xticks(x, MONTHS)
ax.set_ylabel("victimisations")
ax.set_title("Victimisations by month")
ax.legend(loc="lower right")
plt.show()

if per_year.height:
    mean = per_year["per_year"].mean()
    peak = per_year.sort("per_year", descending=True).row(0, named=True)
    low = per_year.sort("per_year").row(0, named=True)
    print(f"Busiest month: {MONTHS[peak['month'] - 1]}, {pct(peak['per_year'] - mean, mean)} above the monthly average; "
          f"quietest: {MONTHS[low['month'] - 1]}, {pct(mean - low['per_year'], mean)} below it")
    summer = per_year.filter(pl.col("month").is_in([5, 6, 7, 8]))["per_year"].sum()
    print(f"May to August: {pct(summer, per_year['per_year'].sum())} of an average year's victimisations "
          f"(a third of the year would be {1 / 3:.0%})")

# %% [markdown]
# ## When: day of the week and hour of the day
#
# Police records carry the time of the offence and A&E records the time of arrival; social
# care and youth offending records carry only a date, so they are not victimisations here
# anyway. The heat map is the protected table `aggregates.victimisations_by_weekday_and_hour`:
# grey hatched cells are suppressed. The dashed box marks the night-time economy window
# (Friday and Saturday from 20:00 to 03:59 the next morning). The default tier's events carry
# no hour and no weekday (with a month they would give the date back); where the group allows,
# they carry the period of the day (night 00-05, morning, afternoon, evening 18-23), which the
# second chart compares for police and A&E. It is published for fewer events than the month,
# and more often for the common periods, so read its shape, not its exact shares.

# %%
week_hour = con.sql(
    "SELECT weekday, hour, count, suppressed FROM aggregates.victimisations_by_weekday_and_hour "
    "WHERE NOT is_total AND weekday <> 'Not known' AND hour <> 'Not known'"  # no date or time: not in the grid
).pl()
grid = np.full((7, 24), np.nan)
hidden = np.zeros((7, 24), dtype=bool)
for weekday, hour, count, suppressed in week_hour.iter_rows():
    day, hr = int(weekday.split("-")[0]) - 1, int(hour)
    if suppressed:
        hidden[day, hr] = True
    else:
        grid[day, hr] = count

fig, ax = plt.subplots(figsize=(11, 3.8))
image = ax.imshow(np.ma.masked_invalid(grid), aspect="auto", cmap="viridis")
ax.imshow(np.where(hidden, 1.0, np.nan), aspect="auto", cmap="Greys", vmin=0, vmax=2, alpha=0.6)
for day, hr in zip(*np.nonzero(hidden)):
    ax.add_patch(plt.Rectangle((hr - 0.5, day - 0.5), 1, 1, fill=False, hatch="///", color="grey", lw=0))
for day in (4, 5):  # Friday and Saturday evenings, then the early hours of Saturday and Sunday
    ax.add_patch(plt.Rectangle((19.5, day - 0.5), 4, 1, fill=False, ls="--", color="white", lw=1.5))
    ax.add_patch(plt.Rectangle((-0.5, day + 0.5), 4, 1, fill=False, ls="--", color="white", lw=1.5))
ax.set_yticks(range(7), WEEKDAYS)
ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
ax.set_xlabel("hour of the day")
ax.set_title("Victimisations by day and hour (protected table; hatched = suppressed)")
fig.colorbar(image, ax=ax, label="victimisations")
plt.show()
print(f"{int(hidden.sum())} of the 168 day-hour cells are suppressed")

PARTS_OF_DAY = ["night", "morning", "afternoon", "evening"]
by_part = con.sql(
    f"""
    SELECT feed, time_of_day AS part, count(*) AS n
    FROM cohorts.events WHERE {VICTIMISATION} AND time_of_day IS NOT NULL
    GROUP BY ALL ORDER BY feed, part
    """
).pl()
timed_published = int(by_part["n"].sum())
print(f"{timed_published:,} of {victimisations:,} victimisations carry their period of the day in the default tier")
fig, ax = plt.subplots(figsize=(9, 3.5))
for feed, label in (("police", "police victim records"), ("health", "A&E assault attendances")):
    rows = by_part.filter(pl.col("feed") == feed)
    total = rows["n"].sum()
    counts = dict(rows.select("part", "n").iter_rows())
    ax.plot(PARTS_OF_DAY, [counts.get(p, 0) / total if total else 0 for p in PARTS_OF_DAY], marker="o",
            label=f"{label} (n={total:,})")
ax.set_xlabel("period of the day (night 00-05, morning 06-11, afternoon 12-17, evening 18-23)")
ax.set_ylabel("share of the feed's victimisations")
ax.set_ylim(bottom=0)
ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
ax.set_title("Time of day: police and A&E compared")
ax.legend()
plt.show()

by_day = con.sql(
    """
    SELECT weekday, count FROM aggregates.victimisations_by_weekday_and_hour
    WHERE is_total AND hour = 'Total' AND weekday NOT IN ('Total', 'Not known') AND count IS NOT NULL
    """
).pl()
if by_day.height == 7:
    busiest = by_day.sort("count", descending=True).row(0, named=True)
    print(f"Busiest day: {WEEKDAYS[int(busiest['weekday'].split('-')[0]) - 1]}, "
          f"{pct(busiest['count'], by_day['count'].sum())} of timed victimisations (an even spread would be {1 / 7:.0%})")
evening = by_part.filter(pl.col("part") == "evening")["n"].sum()
print(f"{pct(evening, timed_published)} of the victimisations whose period of the day is published happen in the evening")

# %% [markdown]
# ## The night-time economy
#
# The share of timed victimisations in the night-time economy window, against the 16 of the
# week's 168 hours (about 10%) the window covers: a share above the dashed line means
# victimisation is concentrated there.
#
# Overall, from the protected day-by-hour table (its published cells). Split by feed and by
# sex it needs each event's weekday and hour, which only the **restricted tier** holds: the
# split below reads it with `connect(tier="restricted")` when you are one of the named analysts
# who may, and is left out otherwise.

# %%
in_window = np.zeros((7, 24), dtype=bool)
in_window[4:6, 20:] = True  # Friday and Saturday from 20:00
in_window[5:7, :4] = True  # the early hours of Saturday and Sunday
published_cells = ~np.isnan(grid)
all_timed, all_nte = int(np.nansum(grid)), int(np.nansum(np.where(in_window, grid, 0)))
print(f"Protected table: {pct(all_nte, all_timed)} of {all_timed:,} published timed victimisations fall in the "
      f"night-time economy window ({int((in_window & ~published_cells).sum())} of its 16 cells suppressed)")

restricted = connect_restricted()
nte = (
    restricted.sql(
        f"""
        SELECT CASE WHEN feed = 'police' THEN 'police' ELSE 'A&E' END AS feed, sex,
               count(*) AS timed, count(*) FILTER (WHERE night_time_economy) AS in_nte
        FROM cohorts.events
        WHERE {VICTIMISATION} AND night_time_economy IS NOT NULL
        GROUP BY ALL
        """
    ).pl()
    if restricted is not None
    else pl.DataFrame({"feed": ["all"], "sex": [None], "timed": [all_timed], "in_nte": [all_nte]},
                      schema={"feed": pl.String, "sex": pl.String, "timed": pl.Int64, "in_nte": pl.Int64})
)
groups = {"all": nte}
if restricted is not None:
    groups |= {
        "police": nte.filter(pl.col("feed") == "police"),
        "A&E": nte.filter(pl.col("feed") == "A&E"),
        "female": nte.filter(pl.col("sex") == "F"),
        "male": nte.filter(pl.col("sex") == "M"),
    }
labels, shares = [], []
for label, rows in groups.items():
    timed, in_nte = int(rows["timed"].sum()), int(rows["in_nte"].sum())
    labels.append(f"{label}\n(n={timed:,})")
    shares.append(in_nte / timed if timed else 0.0)
    print(f"{label}: {pct(in_nte, timed)} of {timed:,} timed victimisations fall in the night-time economy window")

fig, ax = plt.subplots(figsize=(8, 3.5))
ax.bar(labels, shares, color=["tab:gray", "tab:blue", "tab:red", "tab:orange", "tab:green"][: len(labels)])
ax.axhline(NTE_SHARE_OF_WEEK, ls="--", color="black", label="share of the week's hours")
ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
ax.set_ylabel("in the night-time economy window")
ax.set_title("Night-time economy share of victimisations")
ax.legend()
plt.show()

all_timed, all_nte = int(nte["timed"].sum()), int(nte["in_nte"].sum())
if all_timed:
    print(f"The window holds {pct(all_nte, all_timed)} of timed victimisations in {NTE_SHARE_OF_WEEK:.0%} of the week's "
          f"hours: {all_nte / all_timed / NTE_SHARE_OF_WEEK:.1f} times its share of time")
if restricted is not None:
    nte_victims = restricted.sql(
        "SELECT count(*) FILTER (WHERE night_time_economy > 0), count(*) FROM cohorts.victims"
    ).fetchall()[0]
    print(f"{pct(*nte_victims)} of victims have at least one night-time-economy victimisation (restricted tier)")
    restricted.close()

# %%
con.close()
