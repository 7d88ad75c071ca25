-- Residents by council and age band (all sexes), from reference.population.
SELECT l.lad22nm AS council, p.age_band, sum(p.residents)::BIGINT AS residents
FROM reference.population AS p JOIN reference.lsoa AS l USING (lsoa21cd)
GROUP BY ALL
