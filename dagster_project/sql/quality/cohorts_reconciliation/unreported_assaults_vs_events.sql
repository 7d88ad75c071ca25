-- unreported_assaults_vs_events: exactly one row per A&E attendance in cohorts.events, with its own attributes and whether police recorded the person as a victim within the window the table says it used (window_days), beside the rows cohorts.unreported_assaults holds.
--
-- The nearest police victim record wins; with one as far before the attendance as another is
-- after it, the earlier wins.
--
-- Columns
--   key        the event_id of the attendance, as text
--   expected   the attendance's attributes and nearest police victim record from cohorts.events, as text (null: no such attendance there)
--   actual     the attendance's row in cohorts.unreported_assaults, as text (null: not in the table)
WITH expected AS (
    WITH attendance AS (
        SELECT * FROM cohorts.events WHERE feed = 'health'
    ),
    nearest AS (
        SELECT
            a.event_id,
            arg_min(
                date_diff('day', a.event_date, p.event_date),
                (abs(date_diff('day', a.event_date, p.event_date)), date_diff('day', a.event_date, p.event_date))
            ) AS days
        FROM attendance AS a
        JOIN cohorts.events AS p ON p.person_id = a.person_id AND p.feed = 'police' AND p.role = 'VICTIM'
        WHERE abs(date_diff('day', a.event_date, p.event_date))
              <= (SELECT max(window_days) FROM cohorts.unreported_assaults)
        GROUP BY a.event_id
    )
    SELECT
        attendance.event_id::VARCHAR AS key,
        {
            'person_id': person_id::VARCHAR,
            'event_date': event_date::VARCHAR,
            'event_hour': event_hour::VARCHAR,
            'night_time_economy': night_time_economy::VARCHAR,
            'weapon': weapon::VARCHAR,
            'admitted': admitted::VARCHAR,
            'age_band': age_band::VARCHAR,
            'sex': sex::VARCHAR,
            'ethnic_group': ethnic_group::VARCHAR,
            'home_lsoa': home_lsoa::VARCHAR,
            'setting': category::VARCHAR,
            'reported_to_police': (nearest.event_id IS NOT NULL)::VARCHAR,
            'days_to_police_record': nearest.days::VARCHAR
        }::VARCHAR AS value
    FROM attendance
    LEFT JOIN nearest USING (event_id)
),
actual AS (  -- what cohorts.unreported_assaults holds
    SELECT
        event_id::VARCHAR AS key,
        {
            'person_id': person_id::VARCHAR,
            'event_date': event_date::VARCHAR,
            'event_hour': event_hour::VARCHAR,
            'night_time_economy': night_time_economy::VARCHAR,
            'weapon': weapon::VARCHAR,
            'admitted': admitted::VARCHAR,
            'age_band': age_band::VARCHAR,
            'sex': sex::VARCHAR,
            'ethnic_group': ethnic_group::VARCHAR,
            'home_lsoa': home_lsoa::VARCHAR,
            'setting': setting::VARCHAR,
            'reported_to_police': reported_to_police::VARCHAR,
            'days_to_police_record': days_to_police_record::VARCHAR
        }::VARCHAR AS value
    FROM cohorts.unreported_assaults
)
SELECT coalesce(e.key, a.key) AS key, e.value AS expected, a.value AS actual
FROM expected AS e
FULL OUTER JOIN actual AS a ON a.key = e.key;
