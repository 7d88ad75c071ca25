-- cohorts.domestic_abuse in the default tier: published persons in police domestic-abuse related offences as victim, perpetrator or both, with the months of the first and last such record where the published periods pin them. Derived from the published events alone (published_spans).
--
-- Columns
--   person_id        the person in this publication (cohorts.persons)
--   da_role          victim, perpetrator or both
--   as_victim        domestic-abuse offences where the person is the victim
--   as_perpetrator   domestic-abuse offences where the person is a suspect or offender
--   first_da_month   month (YYYY-MM) of the first domestic-abuse related record, when the published periods pin it to one month
--   last_da_month    month of the most recent one, likewise
CREATE OR REPLACE TEMP TABLE default_domestic_abuse AS
SELECT
    person_id,
    CASE
        WHEN count(*) FILTER (WHERE role = 'VICTIM') > 0 AND count(*) FILTER (WHERE role IN ('SUSPECT', 'OFFENDER')) > 0
            THEN 'both'
        WHEN count(*) FILTER (WHERE role = 'VICTIM') > 0 THEN 'victim'
        ELSE 'perpetrator'
    END AS da_role,
    count(*) FILTER (WHERE role = 'VICTIM') AS as_victim,
    count(*) FILTER (WHERE role IN ('SUSPECT', 'OFFENDER')) AS as_perpetrator,
    first_month(period_start, period_end) AS first_da_month,
    last_month(period_start, period_end) AS last_da_month
FROM published_spans
WHERE feed = 'police' AND domestic_abuse AND role IN ('VICTIM', 'SUSPECT', 'OFFENDER')
GROUP BY person_id
ORDER BY person_id;
