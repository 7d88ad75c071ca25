-- anon_event: each event published in the default tier, with a fresh event id and the period (and time of day) of the level it settled at.
--
-- The fresh id is drawn in random order at every publication: the warehouse's event ids
-- follow the feed's record keys, which follow the date.
--
-- Columns
--   event_id             the warehouse's event id (never published in the default tier)
--   person_id            the warehouse's person id
--   default_event_id     the event's id in the default tier
--   event_period_level   month, quarter, year or none
--   event_period         2024-03, 2024-Q1 or 2024 (NULL at level none)
--   event_year           year (month, quarter and year levels)
--   event_quarter        quarter, 1 to 4 (month and quarter levels)
--   event_month          month, 1 to 12 (month level)
--   time_of_day          night (00-05), morning, afternoon or evening (18-23), where published with the month
CREATE OR REPLACE TEMP TABLE anon_event AS
WITH settled AS (
    SELECT
        e.event_id,
        e.person_id,
        e.event_date,
        time_of_day(e.event_hour) AS hour_part,
        ['month', 'month', 'quarter', 'year', 'none'][u.level + 1] AS period_level,
        u.level,
        random() AS draw
    FROM anon_units AS u
    JOIN cohorts.events AS e ON e.event_id::VARCHAR = u.unit_id
    WHERE u.settled AND NOT u.withheld
)
SELECT
    event_id,
    person_id,
    row_number() OVER (ORDER BY draw, event_id)::BIGINT AS default_event_id,
    period_level AS event_period_level,
    period_label(period_level, event_date) AS event_period,
    CASE WHEN level <= 3 THEN year(event_date)::INTEGER END AS event_year,
    CASE WHEN level <= 2 THEN quarter(event_date)::INTEGER END AS event_quarter,
    CASE WHEN level <= 1 THEN month(event_date)::INTEGER END AS event_month,
    CASE WHEN level = 0 THEN hour_part END AS time_of_day
FROM settled;
