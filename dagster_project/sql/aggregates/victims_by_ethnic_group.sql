-- aggregates.victims_by_ethnic_group: victims of violence by ethnic group (reconciled across their records).
SELECT coalesce(p.ethnic_group, 'Not stated') AS ethnic_group, count(*) AS count
FROM cohorts.victims AS v JOIN cohorts.persons AS p USING (person_id)
GROUP BY ALL
