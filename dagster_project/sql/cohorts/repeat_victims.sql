-- cohorts.repeat_victims: victims with three or more victimisations within twelve months (any 365-day window).
--
-- Columns
--   person_id                  the linked person
--   most_in_12_months          the most victimisations in any 365-day window
--   first_window_start         date of the first victimisation that starts a window with three or more
--   victimisations             all victimisations of the person
--   domestic_abuse             of which flagged domestic-abuse related by police
CREATE OR REPLACE TABLE cohorts.repeat_victims AS
WITH victimisation AS (
    SELECT person_id, event_date, domestic_abuse
    FROM cohorts.events
    WHERE victimisation(feed, role)
),
windows AS (
    SELECT
        person_id,
        event_date,
        count(*) OVER (
            PARTITION BY person_id ORDER BY event_date
            RANGE BETWEEN CURRENT ROW AND INTERVAL 364 DAYS FOLLOWING
        ) AS in_window
    FROM victimisation
)
SELECT
    w.person_id,
    max(w.in_window) AS most_in_12_months,
    min(w.event_date) FILTER (WHERE w.in_window >= 3) AS first_window_start,
    any_value(v.victimisations) AS victimisations,
    any_value(v.domestic_abuse) AS domestic_abuse
FROM windows AS w
JOIN (
    SELECT person_id, count(*) AS victimisations, count(*) FILTER (WHERE domestic_abuse) AS domestic_abuse
    FROM victimisation GROUP BY person_id
) AS v USING (person_id)
GROUP BY w.person_id
HAVING max(w.in_window) >= 3
ORDER BY w.person_id;
