-- offenders_vs_events: who offended, with their offending counts, first and last dates and age at the first, recomputed from cohorts.events, beside the rows cohorts.offenders holds.
--
-- Offending is a police record of the person as suspect or offender, or a YOS outcome, as the
-- header of cohorts/offenders.sql defines it. The first is the earliest by date, then by event id.
--
-- Columns
--   key        the person_id
--   expected   the person's counts, dates and age recomputed from cohorts.events, as text (null: no offending there)
--   actual     the person's row in cohorts.offenders, as text (null: not in the table)
WITH expected AS (
    SELECT
        person_id AS key,
        {
            'police_suspect': (count(*) FILTER (WHERE feed = 'police' AND role = 'SUSPECT'))::VARCHAR,
            'police_offender': (count(*) FILTER (WHERE feed = 'police' AND role = 'OFFENDER'))::VARCHAR,
            'yos_outcomes': (count(*) FILTER (WHERE feed = 'yos'))::VARCHAR,
            'domestic_abuse': (count(*) FILTER (WHERE domestic_abuse))::VARCHAR,
            'sexual_offences': (count(*) FILTER (WHERE sexual_offence))::VARCHAR,
            'knife': (count(*) FILTER (WHERE knife))::VARCHAR,
            'first_offending': min(event_date)::VARCHAR,
            'last_offending': max(event_date)::VARCHAR,
            'age_at_first': (
                arg_min(age_at_event, (event_date, event_id)) FILTER (WHERE age_at_event IS NOT NULL)
            )::VARCHAR
        }::VARCHAR AS value
    FROM cohorts.events
    WHERE offending(feed, role)
    GROUP BY person_id
),
actual AS (  -- what cohorts.offenders holds
    SELECT
        person_id AS key,
        {
            'police_suspect': police_suspect::VARCHAR,
            'police_offender': police_offender::VARCHAR,
            'yos_outcomes': yos_outcomes::VARCHAR,
            'domestic_abuse': domestic_abuse::VARCHAR,
            'sexual_offences': sexual_offences::VARCHAR,
            'knife': knife::VARCHAR,
            'first_offending': first_offending::VARCHAR,
            'last_offending': last_offending::VARCHAR,
            'age_at_first': age_at_first::VARCHAR
        }::VARCHAR AS value
    FROM cohorts.offenders
)
SELECT coalesce(e.key, a.key) AS key, e.value AS expected, a.value AS actual
FROM expected AS e
FULL OUTER JOIN actual AS a ON a.key = e.key;
