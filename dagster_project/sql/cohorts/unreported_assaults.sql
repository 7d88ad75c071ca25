-- cohorts.unreported_assaults: every emergency-department attendance for assault, and whether police hold a victim record for the same person near it.
--
-- An attendance counts as reported when police recorded the same linked person as the victim
-- of an offence within getvariable('unreported_window_days') days either side (default 14):
-- a report can follow the attendance by days (or precede it when police bring the victim to
-- hospital), while a wider window would start crediting a different incident.
--
-- Columns
--   event_id              the attendance (cohorts.events)
--   person_id             the linked person
--   event_date            date of the attendance
--   event_hour            hour of arrival
--   night_time_economy    Friday or Saturday night (20:00 to 03:59)
--   setting               where the assault happened (Cardiff model: home, street, licensed premises, school, other)
--   weapon                weapon recorded
--   admitted              admitted to a ward
--   age_band              age band at the attendance
--   sex                   sex recorded at the attendance
--   ethnic_group          ethnic group recorded at the attendance
--   home_lsoa             home neighbourhood
--   reported_to_police    police hold a victim record for the person within the window
--   days_to_police_record days from the attendance to the nearest police victim record within the window (negative: before; an equally near earlier record wins)
--   window_days           the window used, in days either side
CREATE OR REPLACE TABLE cohorts.unreported_assaults AS
WITH attendances AS (
    SELECT * FROM cohorts.events WHERE feed = 'health'
),
police_victim AS (
    SELECT person_id, event_date FROM cohorts.events WHERE feed = 'police' AND role = 'VICTIM'
),
nearest AS (
    SELECT a.event_id, arg_min(date_diff('day', a.event_date, p.event_date),
                               abs(date_diff('day', a.event_date, p.event_date)) * 2
                               + (date_diff('day', a.event_date, p.event_date) > 0)::INT) AS days
    FROM attendances AS a
    JOIN police_victim AS p
      ON p.person_id = a.person_id
     AND abs(date_diff('day', a.event_date, p.event_date)) <= getvariable('unreported_window_days')
    GROUP BY a.event_id
)
SELECT
    a.event_id,
    a.person_id,
    a.event_date,
    a.event_hour,
    a.night_time_economy,
    a.category AS setting,
    a.weapon,
    a.admitted,
    a.age_band,
    a.sex,
    a.ethnic_group,
    a.home_lsoa,
    n.event_id IS NOT NULL AS reported_to_police,
    n.days AS days_to_police_record,
    getvariable('unreported_window_days')::INTEGER AS window_days
FROM attendances AS a
LEFT JOIN nearest AS n USING (event_id)
ORDER BY a.event_id;
