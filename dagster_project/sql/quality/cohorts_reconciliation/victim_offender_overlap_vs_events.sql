-- victim_offender_overlap_vs_events: persons with at least one victimisation and one offending event, which came first and the days between the first of each, recomputed from cohorts.events, beside the rows cohorts.victim_offender_overlap holds.
--
-- Victimisation and offending as in victims_vs_events and offenders_vs_events.
--
-- Columns
--   key        the person_id
--   expected   the person's counts, first dates, sequence and gap recomputed from cohorts.events, as text (null: not in the overlap there)
--   actual     the person's row in cohorts.victim_offender_overlap, as text (null: not in the table)
WITH expected AS (
    WITH per_person AS (
        SELECT
            person_id,
            count(*) FILTER (WHERE victimisation(feed, role)) AS victimisations,
            count(*) FILTER (WHERE offending(feed, role)) AS offending,
            min(event_date) FILTER (WHERE victimisation(feed, role)) AS first_victimisation,
            min(event_date) FILTER (
                WHERE offending(feed, role)
            ) AS first_offending
        FROM cohorts.events
        GROUP BY person_id
    )
    SELECT
        person_id AS key,
        {
            'victimisations': victimisations::VARCHAR,
            'offending': offending::VARCHAR,
            'first_victimisation': first_victimisation::VARCHAR,
            'first_offending': first_offending::VARCHAR,
            'sequence': (
                CASE sign(date_diff('day', first_victimisation, first_offending))
                    WHEN 1 THEN 'victim_first'
                    WHEN -1 THEN 'offender_first'
                    ELSE 'same_day'
                END
            )::VARCHAR,
            'gap_days': date_diff('day', first_victimisation, first_offending)::VARCHAR
        }::VARCHAR AS value
    FROM per_person
    WHERE victimisations > 0 AND offending > 0
),
actual AS (  -- what cohorts.victim_offender_overlap holds
    SELECT
        person_id AS key,
        {
            'victimisations': victimisations::VARCHAR,
            'offending': offending::VARCHAR,
            'first_victimisation': first_victimisation::VARCHAR,
            'first_offending': first_offending::VARCHAR,
            'sequence': sequence::VARCHAR,
            'gap_days': gap_days::VARCHAR
        }::VARCHAR AS value
    FROM cohorts.victim_offender_overlap
)
SELECT coalesce(e.key, a.key) AS key, e.value AS expected, a.value AS actual
FROM expected AS e
FULL OUTER JOIN actual AS a ON a.key = e.key;
