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
# # Where victims live: councils, deprivation and neighbourhoods
#
# The needs assessment asks where violence concentrates: which of the three councils (Bedford,
# Central Bedfordshire, Luton), how strongly it follows deprivation, and which neighbourhoods
# (LSOAs) stand out. Every count here comes from the protected tables (`aggregates.*`), so
# every figure in this notebook is publishable as it stands.
#
# **How to read it.** A rate is victims per 1,000 residents: the published count divided by the
# residents in `reference.population` (a public table). Where a count is suppressed its rate is
# too, and the chart says "suppressed" instead of drawing a bar. Victims are placed by their
# *home* neighbourhood on their most recent record, not by where the offence happened.
#
# **Caveats.**
# - In the demo the data (and the population) are synthetic.
# - Counts from 1 to 4 are suppressed, with other cells chosen so that none can be worked
#   back out from the totals. Victims with no known home in the county ("Not known") are in
#   the totals but in no council's or neighbourhood's rate.
# - Linkage error moves the counts a little: a missed link counts one victim twice (possibly in
#   two neighbourhoods), a false link counts two victims once.
# - A neighbourhood has a few hundred to a couple of thousand residents, so its rate moves a
#   lot with a handful of victims. The funnel plot shows which high rates are more than chance.

# %%
import matplotlib.pyplot as plt
import numpy as np
import polars as pl

from dagster_project.analyst import connect

