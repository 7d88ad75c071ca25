-- cohorts.domestic_abuse in the default tier: published persons in police domestic-abuse related offences as victim, perpetrator or both, with the months of the first and last such record where the published periods pin them.
--
-- Columns
--   person_id        the person in this publication (cohorts.persons)
--   da_role          victim, perpetrator or both
--   as_victim        domestic-abuse offences where the person is the victim
--   as_perpetrator   domestic-abuse offences where the person is a suspect or offender
--   first_da_month   month (YYYY-MM) of the first domestic-abuse related record, when the published periods pin it to one month
--   last_da_month    month of the most recent one, likewise
CREATE OR REPLACE TEMP TABLE default_domestic_abuse AS
WITH periods AS (
    SELECT a.person_id,
           first_month(a.period_start, a.period_end) AS first_da_month,
           last_month(a.period_start, a.period_end) AS last_da_month
    FROM anon_event AS a
    JOIN cohorts.events AS e USING (event_id)
    WHERE e.feed = 'police' AND e.domestic_abuse AND e.role IN ('VICTIM', 'SUSPECT', 'OFFENDER')
    GROUP BY a.person_id
)
SELECT
    p.default_id AS person_id,
    d.da_role,
    d.as_victim,
    d.as_perpetrator,
    m.first_da_month,
    m.last_da_month
FROM cohorts.domestic_abuse AS d
JOIN anon_person AS p USING (person_id)
LEFT JOIN periods AS m USING (person_id)
ORDER BY p.default_id;
