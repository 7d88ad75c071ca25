-- repeat_victims_relations: relations between a cohorts.repeat_victims row's own numbers that its suite cannot compare on text: the most in a window and the domestic-abuse count are within the victimisations.
--
-- Columns
--   key        the person_id
--   expected   every relation true, as text
--   actual     what the row of cohorts.repeat_victims gives for each relation, as text (a relation on a missing value is null, and so fails)
SELECT
    person_id::VARCHAR AS key,
    {
        'window_within_victimisations': TRUE::VARCHAR,
        'domestic_abuse_within_victimisations': TRUE::VARCHAR
    }::VARCHAR AS expected,
    {
        'window_within_victimisations': (most_in_12_months <= victimisations)::VARCHAR,
        'domestic_abuse_within_victimisations': (domestic_abuse <= victimisations)::VARCHAR
    }::VARCHAR AS actual
FROM cohorts.repeat_victims;