AGE_BANDS = ["0-9", "10-14", "15-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]


def pct(part, whole) -> str:
    """A share as a percentage ("<1%" for a small non-zero share), or "n/a" when there is nothing to divide by."""
    if not whole:
        return "n/a"
    return "<1%" if 0 < part / whole < 0.005 else f"{part / whole:.0%}"


def with_rates(published: pl.DataFrame, residents: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Join residents (a public table) to published counts; rate per 1,000 only where the
    count is published and the residents are known."""
    return published.join(residents, on=keys, how="left").with_columns(
        pl.when(pl.col("residents") > 0)
        .then(1000 * pl.col("count") / pl.col("residents"))
        .alias("rate")
    )


def mark_suppressed(ax, positions, suppressed, *, horizontal=False):
    """Write "suppressed" where a protected table hid a count, so a gap is never read as zero."""
    for position, hidden in zip(positions, suppressed):
        if hidden:
            xy = (0, position) if horizontal else (position, 0)
            ax.annotate("suppressed", xy, rotation=0 if horizontal else 90, fontsize=8, color="grey",
                        ha="left" if horizontal else "center", va="center" if horizontal else "bottom")


con = connect()
by_council_residents = con.sql(
    """
    SELECT l.lad22nm AS council, sum(p.residents)::BIGINT AS residents
    FROM reference.population AS p JOIN reference.lsoa AS l USING (lsoa21cd) GROUP BY ALL
    """
).pl()
county_residents = int(by_council_residents["residents"].sum())
print(f"{county_residents:,} residents in {by_council_residents.height} councils (reference.population)")

# %% [markdown]
# ## Councils
#
# Victims per 1,000 residents by home council (`aggregates.victims_by_council_and_sex`, the
# council totals), and by council and age band (`aggregates.victims_by_council_and_age_band`):
# age is at the first victimisation, residents are those of the same age band.

# %%
councils = with_rates(
    con.sql(
        """
        SELECT council, count, suppressed FROM aggregates.victims_by_council_and_sex
        WHERE sex = 'Total' AND council NOT IN ('Total', 'Not known') ORDER BY council
        """
    ).pl(),
    by_council_residents,
    ["council"],
)
totals = dict(
    con.sql(
        "SELECT council, count FROM aggregates.victims_by_council_and_sex WHERE sex = 'Total' AND council IN ('Total', 'Not known')"
    ).fetchall()
)
county_total, not_known = totals.get("Total"), totals.get("Not known")
in_county = councils["count"].sum() if councils.height and councils["count"].null_count() == 0 else None
county_rate = 1000 * in_county / county_residents if in_county is not None and county_residents else None

council_age = with_rates(
    con.sql(
        """
        SELECT council, age_band, count, suppressed FROM aggregates.victims_by_council_and_age_band
        WHERE NOT is_total AND council NOT IN ('Total', 'Not known') AND age_band <> 'Not known'
        """
    ).pl(),
    con.sql(
        """
        SELECT l.lad22nm AS council, p.age_band, sum(p.residents)::BIGINT AS residents
        FROM reference.population AS p JOIN reference.lsoa AS l USING (lsoa21cd) GROUP BY ALL
        """
    ).pl(),
    ["council", "age_band"],
)

fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4), gridspec_kw={"width_ratios": [1, 2.4]})
x = np.arange(councils.height)
left.bar(x, councils["rate"].fill_null(0).to_list(), color="tab:blue")
mark_suppressed(left, x, councils["suppressed"].to_list())
if county_rate is not None:
    left.axhline(county_rate, ls="--", color="black", label="county")
    left.legend()
left.set_xticks(x, councils["council"].to_list(), rotation=15)
left.set_ylabel("victims per 1,000 residents")
left.set_title("By home council")

names = councils["council"].to_list()
width = 0.8 / max(len(names), 1)
x = np.arange(len(AGE_BANDS))
for i, council in enumerate(names):
    rows = {band: (rate, hidden) for band, rate, hidden in
            council_age.filter(pl.col("council") == council).select("age_band", "rate", "suppressed").iter_rows()}
    positions = x - 0.4 + width * (i + 0.5)
    right.bar(positions, [rows.get(b, (None, False))[0] or 0 for b in AGE_BANDS], width=width, label=council)
    mark_suppressed(right, positions, [rows.get(b, (None, False))[1] for b in AGE_BANDS])
right.set_xticks(x, AGE_BANDS)
right.set_xlabel("age at first victimisation")
right.set_ylabel("victims per 1,000 residents of that age")
right.set_title("By home council and age band")
if names:
    right.legend()
plt.tight_layout()
plt.show()

for council, count, rate in councils.select("council", "count", "rate").iter_rows():
    print(f"{council}: " + (f"{count:,} victims, {rate:.1f} per 1,000 residents" if rate is not None else "suppressed"))
if county_rate is not None:
    print(f"County: {county_rate:.1f} victims per 1,000 residents")
if county_total and not_known is not None:
    print(f"{pct(not_known, county_total)} of victims have no known home neighbourhood in the county")
ranked = councils.drop_nulls("rate").sort("rate", descending=True)
if ranked.height >= 2 and ranked["rate"][-1] > 0:
    high, low = ranked.row(0, named=True), ranked.row(-1, named=True)
    print(f"{high['council']}'s rate is {high['rate'] / low['rate']:.1f} times {low['council']}'s")

# %%
# The protected table carries its own rates where it knows the residents (all ages, rounded
# to one decimal); where both exist they agree with the ones computed here.
if "rate_per_1000" in con.sql("FROM aggregates.victims_by_council_and_sex LIMIT 0").columns:
    published_rates = con.sql(
        """
        SELECT council, rate_per_1000 FROM aggregates.victims_by_council_and_sex
        WHERE sex = 'Total' AND rate_per_1000 IS NOT NULL
        """
    ).pl()
    both = councils.join(published_rates, on="council").drop_nulls("rate")
    if both.height:
        gap = (both["rate"] - both["rate_per_1000"]).abs().max()
        print(f"Largest difference from the published rate_per_1000: {gap:.2f} per 1,000 ({both.height} councils compared)")

# %% [markdown]
# ## Deprivation
#
# Victims per 1,000 residents by the deprivation decile of their home neighbourhood
# (`aggregates.victims_by_deprivation_decile`; decile 1 is the most deprived tenth of
# neighbourhoods in England). A falling staircase from left to right is the gradient the needs
# assessment describes.

# %%
deciles = with_rates(
    con.sql(
        """
        SELECT deprivation_decile, count, suppressed FROM aggregates.victims_by_deprivation_decile
        WHERE NOT is_total AND deprivation_decile <> 'Not known' ORDER BY deprivation_decile
        """
    ).pl(),
    con.sql(
        """
        SELECT lpad(l.imd_decile::VARCHAR, 2, '0') AS deprivation_decile, sum(p.residents)::BIGINT AS residents
        FROM reference.population AS p JOIN reference.lsoa AS l USING (lsoa21cd) GROUP BY ALL
        """
    ).pl(),
    ["deprivation_decile"],
)

fig, ax = plt.subplots(figsize=(9, 4))
x = np.arange(deciles.height)
ax.bar(x, deciles["rate"].fill_null(0).to_list(), color="tab:red")
mark_suppressed(ax, x, deciles["suppressed"].to_list())
if county_rate is not None:
    ax.axhline(county_rate, ls="--", color="black", label="county")
    ax.legend()
ax.set_xticks(x, [str(int(d)) for d in deciles["deprivation_decile"].to_list()])
ax.set_xlabel("deprivation decile of the home neighbourhood (1 = most deprived)")
ax.set_ylabel("victims per 1,000 residents")
ax.set_title("Victims per 1,000 residents by deprivation decile")
plt.show()

rates = dict(deciles.select("deprivation_decile", "rate").iter_rows())
most, least = rates.get("01"), rates.get("10")
if most is not None and least:
    print(f"Most deprived decile: {most:.1f} per 1,000; least deprived: {least:.1f}: {most / least:.1f} times the rate")
most_deprived = deciles.filter(pl.col("deprivation_decile").is_in(["01", "02"]))
if most_deprived.height and most_deprived["count"].null_count() == 0 and in_county:
    print(f"The 20% most deprived neighbourhoods in England are home to "
          f"{pct(most_deprived['residents'].sum(), county_residents)} of the county's residents and "
          f"{pct(most_deprived['count'].sum(), in_county)} of its victims")

# %% [markdown]
# ## Neighbourhoods
#
# `aggregates.victims_by_neighbourhood` holds every neighbourhood, including those with no
# victims. Left: the neighbourhoods with the highest published rates. Right: a funnel plot,
# each neighbourhood's rate against its residents, with the limits within which a
# neighbourhood with the county's rate would fall 95% and 99.8% of the time. Points above the
# upper 99.8% line are unlikely to be high by chance alone; small neighbourhoods need a much
# higher rate to get there. Suppressed neighbourhoods (1 to 4 victims, or hidden to protect
# one that has) have no rate and are left out of both; where many are suppressed, as in a small
# snapshot, the neighbourhoods left are the extremes and the picture is not representative.

# %%
neighbourhoods = with_rates(
    con.sql(
        """
        SELECT n.neighbourhood, l.lad22nm AS council, l.imd_decile, n.count, n.suppressed
        FROM aggregates.victims_by_neighbourhood AS n
        JOIN reference.lsoa AS l ON l.lsoa21nm = n.neighbourhood
        WHERE NOT n.is_total
        """
    ).pl(),
    con.sql(
        """
        SELECT l.lsoa21nm AS neighbourhood, sum(p.residents)::BIGINT AS residents
        FROM reference.population AS p JOIN reference.lsoa AS l USING (lsoa21cd) GROUP BY ALL
        """
    ).pl(),
    ["neighbourhood"],
)
suppressed_n = int(neighbourhoods["suppressed"].sum())
print(f"{neighbourhoods.height} neighbourhoods, of which {suppressed_n} have a suppressed count")

TOP = 15
top = neighbourhoods.drop_nulls("rate").sort("rate", descending=True).head(TOP)
colours = {c: f"C{i}" for i, c in enumerate(sorted(by_council_residents["council"].to_list()))}

fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
y = np.arange(top.height)
left.barh(y, top["rate"].to_list(), color=[colours.get(c, "grey") for c in top["council"].to_list()])
left.set_yticks(y, [f"{n} (decile {d})" for n, d in top.select("neighbourhood", "imd_decile").iter_rows()])
left.invert_yaxis()
left.set_xlabel("victims per 1,000 residents")
left.set_title(f"The {top.height} neighbourhoods with the highest published rates")

shown = neighbourhoods.drop_nulls("rate")
for council, colour in colours.items():
    rows = shown.filter(pl.col("council") == council)
    right.scatter(rows["residents"].to_list(), rows["rate"].to_list(), s=12, color=colour, label=council)
p = in_county / county_residents if in_county and county_residents else None
if p and shown.height:
    n = np.linspace(max(shown["residents"].min(), 1), shown["residents"].max(), 200)
    right.axhline(1000 * p, color="black", lw=1)
    for z, style in ((1.96, ":"), (3.09, "--")):
        spread = z * np.sqrt(p * (1 - p) / n)
        right.plot(n, 1000 * (p + spread), color="black", ls=style, lw=1)
        right.plot(n, 1000 * np.clip(p - spread, 0, None), color="black", ls=style, lw=1)
right.set_xlabel("residents")
right.set_ylabel("victims per 1,000 residents")
right.set_title("Funnel plot: dotted 95%, dashed 99.8% limits")
fig.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()], labels=list(colours),
           loc="lower center", ncols=max(len(colours), 1), frameon=False)
plt.tight_layout(rect=(0, 0.06, 1, 1))
plt.show()

if p and shown.height:
    upper = 1000 * (p + 3.09 * np.sqrt(p * (1 - p) / shown["residents"].to_numpy()))
    above = shown.filter(pl.Series(shown["rate"].to_numpy() > upper))
    print(f"{above.height} neighbourhoods are above the 99.8% limit")
    for council, count in above.group_by("council").len().sort("council").iter_rows():
        print(f"  {council}: {count}")
    if above.height:
        print(f"Of them, {pct(above.filter(pl.col('imd_decile') <= 2).height, above.height)} are in the 20% most "
              f"deprived neighbourhoods in England")
top.select("neighbourhood", "council", "imd_decile", "count", "residents", pl.col("rate").round(1))

# %%
con.close()
