-- repeat_victims_vs_events: victims with three or more victimisations within 365 days, their most in any window, the first date that starts such a window and their totals, recomputed from cohorts.events, beside the rows cohorts.repeat_victims holds.
--
-- Victimisations are counted per window by a self-join, where the cohort uses a window
-- function, so the two are computed independently.
--
-- Columns
--   key        the person_id
--   expected   the person's window counts and totals recomputed from cohorts.events, as text (null: not a repeat victim there)
--   actual     the person's row in cohorts.repeat_victims, as text (null: not in the table)
WITH expected AS (
    WITH victimisation AS (
        SELECT event_id, person_id, event_date, domestic_abuse
        FROM cohorts.events
        WHERE victimisation(feed, role)
    ),
    windows AS (
        SELECT a.person_id, a.event_date, count(*) AS in_window
        FROM victimisation AS a
        JOIN victimisation AS b
          ON b.person_id = a.person_id AND b.event_date BETWEEN a.event_date AND a.event_date + 364
        GROUP BY a.event_id, a.person_id, a.event_date
    ),
    per_person AS (
        SELECT
            person_id,
            max(in_window) AS most_in_12_months,
            min(event_date) FILTER (WHERE in_window >= 3) AS first_window_start
        FROM windows
        GROUP BY person_id
    ),
    totals AS (
        SELECT person_id, count(*) AS victimisations, count(*) FILTER (WHERE domestic_abuse) AS domestic_abuse
        FROM victimisation
        GROUP BY person_id
    )
    SELECT
        person_id AS key,
        {
            'most_in_12_months': most_in_12_months::VARCHAR,
            'first_window_start': first_window_start::VARCHAR,
            'victimisations': victimisations::VARCHAR,
            'domestic_abuse': domestic_abuse::VARCHAR
        }::VARCHAR AS value
    FROM per_person
    JOIN totals USING (person_id)
    WHERE most_in_12_months >= 3
),
actual AS (  -- what cohorts.repeat_victims holds
    SELECT
        person_id AS key,
        {
            'most_in_12_months': most_in_12_months::VARCHAR,
            'first_window_start': first_window_start::VARCHAR,
            'victimisations': victimisations::VARCHAR,
            'domestic_abuse': domestic_abuse::VARCHAR
        }::VARCHAR AS value
    FROM cohorts.repeat_victims
)
SELECT coalesce(e.key, a.key) AS key, e.value AS expected, a.value AS actual
FROM expected AS e
FULL OUTER JOIN actual AS a ON a.key = e.key;
