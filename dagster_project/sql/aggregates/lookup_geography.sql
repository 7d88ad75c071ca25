-- Public lookup (reference.lsoa): the neighbourhood, council and deprivation decile labels that occur together, labelled as the victim tables label them ('Not known' in every column for a person with no known home).
SELECT DISTINCT coalesce(lsoa21nm, 'Not known') AS neighbourhood,
       coalesce(lad22nm, 'Not known') AS council,
       coalesce(lpad(imd_decile::VARCHAR, 2, '0'), 'Not known') AS deprivation_decile
FROM reference.lsoa
UNION
SELECT 'Not known', 'Not known', 'Not known'
