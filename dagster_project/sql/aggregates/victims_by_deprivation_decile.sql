-- aggregates.victims_by_deprivation_decile: victims of violence by the deprivation decile of their home neighbourhood (01 = most deprived).
SELECT coalesce(lpad(p.imd_decile::VARCHAR, 2, '0'), 'Not known') AS deprivation_decile, count(*) AS count
FROM cohorts.victims AS v JOIN cohorts.persons AS p USING (person_id)
GROUP BY ALL
