-- victim_offender_overlap_relations: relations between a cohorts.victim_offender_overlap row's own values that its suite cannot compare on text: the gap is the days between the first victimisation and the first offending.
--
-- Columns
--   key        the person_id
--   expected   every relation true, as text
--   actual     what the row of cohorts.victim_offender_overlap gives for each relation, as text (a relation on a missing value is null, and so fails)
SELECT
    person_id::VARCHAR AS key,
    {'gap_is_days_between_firsts': TRUE::VARCHAR}::VARCHAR AS expected,
    {
        'gap_is_days_between_firsts': (gap_days = date_diff('day', first_victimisation, first_offending))::VARCHAR
    }::VARCHAR AS actual
FROM cohorts.victim_offender_overlap;
