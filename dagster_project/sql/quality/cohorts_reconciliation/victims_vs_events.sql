-- victims_vs_events: who is a victim, with their victimisation counts and first and last dates, recomputed from cohorts.events, beside the rows cohorts.victims holds.
--
-- A victimisation is a police record of the person as the victim, or an A&E assault
-- attendance, as the header of cohorts/victims.sql defines it.
--
-- Columns
--   key        the person_id
--   expected   the person's counts and dates recomputed from cohorts.events, as text (null: not a victim there)
--   actual     the person's row in cohorts.victims, as text (null: not in the table)
WITH expected AS (
    SELECT
        person_id AS key,
        {
            'victimisations': count(*)::VARCHAR,
            'police_victimisations': (count(*) FILTER (WHERE feed = 'police'))::VARCHAR,
            'ae_attendances': (count(*) FILTER (WHERE feed = 'health'))::VARCHAR,
            'domestic_abuse': (count(*) FILTER (WHERE domestic_abuse))::VARCHAR,
            'sexual_offences': (count(*) FILTER (WHERE sexual_offence))::VARCHAR,
            'violence_or_sexual': (count(*) FILTER (WHERE violence_or_sexual))::VARCHAR,
            'knife': (count(*) FILTER (WHERE knife))::VARCHAR,
            'night_time_economy': (count(*) FILTER (WHERE night_time_economy))::VARCHAR,
            'first_victimisation': min(event_date)::VARCHAR,
            'last_victimisation': max(event_date)::VARCHAR
        }::VARCHAR AS value
    FROM cohorts.events
    WHERE victimisation(feed, role)
    GROUP BY person_id
),
actual AS (  -- what cohorts.victims holds
    SELECT
        person_id AS key,
        {
            'victimisations': victimisations::VARCHAR,
            'police_victimisations': police_victimisations::VARCHAR,
            'ae_attendances': ae_attendances::VARCHAR,
            'domestic_abuse': domestic_abuse::VARCHAR,
            'sexual_offences': sexual_offences::VARCHAR,
            'violence_or_sexual': violence_or_sexual::VARCHAR,
            'knife': knife::VARCHAR,
            'night_time_economy': night_time_economy::VARCHAR,
            'first_victimisation': first_victimisation::VARCHAR,
            'last_victimisation': last_victimisation::VARCHAR
        }::VARCHAR AS value
    FROM cohorts.victims
)
SELECT coalesce(e.key, a.key) AS key, e.value AS expected, a.value AS actual
FROM expected AS e
FULL OUTER JOIN actual AS a ON a.key = e.key;
