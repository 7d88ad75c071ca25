-- cohorts.domestic_abuse: persons in police domestic-abuse related offences, as victim, perpetrator (suspect or offender) or both.
--
-- Columns
--   person_id            the linked person
--   da_role              victim, perpetrator or both
--   as_victim            domestic-abuse offences where the person is the victim
--   as_perpetrator       domestic-abuse offences where the person is a suspect or offender
--   first_da_event       date of the first domestic-abuse related record
--   last_da_event        date of the most recent one
CREATE OR REPLACE TABLE cohorts.domestic_abuse AS
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
    min(event_date) AS first_da_event,
    max(event_date) AS last_da_event
FROM cohorts.events
WHERE feed = 'police' AND domestic_abuse AND role IN ('VICTIM', 'SUSPECT', 'OFFENDER')
GROUP BY person_id
ORDER BY person_id;
