-- cohorts.victims in the default tier: published persons with a police victim record or an A&E assault attendance, their counts, and the months of the first and last victimisation where the published periods pin them.
--
-- Columns
--   person_id                 the person in this publication (cohorts.persons)
--   victimisations            police victim records plus A&E assault attendances
--   police_victimisations     offences where police recorded the person as the victim
--   ae_attendances            emergency-department attendances for assault
--   domestic_abuse            police victimisations flagged domestic-abuse related
--   sexual_offences           police victimisations for rape or another sexual offence
--   violence_or_sexual        police victimisations in the Home Office violence against the person or sexual offences groups
--   knife                     victimisations involving a knife or sharp instrument (police or A&E)
--   first_victimisation_month month (YYYY-MM) of the first victimisation, when the published periods of the person's victimisations pin it to one month
--   last_victimisation_month  month of the most recent victimisation, likewise
CREATE OR REPLACE TEMP TABLE default_victims AS
WITH periods AS (
    SELECT a.person_id,
           first_month(a.period_start, a.period_end) AS first_victimisation_month,
           last_month(a.period_start, a.period_end) AS last_victimisation_month
    FROM anon_event AS a
    JOIN cohorts.events AS e USING (event_id)
    WHERE (e.feed = 'police' AND e.role = 'VICTIM') OR e.feed = 'health'
    GROUP BY a.person_id
)
SELECT
    p.default_id AS person_id,
    v.victimisations,
    v.police_victimisations,
    v.ae_attendances,
    v.domestic_abuse,
    v.sexual_offences,
    v.violence_or_sexual,
    v.knife,
    m.first_victimisation_month,
    m.last_victimisation_month
FROM cohorts.victims AS v
JOIN anon_person AS p USING (person_id)
LEFT JOIN periods AS m USING (person_id)
ORDER BY p.default_id;
