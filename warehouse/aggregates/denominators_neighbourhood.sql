-- Residents by neighbourhood, from reference.population.
SELECT l.lsoa21nm AS neighbourhood, sum(p.residents)::BIGINT AS residents
FROM reference.population AS p JOIN reference.lsoa AS l USING (lsoa21cd)
GROUP BY ALL
