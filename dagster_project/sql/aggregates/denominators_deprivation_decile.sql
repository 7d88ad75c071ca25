-- Residents by deprivation decile of their neighbourhood, from reference.population; neighbourhoods with no decile are left out.
SELECT lpad(l.imd_decile::VARCHAR, 2, '0') AS deprivation_decile, sum(p.residents)::BIGINT AS residents
FROM reference.population AS p JOIN reference.lsoa AS l USING (lsoa21cd)
WHERE l.imd_decile IS NOT NULL
GROUP BY ALL
