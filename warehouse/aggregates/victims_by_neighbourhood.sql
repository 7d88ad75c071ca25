-- aggregates.victims_by_neighbourhood: victims of violence by home neighbourhood (LSOA 2021); every neighbourhood appears, with 0 if it has none; 'Not known' when the home is not known.
SELECT neighbourhood, sum(count)::BIGINT AS count
FROM (
    SELECT coalesce(p.neighbourhood, 'Not known') AS neighbourhood, count(*) AS count
    FROM cohorts.victims AS v JOIN cohorts.persons AS p USING (person_id)
    GROUP BY ALL
    UNION ALL
    SELECT coalesce(lsoa21nm, 'Not known'), 0 FROM reference.lsoa
)
GROUP BY neighbourhood
