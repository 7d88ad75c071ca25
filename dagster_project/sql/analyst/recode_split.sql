-- Move the holders of a thin kind out of groups of the current level that hold k persons or more: up to the next level, or withheld at the last level (getvariable('anon_last')).
--
-- A group of 40 in which two persons have a YOS outcome is published without those two; they
-- join the coarser group above, where the YOS outcomes of several areas together may reach k.
UPDATE anon_units AS u
SET level = CASE WHEN getvariable('anon_last') THEN u.level ELSE u.level + 1 END,
    withheld = getvariable('anon_last')
WHERE u.level = getvariable('anon_level') AND NOT u.settled AND NOT u.withheld
  AND EXISTS (
      SELECT 1 FROM anon_groups AS g
      WHERE g.key = u.keys[getvariable('anon_level') + 1]
        AND g.persons >= getvariable('anon_k')
        AND len(list_intersect(u.kinds, g.thin_kinds)) > 0
  );
