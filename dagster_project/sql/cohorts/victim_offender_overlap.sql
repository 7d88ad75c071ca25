-- cohorts.victim_offender_overlap: persons who are both victims (cohorts.victims) and offenders (cohorts.offenders), with which came first and the gap.
--
-- Columns
--   person_id             the linked person
--   victimisations        victimisations (police victim records and A&E assault attendances)
--   offending             suspect/offender records and YOS outcomes
--   first_victimisation   date of the first victimisation
--   first_offending       date of the first offending
--   sequence              victim_first, offender_first or same_day
--   gap_days              days from the first victimisation to the first offending (negative when offending came first)
--   age_at_first_contact  age at whichever came first
CREATE OR REPLACE TABLE cohorts.victim_offender_overlap AS
SELECT
    v.person_id,
    v.victimisations,
    o.police_suspect + o.police_offender + o.yos_outcomes AS offending,
    v.first_victimisation,
    o.first_offending,
    CASE
        WHEN v.first_victimisation < o.first_offending THEN 'victim_first'
        WHEN v.first_victimisation > o.first_offending THEN 'offender_first'
        ELSE 'same_day'
    END AS sequence,
    date_diff('day', v.first_victimisation, o.first_offending) AS gap_days,
    CASE WHEN v.first_victimisation <= o.first_offending THEN v.age_at_first ELSE o.age_at_first END AS age_at_first_contact
FROM cohorts.victims AS v
JOIN cohorts.offenders AS o USING (person_id)
ORDER BY v.person_id;
