-- cohorts.unreported_assaults in the default tier: every A&E assault attendance of a published person, whether police hold a victim record near it, and the attendance's published period; no date, hour or gap in days.
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
--   reported_to_police    police hold a victim record for the person within the window
--   window_days           the window used, in days either side
CREATE OR REPLACE TEMP TABLE default_unreported_assaults AS
SELECT
    a.default_event_id AS event_id,
    p.default_id AS person_id,
    a.event_period,
    a.event_period_level,
    a.event_year,
    a.event_quarter,
    a.event_month,
    a.time_of_day,
    u.setting,
    u.weapon,
    u.admitted,
    p.age_band,
    p.sex,
    p.home_area_level,
    p.council,
    u.reported_to_police,
    u.window_days
FROM cohorts.unreported_assaults AS u
JOIN anon_event AS a USING (event_id)
JOIN anon_person AS p ON p.person_id = u.person_id
ORDER BY a.default_event_id;
