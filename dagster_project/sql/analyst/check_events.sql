-- What the default tier's published events (default_events) say beyond the recoding: rows whose period parts say more than their period level, and persons whose published group differs between their events (read by anonymise.derivation_problems).
--
-- Columns
--   period_rows     events whose event_year, event_quarter, event_month or time_of_day is not exactly what event_period and event_period_level give (the time of day only with a month)
--   group_persons   persons whose published sex, age band, council or home_area_level is not the same on every event
SELECT
    count(*) FILTER (WHERE NOT coalesce(CASE event_period_level
        WHEN 'month' THEN event_period = printf('%04d-%02d', event_year, event_month)
                          AND event_quarter = (event_month + 2) // 3
        WHEN 'quarter' THEN event_period = printf('%04d-Q%d', event_year, event_quarter)
                            AND event_month IS NULL AND time_of_day IS NULL
        WHEN 'year' THEN event_period = event_year::VARCHAR
                         AND event_quarter IS NULL AND event_month IS NULL AND time_of_day IS NULL
        WHEN 'none' THEN event_period IS NULL AND event_year IS NULL AND event_quarter IS NULL
                         AND event_month IS NULL AND time_of_day IS NULL
    END, FALSE)) AS period_rows,
    (SELECT count(*) FROM (
        SELECT person_id FROM default_events GROUP BY person_id
        HAVING count(DISTINCT concat_ws('|', qi_part(sex), qi_part(age_band), qi_part(council), qi_part(home_area_level))) > 1
    )) AS group_persons
FROM default_events;
