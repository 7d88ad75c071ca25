-- aggregates.victims_by_neighbourhood: victims of violence by home neighbourhood (LSOA 2021); every named neighbourhood of reference.lsoa appears, with 0 if it has none; 'Not known' (the home or its name not known) appears only when it has victims.
SELECT neighbourhood, sum(count)::BIGINT AS count
FROM (
    SELECT coalesce(p.neighbourhood, 'Not known') AS neighbourhood, count(*) AS count
    FROM cohorts.victims AS v JOIN cohorts.persons AS p USING (person_id)
    GROUP BY ALL
    UNION ALL
    SELECT lsoa21nm, 0 FROM reference.lsoa WHERE lsoa21nm IS NOT NULL
)
GROUP BY neighbourhood
