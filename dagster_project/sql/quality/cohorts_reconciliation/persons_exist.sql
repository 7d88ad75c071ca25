-- persons_exist: one row per (cohort table, person_id) of every cohort table but cohorts.persons, with how many rows that person has in cohorts.persons (expected exactly 1).
--
-- Columns
--   key        the cohort table and the person_id, as '<table>:<person_id>'
--   expected   '1'
--   actual     the person's rows in cohorts.persons, as text
WITH ids AS (
    SELECT 'events' AS cohort, person_id FROM cohorts.events
    UNION
    SELECT 'person_summary' AS cohort, person_id FROM cohorts.person_summary
    UNION
    SELECT 'victims' AS cohort, person_id FROM cohorts.victims
    UNION
    SELECT 'offenders' AS cohort, person_id FROM cohorts.offenders
    UNION
    SELECT 'victim_offender_overlap' AS cohort, person_id FROM cohorts.victim_offender_overlap
    UNION
    SELECT 'repeat_victims' AS cohort, person_id FROM cohorts.repeat_victims
    UNION
    SELECT 'domestic_abuse' AS cohort, person_id FROM cohorts.domestic_abuse
    UNION
    SELECT 'exploitation_risk' AS cohort, person_id FROM cohorts.exploitation_risk
    UNION
    SELECT 'unreported_assaults' AS cohort, person_id FROM cohorts.unreported_assaults
)
SELECT i.cohort || ':' || i.person_id AS key, '1' AS expected, count(p.person_id)::VARCHAR AS actual
FROM ids AS i
LEFT JOIN cohorts.persons AS p ON p.person_id = i.person_id
GROUP BY i.cohort, i.person_id;
