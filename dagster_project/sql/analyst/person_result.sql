-- anon_person: each person published in the default tier, with a fresh person id and the home council, sex and age band of the level it settled at.
--
-- The fresh id (A + 9 digits) is drawn in random order at every publication: the warehouse's
-- person ids follow the order of the person's first record, and so would give away when and
-- in which feed they were first seen. Withheld persons are not here.
--
-- Columns
--   person_id          the warehouse's person id (never published in the default tier)
--   default_id         the person's id in the default tier
--   person_key         the person's group key at its level (what events are grouped by)
--   home_area_level    council, county or suppressed
--   council            the home council, or 'Not known' (council level only)
--   sex                sex (council and county levels)
--   age_band           age band at the latest event (council and county levels)
CREATE OR REPLACE TEMP TABLE anon_person AS
WITH drawn AS (
    SELECT *, random() AS draw FROM anon_units WHERE settled AND NOT withheld
)
SELECT
    u.person_id,
    'A' || lpad(row_number() OVER (ORDER BY u.draw, u.person_id)::VARCHAR, 9, '0') AS default_id,
    u.keys[u.level + 1] AS person_key,
    ['council', 'county', 'suppressed'][u.level + 1] AS home_area_level,
    CASE WHEN u.level = 0 THEN coalesce(l.lad22nm, 'Not known') END AS council,
    CASE WHEN u.level <= 1 THEN p.sex END AS sex,
    CASE WHEN u.level <= 1 THEN p.age_band END AS age_band
FROM drawn AS u
JOIN cohorts.persons AS p USING (person_id)
LEFT JOIN reference.lsoa AS l ON l.lsoa21cd = p.home_lsoa;
