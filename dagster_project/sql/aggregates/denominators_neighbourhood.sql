-- Residents by neighbourhood, from reference.population; neighbourhoods with no name are left out.
SELECT l.lsoa21nm AS neighbourhood, sum(p.residents)::BIGINT AS residents
FROM reference.population AS p JOIN reference.lsoa AS l USING (lsoa21cd)
WHERE l.lsoa21nm IS NOT NULL
GROUP BY ALL
