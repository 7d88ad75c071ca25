-- Residents by council and sex, from reference.population; rows missing either are left out (their victims are 'Not known', which has no rate).
SELECT l.lad22nm AS council, p.sex, sum(p.residents)::BIGINT AS residents
FROM reference.population AS p JOIN reference.lsoa AS l USING (lsoa21cd)
WHERE l.lad22nm IS NOT NULL AND p.sex IS NOT NULL
GROUP BY ALL
