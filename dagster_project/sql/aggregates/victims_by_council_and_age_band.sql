-- aggregates.victims_by_council_and_age_band: victims of violence (cohorts.victims) by home council and age band at their first victimisation.
SELECT coalesce(p.council, 'Not known') AS council,
       coalesce(age_band(v.age_at_first), 'Not known') AS age_band,
       count(*) AS count
FROM cohorts.victims AS v JOIN cohorts.persons AS p USING (person_id)
GROUP BY ALL
