-- domestic_abuse_vs_events: persons in police domestic-abuse related offences, their role (victim, perpetrator or both), counts and first and last dates, recomputed from cohorts.events, beside the rows cohorts.domestic_abuse holds.
--
-- Columns
--   key        the person_id
--   expected   the person's role, counts and dates recomputed from cohorts.events, as text (null: no such offence there)
--   actual     the person's row in cohorts.domestic_abuse, as text (null: not in the table)
WITH expected AS (
    WITH per_person AS (
        SELECT
            person_id,
            count(*) FILTER (WHERE role = 'VICTIM') AS as_victim,
            count(*) FILTER (WHERE role IN ('SUSPECT', 'OFFENDER')) AS as_perpetrator,
            min(event_date) AS first_da_event,
            max(event_date) AS last_da_event
        FROM cohorts.events
        WHERE feed = 'police' AND domestic_abuse AND role IN ('VICTIM', 'SUSPECT', 'OFFENDER')
        GROUP BY person_id
    )
    SELECT
        person_id AS key,
        {
            'da_role': (
                CASE
                    WHEN as_victim > 0 AND as_perpetrator > 0 THEN 'both'
                    WHEN as_victim > 0 THEN 'victim'
                    ELSE 'perpetrator'
                END
            )::VARCHAR,
            'as_victim': as_victim::VARCHAR,
            'as_perpetrator': as_perpetrator::VARCHAR,
            'first_da_event': first_da_event::VARCHAR,
            'last_da_event': last_da_event::VARCHAR
        }::VARCHAR AS value
    FROM per_person
),
actual AS (  -- what cohorts.domestic_abuse holds
    SELECT
        person_id AS key,
        {
            'da_role': da_role::VARCHAR,
            'as_victim': as_victim::VARCHAR,
            'as_perpetrator': as_perpetrator::VARCHAR,
            'first_da_event': first_da_event::VARCHAR,
            'last_da_event': last_da_event::VARCHAR
        }::VARCHAR AS value
    FROM cohorts.domestic_abuse
)
SELECT coalesce(e.key, a.key) AS key, e.value AS expected, a.value AS actual
FROM expected AS e
FULL OUTER JOIN actual AS a ON a.key = e.key;
