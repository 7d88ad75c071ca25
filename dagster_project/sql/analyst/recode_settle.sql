-- Settle the units of the current level whose group is k-anonymous (anon_groups): they are published at this level.
UPDATE anon_units
SET settled = TRUE
WHERE level = getvariable('anon_level') AND NOT settled AND NOT withheld
  AND keys[getvariable('anon_level') + 1] IN (SELECT key FROM anon_groups WHERE good);
