-- Under every group of the current level with fewer than k persons, bring down from a group settled at a finer level the persons it lacks: only as many as it lacks, from a group that keeps k without them (the coarsest, then the largest), else a whole group (the smallest).
--
-- For events: an A&E attendance alone in its year has nowhere coarser to go than "no period";
-- rather than hide all of a busy month's attendances of the same group with it, four other
-- persons' attendances of that month join it there and the month keeps the rest. Persons
-- brought down are chosen by a hash of their id, not by anything about them.
UPDATE anon_units
SET settled = FALSE, level = getvariable('anon_level')
WHERE settled AND level < getvariable('anon_level')
  AND keys[level + 1] || '#' || person_id IN (
      WITH short AS (
          SELECT key AS parent, getvariable('anon_k') - persons AS needed
          FROM anon_groups
          WHERE persons < getvariable('anon_k')
      ),
      remainder AS (
          SELECT DISTINCT keys[getvariable('anon_level') + 1] AS parent, person_id
          FROM anon_units
          WHERE level = getvariable('anon_level') AND NOT settled AND NOT withheld
      ),
      members AS (
          SELECT DISTINCT
              u.keys[getvariable('anon_level') + 1] AS parent,
              u.level,
              u.keys[u.level + 1] AS key,
              u.person_id,
              r.person_id IS NOT NULL AS in_remainder
          FROM anon_units AS u
          LEFT JOIN remainder AS r ON r.parent = u.keys[getvariable('anon_level') + 1] AND r.person_id = u.person_id
          WHERE u.settled AND u.level < getvariable('anon_level')
            AND u.keys[getvariable('anon_level') + 1] IN (SELECT parent FROM short)
      ),
      groups AS (
          SELECT m.parent, m.level, m.key, s.needed,
                 count(*) AS persons,
                 count(*) FILTER (WHERE NOT m.in_remainder) AS eligible
          FROM members AS m
          JOIN short AS s USING (parent)
          GROUP BY ALL
      ),
      chosen AS (
          SELECT *, eligible >= needed AND persons - needed >= getvariable('anon_k') AS spares
          FROM groups
          QUALIFY row_number() OVER (
              PARTITION BY parent
              ORDER BY spares DESC,
                       CASE WHEN spares THEN -level ELSE persons END,
                       CASE WHEN spares THEN -persons ELSE -level END,
                       key
          ) = 1
      ),
      picked AS (
          SELECT m.key, m.person_id, c.spares, c.needed,
                 row_number() OVER (PARTITION BY m.key ORDER BY m.in_remainder, hash(m.person_id), m.person_id) AS turn
          FROM members AS m
          JOIN chosen AS c USING (parent, level, key)
      )
      SELECT key || '#' || person_id FROM picked WHERE NOT spares OR turn <= needed
  );
