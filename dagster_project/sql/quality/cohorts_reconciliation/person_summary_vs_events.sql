-- person_summary_vs_events: each person's records by feed and role, feeds present and first and last event dates recomputed from cohorts.events, beside the row cohorts.person_summary holds.
--
-- Columns
--   key        the person_id
--   expected   the person's counts and dates recomputed from cohorts.events, as text (null: no events)
--   actual     the person's row in cohorts.person_summary, as text (null: not in the table)
WITH expected AS (
    SELECT
        person_id AS key,
        {
            'police_victim': (count(*) FILTER (WHERE feed = 'police' AND role = 'VICTIM'))::VARCHAR,
            'police_suspect': (count(*) FILTER (WHERE feed = 'police' AND role = 'SUSPECT'))::VARCHAR,
            'police_offender': (count(*) FILTER (WHERE feed = 'police' AND role = 'OFFENDER'))::VARCHAR,
            'police_witness': (count(*) FILTER (WHERE feed = 'police' AND role = 'WITNESS'))::VARCHAR,
            'ae_attendances': (count(*) FILTER (WHERE feed = 'health'))::VARCHAR,
            'social_care_referrals': (count(*) FILTER (WHERE feed = 'social_care'))::VARCHAR,
            'yos_outcomes': (count(*) FILTER (WHERE feed = 'yos'))::VARCHAR,
            'feeds_present': count(DISTINCT feed)::VARCHAR,
            'first_event_date': min(event_date)::VARCHAR,
            'last_event_date': max(event_date)::VARCHAR
        }::VARCHAR AS value
    FROM cohorts.events
    GROUP BY person_id
),
actual AS (  -- what cohorts.person_summary holds
    SELECT
        person_id AS key,
        {
            'police_victim': police_victim::VARCHAR,
            'police_suspect': police_suspect::VARCHAR,
            'police_offender': police_offender::VARCHAR,
            'police_witness': police_witness::VARCHAR,
            'ae_attendances': ae_attendances::VARCHAR,
            'social_care_referrals': social_care_referrals::VARCHAR,
            'yos_outcomes': yos_outcomes::VARCHAR,
            'feeds_present': feeds_present::VARCHAR,
            'first_event_date': first_event_date::VARCHAR,
            'last_event_date': last_event_date::VARCHAR
        }::VARCHAR AS value
    FROM cohorts.person_summary
)
SELECT coalesce(e.key, a.key) AS key, e.value AS expected, a.value AS actual
FROM expected AS e
FULL OUTER JOIN actual AS a ON a.key = e.key;
