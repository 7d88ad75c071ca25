-- Move the units left unsettled at the current level up to the next, coarser level.
UPDATE anon_units
SET level = level + 1
WHERE level = getvariable('anon_level') AND NOT settled AND NOT withheld;
