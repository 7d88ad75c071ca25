-- cohorts.repeat_victims in the default tier: published persons with three or more victimisations within twelve months, with their counts and no date.
--
-- Columns
--   person_id          the person in this publication (cohorts.persons)
--   most_in_12_months  the most victimisations in any 365-day window
--   victimisations     all victimisations of the person
--   domestic_abuse     of which flagged domestic-abuse related by police
CREATE OR REPLACE TEMP TABLE default_repeat_victims AS
SELECT
    p.default_id AS person_id,
    r.most_in_12_months,
    r.victimisations,
    r.domestic_abuse
FROM cohorts.repeat_victims AS r
JOIN anon_person AS p USING (person_id)
ORDER BY p.default_id;
