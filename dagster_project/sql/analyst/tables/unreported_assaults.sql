-- cohorts.unreported_assaults in the default tier: every A&E assault attendance of a published person, its published period, and whether the published periods show police hold a victim record for the person within the window; no date, hour or gap in days. Derived from the published events alone (published_spans).
--
-- The restricted tier says whether a police victim record lies within window_days of the
-- attendance by their exact dates. That flag, read with the person's published police periods,
-- would place an attendance published with no period (or only a year) near those periods. Here
-- it is worked out from the published periods instead: FALSE where they show no police victim
-- record of the person can lie within the window (the person has none, or every one is
-- published in a period more than window_days from the attendance's), TRUE where they show one
-- must (both published in periods no further apart than the window at their farthest days: a
-- month is longer than 14 days, so with the default window this does not happen), NULL where
-- they cannot tell. So `NOT reported_to_police` counts attendances certainly not reported (a
-- lower bound); the exact split is in aggregates.unreported_assaults_by_council (protected) and
-- the restricted tier.
--
-- Columns
--   event_id              the attendance in this publication (cohorts.events)
--   person_id             the person in this publication (cohorts.persons)
--   event_period          the period the attendance is published at (as cohorts.events)
--   event_period_level    month, quarter, year or none
--   event_year            calendar year (NULL at level none)
--   event_quarter         quarter, 1 to 4 (month and quarter levels)
--   event_month           month, 1 to 12 (month level)
--   time_of_day           night, morning, afternoon or evening, where published (as cohorts.events)
--   setting               where the assault happened (Cardiff model: home, street, licensed premises, school, other)
--   weapon                weapon recorded
--   admitted              admitted to a ward
--   age_band              the person's published age band
--   sex                   the person's published sex
--   home_area_level       council, county or suppressed: how far the person's home, sex and age band are published (cohorts.persons)
--   council               the person's home council, or 'Not known', where published (council level)
--   reported_to_police    FALSE: the published periods show no police victim record of the person within the window; TRUE: they show one; NULL: they cannot tell
--   window_days           the window, in days either side
CREATE OR REPLACE TEMP TABLE default_unreported_assaults AS
WITH attendances AS (
    SELECT * FROM published_spans WHERE feed = 'health'
),
police_victim AS (
    SELECT person_id, period_start, period_end FROM published_spans WHERE feed = 'police' AND role = 'VICTIM'
),
nearness AS (
    SELECT
        a.event_id,
        -- some police victim record lies within the window whatever the days in both periods
        bool_or(a.period_start IS NOT NULL AND p.period_start IS NOT NULL
                AND date_diff('day', a.period_start, p.period_end) <= getvariable('analyst_window_days')
                AND date_diff('day', p.period_start, a.period_end) <= getvariable('analyst_window_days')) AS surely_near,
        -- every police victim record lies outside the window whatever the days in both periods
        bool_and(a.period_start IS NOT NULL AND p.period_start IS NOT NULL
                 AND (date_diff('day', a.period_end, p.period_start) > getvariable('analyst_window_days')
                      OR date_diff('day', p.period_end, a.period_start) > getvariable('analyst_window_days'))) AS surely_far
    FROM attendances AS a
    JOIN police_victim AS p USING (person_id)
    GROUP BY a.event_id
)
SELECT
    a.event_id,
    a.person_id,
    a.event_period,
    a.event_period_level,
    a.event_year,
    a.event_quarter,
    a.event_month,
    a.time_of_day,
    a.category AS setting,
    a.weapon,
    a.admitted,
    a.age_band,
    a.sex,
    a.home_area_level,
    a.council,
    CASE
        WHEN n.event_id IS NULL THEN FALSE
        WHEN n.surely_near THEN TRUE
        WHEN n.surely_far THEN FALSE
    END AS reported_to_police,
    getvariable('analyst_window_days')::INTEGER AS window_days
FROM attendances AS a
LEFT JOIN nearness AS n USING (event_id)
ORDER BY a.event_id;
