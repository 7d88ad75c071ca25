-- aggregates.victims_by_council_and_age_band: victims of violence (cohorts.victims) by home council and age band at their first victimisation.
SELECT coalesce(p.council, 'Not known') AS council,
       coalesce(CASE
           WHEN v.age_at_first < 10 THEN '0-9' WHEN v.age_at_first < 15 THEN '10-14'
           WHEN v.age_at_first < 18 THEN '15-17' WHEN v.age_at_first < 25 THEN '18-24'
           WHEN v.age_at_first < 35 THEN '25-34' WHEN v.age_at_first < 45 THEN '35-44'
           WHEN v.age_at_first < 55 THEN '45-54' WHEN v.age_at_first < 65 THEN '55-64'
           WHEN v.age_at_first IS NOT NULL THEN '65+' END, 'Not known') AS age_band,
       count(*) AS count
FROM cohorts.victims AS v JOIN cohorts.persons AS p USING (person_id)
GROUP BY ALL
