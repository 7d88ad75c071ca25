-- Residents under 25 by council and sex, from reference.population (the population at risk for the exploitation cohort); rows missing council or sex are left out.
SELECT l.lad22nm AS council, p.sex, sum(p.residents)::BIGINT AS residents
FROM reference.population AS p JOIN reference.lsoa AS l USING (lsoa21cd)
WHERE p.age_band IN ('0-9', '10-14', '15-17', '18-24') AND l.lad22nm IS NOT NULL AND p.sex IS NOT NULL
GROUP BY ALL
