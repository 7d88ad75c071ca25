-- aggregates.victims_by_council_and_sex: victims of violence by home council and sex.
SELECT coalesce(p.council, 'Not known') AS council, coalesce(p.sex, 'Not known') AS sex, count(*) AS count
FROM cohorts.victims AS v JOIN cohorts.persons AS p USING (person_id)
GROUP BY ALL
