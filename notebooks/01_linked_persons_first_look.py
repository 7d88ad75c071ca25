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
# # Linked persons: a first look
#
# How many people does the platform see, in how many agencies' records, and how many are
# both a victim and a suspect or offender? Everything here comes from the warehouse's
# person-level tables: no names, dates of birth, postcodes or NHS numbers exist there.
#
# `connect()` opens the published analyst snapshot's **default tier** read-only; its path comes
# from `VERU_ANALYST_SNAPSHOT` (default `warehouse/analyst.duckdb`). In it every person and every
# event hides among at least five: a person's home council, sex and age band are published only
# where five or more share them (otherwise only sex and age band, or nothing), an event's date
# only as the month, quarter or year at which five persons of the same group, feed and role share
# it, and ids are drawn afresh at every publication. Its tables are documented column by column
# in `warehouse/analyst/tables/*.sql`. Named analysts can also open the **restricted tier**, with
# every date, hour, age and neighbourhood: `connect(tier="restricted")` (`VERU_RESTRICTED_SNAPSHOT`,
# default `warehouse/analyst_restricted.duckdb`; its tables are those of `warehouse/cohorts/*.sql`).
# The protected aggregates (`warehouse/aggregates/*.sql`) are in both.
#
# Next: `02_victims_profile` (who and when), `03_hotspots` (where),
# `04_victim_offender_overlap_and_exploitation` and `05_unreported_assaults`.

# %%
from dagster_project.analyst import connect

con = connect()
persons = con.sql("SELECT count(*) FROM cohorts.person_summary").fetchall()[0][0]
print(f"{persons:,} linked persons")

# %% [markdown]
# ## In how many agencies' records does each person appear?

# %%
by_feeds = con.sql(
    """
    SELECT feeds_present, count(*) AS persons,
           round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS percent
    FROM cohorts.person_summary
    GROUP BY feeds_present
    ORDER BY feeds_present
    """
).pl()
by_feeds

# %% [markdown]
# ## Which combinations of agencies?
# Each row is a set of feeds a person appears in. Police-and-A&E persons are assaults that
# both services saw; persons in social care and YOS are children known to both.

# %%
combinations = con.sql(
    """
    SELECT concat_ws(' + ',
             CASE WHEN police_victim + police_suspect + police_offender + police_witness > 0 THEN 'police' END,
             CASE WHEN ae_attendances > 0 THEN 'A&E' END,
             CASE WHEN social_care_referrals > 0 THEN 'social care' END,
             CASE WHEN yos_outcomes > 0 THEN 'YOS' END) AS feeds,
           count(*) AS persons
    FROM cohorts.person_summary
    GROUP BY feeds
    ORDER BY persons DESC
    """
).pl()
combinations

# %% [markdown]
# ## Victims who are also suspects or offenders

# %%
overlap = con.sql(
    """
    SELECT count(*) FILTER (WHERE police_victim > 0) AS victims,
           count(*) FILTER (WHERE police_suspect + police_offender > 0) AS suspects_or_offenders,
           count(*) FILTER (WHERE police_victim > 0 AND police_suspect + police_offender > 0) AS both
    FROM cohorts.person_summary
    """
).pl()
assert overlap["both"][0] <= min(overlap["victims"][0], overlap["suspects_or_offenders"][0])
overlap

# %%
con.close()
