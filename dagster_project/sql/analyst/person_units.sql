-- anon_units for persons: one row per person of cohorts.persons, with its group key at each level of generalisation and the kinds of record it holds.
--
-- Levels (a person is published at the first whose group is k-anonymous; keys[level + 1] is
-- its group key there):
--   0 council      home council ('Not known' when the home is unknown or outside the county), sex, age band
--   1 county      sex, age band (home council not published)
--   2 suppressed  nothing (home council, sex and age band not published)
-- The home neighbourhood (LSOA) is not a level: at 20,000 persons a neighbourhood group of
-- five persons has too few events of each kind to publish any of their periods, so publishing
-- the LSOA of the few persons whose group reached k cost nine in ten of their events their
-- dates. Neighbourhoods are in aggregates.victims_by_neighbourhood and the restricted tier.
--
-- Columns
--   unit_id      the person (cohorts.persons.person_id)
--   person_id    the same
--   keys         the group key at each level, each starting with the level's name
--   kinds        the kinds of record the person holds (event_kind: police_victim, police_suspect, police_offender, police_other, health, social_care, yos)
--   level        the level the person is at (0 to 2)
--   settled      published at `level`
--   withheld     left out of the default tier (no level can hide the person)
CREATE OR REPLACE TEMP TABLE anon_units AS
WITH kinds AS (
    SELECT person_id, list_sort(list_distinct(list(event_kind(feed, role)))) AS kinds
    FROM cohorts.events
    GROUP BY person_id
),
qi AS (
    SELECT p.person_id, coalesce(l.lad22nm, 'Not known') AS council, p.sex, p.age_band
    FROM cohorts.persons AS p
    LEFT JOIN reference.lsoa AS l ON l.lsoa21cd = p.home_lsoa
)
SELECT
    q.person_id AS unit_id,
    q.person_id,
    [
        'council|' || q.council || '|' || qi_part(q.sex) || '|' || qi_part(q.age_band),
        'county|' || qi_part(q.sex) || '|' || qi_part(q.age_band),
        'suppressed'
    ] AS keys,
    coalesce(k.kinds, []::VARCHAR[]) AS kinds,
    0 AS level,
    FALSE AS settled,
    FALSE AS withheld
FROM qi AS q
LEFT JOIN kinds AS k USING (person_id);
