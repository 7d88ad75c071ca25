-- persons_vs_events: each person's records, feeds, first and last event dates, latest age and home recomputed from cohorts.events, beside the row cohorts.persons holds.
--
-- Latest means latest by date, then by event id; for the home, a record with no date counts
-- as the oldest. Every value is cast to text before the struct is, so that a count and a
-- stored count print alike whatever their integer types.
--
-- Columns
--   key        the person_id
--   expected   the person's values recomputed from cohorts.events, as text (null: no events)
--   actual     the person's row in cohorts.persons, as text (null: not in the table)
WITH expected AS (
    SELECT
        person_id AS key,
        {
            'records': count(*)::VARCHAR,
            'feed_count': count(DISTINCT feed)::VARCHAR,
            'feeds_present': string_agg(DISTINCT feed, ',' ORDER BY feed)::VARCHAR,
            'first_event_date': min(event_date)::VARCHAR,
            'last_event_date': max(event_date)::VARCHAR,
            'latest_age': (
                arg_max(age_at_event, (event_date, event_id)) FILTER (WHERE age_at_event IS NOT NULL)
            )::VARCHAR,
            'home_lsoa': (
                arg_max(home_lsoa, (coalesce(event_date, DATE '0001-01-01'), event_id))
                    FILTER (WHERE home_lsoa IS NOT NULL)
            )::VARCHAR
        }::VARCHAR AS value
    FROM cohorts.events
    GROUP BY person_id
),
actual AS (  -- what cohorts.persons holds
    SELECT
        person_id AS key,
        {
            'records': records::VARCHAR,
            'feed_count': feed_count::VARCHAR,
            'feeds_present': feeds_present::VARCHAR,
            'first_event_date': first_event_date::VARCHAR,
            'last_event_date': last_event_date::VARCHAR,
            'latest_age': latest_age::VARCHAR,
            'home_lsoa': home_lsoa::VARCHAR
        }::VARCHAR AS value
    FROM cohorts.persons
)
SELECT coalesce(e.key, a.key) AS key, e.value AS expected, a.value AS actual
FROM expected AS e
FULL OUTER JOIN actual AS a ON a.key = e.key;
