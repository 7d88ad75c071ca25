-- anon_units for events: one row per event of a published person, with its group key at each level of its period: the person's group (council, sex, age band as published), the kind of record, and the period.
--
-- Levels (an event starts at the finest it has; keys[level + 1] is its group key there):
--   0 month_and_time   month and time of day (police and A&E records, which carry a time)
--   1 month            month
--   2 quarter          quarter
--   3 year             year
--   4 none             no period (also where an event without a date starts)
-- Every key starts with the person's group key (anon_person.person_key) and the event's kind
-- (event_kind), so a published period always has k persons of the same area, sex, age band
-- and kind of record.
--
-- Columns
--   unit_id      the event (cohorts.events.event_id)
--   person_id    the warehouse's person id
--   keys         the group key at each level
--   kinds        empty: an event's kind is part of its key
--   level        the level the event is at (0 to 4)
--   settled      published at `level`
--   withheld     left out (never happens: persons are generalised so that every kind they hold has k persons)
CREATE OR REPLACE TEMP TABLE anon_units AS
WITH base AS (
    SELECT
        e.event_id,
        e.person_id,
        p.person_key || '|' || event_kind(e.feed, e.role) AS prefix,
        e.event_date,
        time_of_day(e.event_hour) AS time_of_day
    FROM cohorts.events AS e
    JOIN anon_person AS p USING (person_id)
)
SELECT
    event_id::VARCHAR AS unit_id,
    person_id,
    [
        prefix || '|month_and_time|' || qi_part(period_label('month', event_date)) || '|' || qi_part(time_of_day),
        prefix || '|month|' || qi_part(period_label('month', event_date)),
        prefix || '|quarter|' || qi_part(period_label('quarter', event_date)),
        prefix || '|year|' || qi_part(period_label('year', event_date)),
        prefix || '|none'
    ] AS keys,
    []::VARCHAR[] AS kinds,
    CASE WHEN event_date IS NULL THEN 4 WHEN time_of_day IS NULL THEN 1 ELSE 0 END AS level,
    FALSE AS settled,
    FALSE AS withheld
FROM base;
