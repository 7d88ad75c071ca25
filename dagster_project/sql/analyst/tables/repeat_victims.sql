-- cohorts.repeat_victims in the default tier: published persons whose victimisations' published periods place three or more within twelve months (365 days), with how many and their counts; no date. Derived from the published events alone (published_spans).
--
-- The restricted tier counts victimisations within any 365-day window by their exact dates.
-- Here a victimisation counts in a window only when its whole published period lies inside
-- it: an event published by month, quarter or year 2023 fits; one published for the leap year
-- 2024 (366 days) or with no period does not. So every person here is a repeat victim in the
-- restricted tier too, most_in_12_months is at least this many there, and a repeat victim
-- whose victimisations are published only by (leap) year or not at all is not here.
--
-- Columns
--   person_id          the person in this publication (cohorts.persons)
--   most_in_12_months  the most victimisations whose published periods lie within one 365-day window (3 or more; the true number is at least this)
--   victimisations     all victimisations of the person
--   domestic_abuse     of which flagged domestic-abuse related by police
CREATE OR REPLACE TEMP TABLE default_repeat_victims AS
WITH victimisation AS (
    SELECT person_id, period_start, period_end, domestic_abuse
    FROM published_spans
    WHERE victimisation(feed, role)
),
windows AS (
    SELECT w.person_id, w.window_start, count(*) AS placed
    FROM (SELECT DISTINCT person_id, period_start AS window_start FROM victimisation WHERE period_start IS NOT NULL) AS w
    JOIN victimisation AS v
      ON v.person_id = w.person_id
     AND v.period_start >= w.window_start
     AND v.period_end <= w.window_start + 364
    GROUP BY ALL
),
most AS (
    SELECT person_id, max(placed) AS most_in_12_months FROM windows GROUP BY person_id HAVING max(placed) >= 3
)
SELECT
    m.person_id,
    m.most_in_12_months,
    count(*) AS victimisations,
    count(*) FILTER (WHERE v.domestic_abuse) AS domestic_abuse
FROM most AS m
JOIN victimisation AS v USING (person_id)
GROUP BY ALL
ORDER BY m.person_id;
