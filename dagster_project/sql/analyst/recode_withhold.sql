-- At the last level, withhold the units still unsettled: groups below k persons that padding could not fill (fewer than k persons left in all).
UPDATE anon_units
SET withheld = TRUE
WHERE level = getvariable('anon_level') AND NOT settled AND NOT withheld;
