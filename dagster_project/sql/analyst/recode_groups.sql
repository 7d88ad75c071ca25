-- anon_groups: the groups of the current level (getvariable('anon_level')) among the units not yet settled, with their persons and whether each is k-anonymous (getvariable('anon_k')).
--
-- A group is k-anonymous when it holds at least k distinct persons and, for every kind of
-- record its persons hold (persons only: a police victim record, an A&E attendance, ...),
-- either none or at least k of them hold it: an attacker who knows a neighbour's group and
-- one kind of record they have still has k candidates.
--
-- Columns
--   key          the group's key at the current level (anon_units.keys)
--   persons      distinct persons in the group
--   thin_kinds   kinds held by fewer than k of the group's persons
--   good         the group is k-anonymous
CREATE OR REPLACE TEMP VIEW anon_groups AS
WITH open AS (
    SELECT keys[getvariable('anon_level') + 1] AS key, person_id, kinds
    FROM anon_units
    WHERE level = getvariable('anon_level') AND NOT settled AND NOT withheld
),
sizes AS (
    SELECT key, count(DISTINCT person_id) AS persons FROM open GROUP BY key
),
kind_sizes AS (
    SELECT key, kind, count(DISTINCT person_id) AS persons
    FROM (SELECT key, person_id, unnest(kinds) AS kind FROM open)
    GROUP BY key, kind
)
SELECT
    s.key,
    s.persons,
    coalesce(list(k.kind ORDER BY k.kind) FILTER (WHERE k.persons < getvariable('anon_k')), []::VARCHAR[]) AS thin_kinds,
    s.persons >= getvariable('anon_k')
        AND count(k.kind) FILTER (WHERE k.persons < getvariable('anon_k')) = 0 AS good
FROM sizes AS s
LEFT JOIN kind_sizes AS k USING (key)
GROUP BY s.key, s.persons;
