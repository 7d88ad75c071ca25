-- cohorts.victims in the default tier: published persons with a police victim record or an A&E assault attendance, their counts, and the months of the first and last victimisation where the published periods pin them. Derived from the published events alone (published_spans).
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
SELECT
    person_id,
    count(*) AS victimisations,
    count(*) FILTER (WHERE feed = 'police') AS police_victimisations,
    count(*) FILTER (WHERE feed = 'health') AS ae_attendances,
    count(*) FILTER (WHERE domestic_abuse) AS domestic_abuse,
    count(*) FILTER (WHERE sexual_offence) AS sexual_offences,
    count(*) FILTER (WHERE violence_or_sexual) AS violence_or_sexual,
    count(*) FILTER (WHERE knife) AS knife,
    first_month(period_start, period_end) AS first_victimisation_month,
    last_month(period_start, period_end) AS last_victimisation_month
FROM published_spans
WHERE victimisation(feed, role)
GROUP BY person_id
ORDER BY person_id;
