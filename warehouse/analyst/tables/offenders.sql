-- cohorts.offenders in the default tier: published persons recorded as a police suspect or offender or given a YOS outcome, their counts, and the months of the first and last offending where the published periods pin them.
--
-- Columns
--   person_id              the person in this publication (cohorts.persons)
--   police_suspect         police records as a suspect
--   police_offender        police records as an offender (charged or convicted)
--   yos_outcomes           youth offending service outcomes
--   domestic_abuse         police suspect/offender records flagged domestic-abuse related
--   sexual_offences        police suspect/offender records for rape or another sexual offence
--   knife                  police suspect/offender records involving a knife, or YOS weapons offences
--   first_offending_month  month (YYYY-MM) of the first suspect/offender record or YOS outcome, when the published periods pin it to one month
--   last_offending_month   month of the most recent one, likewise
CREATE OR REPLACE TEMP TABLE default_offenders AS
WITH periods AS (
    SELECT a.person_id,
           first_month(a.period_start, a.period_end) AS first_offending_month,
           last_month(a.period_start, a.period_end) AS last_offending_month
    FROM anon_event AS a
    JOIN cohorts.events AS e USING (event_id)
    WHERE (e.feed = 'police' AND e.role IN ('SUSPECT', 'OFFENDER')) OR e.feed = 'yos'
    GROUP BY a.person_id
)
SELECT
    p.default_id AS person_id,
    o.police_suspect,
    o.police_offender,
    o.yos_outcomes,
    o.domestic_abuse,
    o.sexual_offences,
    o.knife,
    m.first_offending_month,
    m.last_offending_month
FROM cohorts.offenders AS o
JOIN anon_person AS p USING (person_id)
LEFT JOIN periods AS m USING (person_id)
ORDER BY p.default_id;
