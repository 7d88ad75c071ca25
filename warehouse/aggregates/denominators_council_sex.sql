-- Residents by council and sex, from reference.population.
SELECT l.lad22nm AS council, p.sex, sum(p.residents)::BIGINT AS residents
FROM reference.population AS p JOIN reference.lsoa AS l USING (lsoa21cd)
GROUP BY ALL
